#!/usr/bin/env bash
# Prepares a machine for the project: Java 17 for Flink, and the virtual environment
# .venv with every dependency group. Safe to run again: it reinstalls only when
# pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v java >/dev/null 2>&1; then
    echo "setup: java not found, installing openjdk-17-jre-headless" >&2
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq openjdk-17-jre-headless >/dev/null
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
    .venv/bin/python -m pip install --quiet -e '.[job,geocoder,datagen,dev]'
    rm -f .venv/.installed-*
    touch "$stamp"
fi
