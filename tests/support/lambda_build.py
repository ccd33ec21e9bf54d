"""The Lambda functions as `sam build` packages them, and a stand-in for Lambda's Python runtime."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# What Lambda's python3.11 runtime already has; functions must not ship these.
RUNTIME_PACKAGES = ["boto3", "botocore", "jmespath", "s3transfer", "urllib3", "dateutil", "six.py"]


def lambda_runtime(folder: Path) -> Path:
    """A folder holding only the packages of Lambda's python3.11 runtime (links to this venv's)."""
    runtime = folder / "lambda-runtime"
    runtime.mkdir()
    site = Path(__import__("boto3").__file__).parent.parent
    for name in RUNTIME_PACKAGES:
        (runtime / name).symlink_to(site / name)
    return runtime


def sam_build_into(work: Path) -> Path:
    """`sam build` of the whole template."""
    build_dir = work / "build"
    result = subprocess.run(
        [
            Path(sys.executable).parent / "sam",
            "build",
            "--template-file",
            ROOT / "template.yaml",
            "--build-dir",
            build_dir,
        ],
        cwd=work,
        env={**os.environ, "SAM_CLI_TELEMETRY": "0"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return build_dir
