"""The entry point MSF runs (run option `python`; this file sits at the root of the application
zip): the job, configured by the application's property groups, which MSF writes to
/etc/flink/application_properties.json."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "python"))  # the job and its dependencies

from flink_app.__main__ import main  # noqa: E402 (after the path it comes from)

sys.exit(main())
