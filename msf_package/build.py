"""Builds the application zip (layout in msf_package/__init__.py)."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from msf_package.maven import fetch, read_lock
from msf_package.uber_jar import merge
from msf_package.zips import write_entries

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(__file__).resolve().parent
HELPER_JAR = ROOT / "build" / "jars" / "streaming-orders-flink.jar"  # built by scripts/setup.sh
CREDENTIALS_SOURCE = ROOT / "flink_app" / "java" / "streamingorders" / "flink" / "AwsCredentials.java"
JARFILE = "lib/pyflink-dependencies.jar"
PYTHON_DIR = "python"
# MSF's Python for runtime FLINK-2_2 (DESIGN.md)
TARGET = ["--platform", "manylinux2014_x86_64", "--implementation", "cp", "--python-version", "3.12",
          "--only-binary=:all:"]


class PackageError(Exception):
    pass


def build_package(out: Path, repository: str | None, jar_cache: Path) -> Path:
    """Writes the application zip to `out`; `repository` overrides the lock's Maven repository."""
    if not HELPER_JAR.is_file():
        raise PackageError(f"{HELPER_JAR} is missing: run scripts/setup.sh (or `make setup`) to build it")
    lock_repository, locked = read_lock()
    jars = [fetch(jar, repository or lock_repository, jar_cache) for jar in locked]
    with tempfile.TemporaryDirectory(prefix="msf-package-") as scratch:
        work = Path(scratch)
        merge([HELPER_JAR, *jars], work / "merged.jar")
        _check_credentials_provider(work / "merged.jar")
        entries = {"main.py": (PACKAGE / "main.py").read_bytes(), JARFILE: (work / "merged.jar").read_bytes()}
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
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                             "--no-deps", "--no-compile", "--target", str(target), *TARGET,
                             "-r", str(PACKAGE / "requirements.txt")], capture_output=True, text=True)
    if result.returncode != 0:
        raise PackageError(f"pip could not fetch the job's dependencies for MSF's Python:\n{result.stderr}")


def _check_credentials_provider(jar: Path) -> None:
    """The OpenSearch sink signs with an AWS SDK credentials provider it finds by name; one of those
    names must be in the jar (a connector upgrade may shade the SDK elsewhere)."""
    names = re.findall(r'"([\w.]+\.DefaultCredentialsProvider)"', CREDENTIALS_SOURCE.read_text())
    with zipfile.ZipFile(jar) as archive:
        present = set(archive.namelist())
    if not any(f"{name.replace('.', '/')}.class" in present for name in names):
        raise PackageError(f"none of the credentials providers AwsCredentials.java looks for ({', '.join(names)}) "
                           "is in the connector jars: the OpenSearch sink could not sign its requests in MSF")
