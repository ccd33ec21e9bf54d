"""`python -m msf_package build --out FILE`: the MSF application zip (msf_package/__init__.py).
`python -m msf_package pin`: record the SHA-256 of the lock's unpinned jars (then review and commit
jars.lock.json). Both need Maven Central, or the repository given with --maven-repository."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from msf_package.build import ROOT, PackageError, build_package
from msf_package.maven import ChecksumError, pin
from msf_package.uber_jar import ConflictingClass

DEFAULT_CACHE = ROOT / "build" / "maven"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m msf_package", description=__doc__)
    parser.add_argument("command", choices=("build", "pin"))
    parser.add_argument("--out", type=Path, help="the zip to write (build)")
    parser.add_argument("--maven-repository", metavar="URL", help="a Maven repository or mirror "
                        "(default: the lock's, Maven Central)")
    parser.add_argument("--jar-cache", type=Path, default=DEFAULT_CACHE, help=f"default {DEFAULT_CACHE}")
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="msf_package: %(message)s")
    try:
        if arguments.command == "pin":
            print(f"pinned: {pin(arguments.jar_cache, repository=arguments.maven_repository) or 'nothing new'}")
            return 0
        if arguments.out is None:
            parser.error("build needs --out")
        package = build_package(arguments.out, arguments.maven_repository, arguments.jar_cache)
        print(f"{package} ({package.stat().st_size / 2**20:.1f} MiB)")
        return 0
    except (PackageError, ChecksumError, ConflictingClass, OSError) as error:
        print(f"msf_package: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
