"""The job's Java helper jar (flink_app/java, built by scripts/setup.sh into build/jars/)."""

from __future__ import annotations

from pathlib import Path

from pyflink.datastream import StreamExecutionEnvironment

HELPER_JAR = Path(__file__).resolve().parent.parent / "build" / "jars" / "streaming-orders-flink.jar"


class MissingHelperJar(Exception):
    pass


def add_helper_jar(env: StreamExecutionEnvironment) -> None:
    """Puts the helper on the job's classpath and the client's, so Python can build its objects."""
    if not HELPER_JAR.is_file():
        raise MissingHelperJar(f"{HELPER_JAR} is missing: run scripts/setup.sh (or `make setup`) to build it")
    env.add_jars(HELPER_JAR.as_uri())
