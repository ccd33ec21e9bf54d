"""A real Flink cluster on this machine, as MSF runs one for an application: a JobManager and a
TaskManager, each its own JVM, started from the Flink distribution that PyPI's apache-flink ships
(pyflink/bin, lib, opt), with the S3 filesystem as a plugin and the cluster's own S3 settings, and
Python applications submitted with `flink run -py` (what MSF does with the run options `python`,
`jarfile` and `pyFiles`)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pyflink
import yaml

FLINK_HOME = Path(pyflink.__file__).parent
ROOT = Path(__file__).resolve().parents[2]
S3_PLUGIN = ROOT / "java" / "flink-job" / "target" / "plugins"  # the Maven build copies the S3 filesystem there


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class StandaloneFlink:
    """The cluster in `work`, configured by the distribution's config.yaml with `settings` (Flink's
    keys) on top, and `env` for its processes."""

    def __init__(self, work: Path, settings: dict[str, str], env: dict[str, str]):
        self.rest_port = free_port()
        configuration = _flat(yaml.safe_load((FLINK_HOME / "conf" / "config.yaml").read_text()))
        configuration.update(
            {
                "jobmanager.rpc.port": str(free_port()),
                "rest.port": str(self.rest_port),
                "rest.bind-address": "localhost",
                "taskmanager.numberOfTaskSlots": "2",
                "taskmanager.memory.process.size": "3g",
                "parallelism.default": "2",
                **settings,
            }
        )
        (work / "conf").mkdir(parents=True)
        (work / "conf" / "config.yaml").write_text(yaml.safe_dump(configuration))
        (work / "log").mkdir()
        self.env = {
            **env,
            "FLINK_HOME": str(FLINK_HOME),
            "FLINK_CONF_DIR": str(work / "conf"),
            "FLINK_LOG_DIR": str(work / "log"),
            "FLINK_PLUGINS_DIR": str(S3_PLUGIN),
        }
        self.log = work / "log"
        self.processes = [
            subprocess.Popen(
                ["bash", str(FLINK_HOME / "bin" / script), "start-foreground"],
                env=self.env,
                stdout=(self.log / f"{script}.out").open("w"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            for script in ("jobmanager.sh", "taskmanager.sh")
        ]
        deadline = time.monotonic() + 120
        while self._overview().get("taskmanagers") != 1:
            assert time.monotonic() < deadline, f"the cluster did not start: see {self.log}"
            assert all(p.poll() is None for p in self.processes), f"the cluster stopped: see {self.log}"
            time.sleep(0.5)

    def _overview(self) -> dict:
        try:
            with urllib.request.urlopen(f"http://localhost:{self.rest_port}/overview", timeout=5) as response:
                return json.load(response)
        except OSError:
            return {}

    def run_python(self, app: Path, run_options: dict[str, str], *arguments: str) -> subprocess.CompletedProcess:
        """`flink run -py` of an application folder as MSF lays out its zip, detached."""
        python = sys.executable
        return subprocess.run(
            [
                "bash",
                str(FLINK_HOME / "bin" / "flink"),
                "run",
                "-m",
                f"localhost:{self.rest_port}",
                "--detached",
                "-py",
                str(app / run_options["python"]),
                "-pyfs",
                str(app / run_options["pyFiles"]),
                "-j",
                str(app / run_options["jarfile"]),
                "-pyclientexec",
                python,
                "-pyexec",
                python,
                *arguments,
            ],
            cwd=app,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def jobs(self) -> list[dict]:
        with urllib.request.urlopen(f"http://localhost:{self.rest_port}/jobs/overview", timeout=5) as response:
            return json.load(response)["jobs"]

    def close(self) -> None:
        for process in self.processes:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _flat(configuration: dict, prefix: str = "") -> dict[str, object]:
    """config.yaml's nested keys as Flink's dotted ones (Flink reads either form)."""
    flat = {}
    for key, value in configuration.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat
