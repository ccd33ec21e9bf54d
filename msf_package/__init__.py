"""The Flink application package for Managed Service for Apache Flink (MSF), built by `sam build`
(msf_package/Makefile) and published by the `FlinkApplicationCode` custom resource.

The zip holds:

    main.py                        the entry point (run option `python`)
    python/flink_app/...           the job's code
    python/<packages>              its dependencies for MSF's Python (3.12, Linux x86_64) that
                                   PyFlink does not bring (requirements.txt; run option `pyFiles`)
    lib/pyflink-dependencies.jar   one jar (MSF takes a single `jarfile`): the Maven module java/
                                   shaded with the libraries the job needs beyond MSF's Flink
                                   (every jar checked against the SHA-256 pinned in java/.mvn/)
"""
