"""`python -m msf_package build --out FILE`: the MSF application zip (msf_package/__init__.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from msf_package.build import PackageError, build_package


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m msf_package", description=__doc__)
    parser.add_argument("command", choices=("build",))
    parser.add_argument("--out", type=Path, required=True, help="the zip to write")
    arguments = parser.parse_args(argv)
    try:
        package = build_package(arguments.out)
    except (PackageError, OSError) as error:
        print(f"msf_package: {error}", file=sys.stderr)
        return 1
    print(f"{package} ({package.stat().st_size / 2**20:.1f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
