"""Builds the application zip (layout in msf_package/__init__.py)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from msf_package.zips import write_entries

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(__file__).resolve().parent
# The Maven module's shaded jar (scripts/setup.sh builds it): the job's Java and the libraries it needs
# beyond what MSF's Flink runtime provides.
HELPER_JAR = ROOT / "java" / "flink-job" / "target" / "streaming-orders-flink.jar"
JARFILE = "lib/pyflink-dependencies.jar"
PYTHON_DIR = "python"
# MSF's Python for runtime FLINK-2_2 (docs/design.md)
TARGET = [
    "--platform",
    "manylinux2014_x86_64",
    "--implementation",
    "cp",
    "--python-version",
    "3.12",
    "--only-binary=:all:",
]


class PackageError(Exception):
    pass


def build_package(out: Path) -> Path:
    """Writes the application zip to `out`."""
    if not HELPER_JAR.is_file():
        raise PackageError(f"{HELPER_JAR} is missing: run scripts/setup.sh (or `make setup`) to build it")
    with tempfile.TemporaryDirectory(prefix="msf-package-") as scratch:
        work = Path(scratch)
        entries = {"main.py": (PACKAGE / "main.py").read_bytes(), JARFILE: HELPER_JAR.read_bytes()}
        for path in sorted((ROOT / "flink_app").rglob("*.py")):
            entries[f"{PYTHON_DIR}/{path.relative_to(ROOT).as_posix()}"] = path.read_bytes()
        dependencies = work / "dependencies"
        _install_dependencies(dependencies)
        for path in sorted(dependencies.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.parts[len(dependencies.parts)] != "bin":
                entries[f"{PYTHON_DIR}/{path.relative_to(dependencies).as_posix()}"] = path.read_bytes()
        out.parent.mkdir(parents=True, exist_ok=True)
        write_entries(out, entries)
    return out


def _install_dependencies(target: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--no-compile",
            "--target",
            str(target),
            *TARGET,
            "-r",
            str(PACKAGE / "requirements.txt"),
        ],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise PackageError(f"pip could not fetch the job's dependencies for MSF's Python:\n{result.stderr}")
