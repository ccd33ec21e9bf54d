#!/usr/bin/env bash
# Prepares a machine for the project: Java 17 (a JDK, for the project's Java), Chromium (headless,
# for a test), the virtual environment .venv with every dependency group, and the Java build. Safe
# to run again: it reinstalls only when pyproject.toml changed and rebuilds only when the Java changed.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
    local sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ! command -v java >/dev/null 2>&1 || ! command -v javac >/dev/null 2>&1; then
    echo "setup: java or javac not found, installing openjdk-17-jdk-headless" >&2
    apt_install openjdk-17-jdk-headless
fi
# Headless Chromium: the tests open the demo's map page in it.
if ! command -v chromium >/dev/null 2>&1; then
    echo "setup: chromium not found, installing it" >&2
    apt_install chromium
fi

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(not ((3, 11) <= sys.version_info[:2] < (3, 13)))'; then
    echo "setup: Python 3.11 or 3.12 is required ($python is $("$python" --version 2>&1))" >&2
    exit 1
fi

stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
    echo "setup: creating .venv and installing dependencies (a few minutes the first time)" >&2
    [ -x .venv/bin/python ] || "$python" -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e '.[job,geocoder,opensearch,datagen,demo,dev]'
    rm -f .venv/.installed-*
    touch "$stamp"
fi

# The project's Java (java/: the job's jar and the local OpenSearch node), built by Maven (the
# wrapper brings the Maven version the pom was pinned with; ~/.m2 keeps it and the jars between
# runs), again only when its sources or build files change. Its unit tests run in `make test`.
java_inputs=$(find java -path '*/target' -prune -o -type f -print | sort)
jar_stamp="build/.java-built-$(cat $java_inputs | sha256sum | cut -c1-16)"
if [ ! -f "$jar_stamp" ]; then
    echo "setup: building the Java (java/) with Maven" >&2
    rm -f build/.java-built-*; mkdir -p build
    java/mvnw --quiet --file java/pom.xml clean package -DskipTests
    touch "$jar_stamp"
fi

# checkov, the template's security scan (tests/test_deployment.py), in an environment of its own:
# it pins boto3 below what the project uses.
checkov_version=3.3.30
if [ ! -f "build/checkov/.installed-$checkov_version" ]; then
    echo "setup: installing checkov $checkov_version into build/checkov" >&2
    rm -rf build/checkov
    "$python" -m venv build/checkov
    build/checkov/bin/python -m pip install --quiet --disable-pip-version-check "checkov==$checkov_version"
    touch "build/checkov/.installed-$checkov_version"
fi
