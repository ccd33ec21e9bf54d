"""The geocoder's deployment: template.yaml lints, its wiring matches the code, `sam build` packages a
function that runs on Lambda's python3.11 runtime (which brings boto3) and nothing more."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cfnlint.decode import cfn_yaml

from tests.support.lambda_build import RUNTIME_PACKAGES, lambda_runtime

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TEMPLATE = ROOT / "template.yaml"
SAM_ENV = {**os.environ, "SAM_CLI_TELEMETRY": "0"}


@pytest.fixture(scope="module")
def template() -> dict:
    return cfn_yaml.load(str(TEMPLATE))


@pytest.fixture(scope="module")
def built(sam_build) -> Path:
    return sam_build / "GeocoderFunction"


def test_template_passes_sam_validate_lint_and_cfn_lint():
    subprocess.run(
        [BIN / "sam", "validate", "--lint", "--template-file", TEMPLATE], env=SAM_ENV, check=True, capture_output=True
    )
    subprocess.run([BIN / "cfn-lint", TEMPLATE], check=True, capture_output=True)


def test_function_environment_names_settings_the_code_reads(template):
    variables = template["Resources"]["GeocoderFunction"]["Properties"]["Environment"]["Variables"]
    read_by_code = set(re.findall(r'"(GEOCODER_[A-Z_]+)"', (ROOT / "geocoder_lambda" / "settings.py").read_text()))
    set_here = {name for name in variables if name.startswith("GEOCODER_")}
    assert set_here <= read_by_code
    assert {"GEOCODER_PROVIDERS", "GEOCODER_CACHE_TABLE", "GEOCODER_CACHE_TTL_DAYS"} <= set_here


def _granted(template: dict) -> dict[str, object]:
    """Action -> resource, from the function's policies (both branches of a condition)."""
    granted = {}
    for policy in template["Resources"]["GeocoderFunction"]["Properties"]["Policies"]:
        branches = policy["Fn::If"][1:] if "Fn::If" in policy else [policy]
        for branch in branches:
            for statement in branch.get("Statement", []) if isinstance(branch, dict) else []:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                for action in actions:
                    granted[action] = statement["Resource"]
    return granted


def test_policies_grant_each_aws_call_the_code_makes_on_named_resources_only(template):
    calls = {
        "dynamodb": re.findall(r"self\.client\.(\w+)\(", (ROOT / "geocoder_lambda/shared_cache.py").read_text()),
        "geo-places": re.findall(
            r"self\._client\.(\w+)\(", (ROOT / "geocoder_lambda/providers/aws_location.py").read_text()
        ),
    }
    needed = {
        f"{service}:{''.join(w.title() for w in call.split('_'))}" for service, names in calls.items() for call in names
    }
    assert needed == {"dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "geo-places:Geocode"}
    if "parameters.get_secret(" in (ROOT / "geocoder_lambda/settings.py").read_text():  # the provider secret
        needed.add("secretsmanager:GetSecretValue")
    granted = _granted(template)
    assert set(granted) == needed
    assert all("*" not in json.dumps(resource) for resource in granted.values())


def test_function_url_requires_iam_auth(template):
    assert template["Resources"]["GeocoderFunction"]["Properties"]["FunctionUrlConfig"] == {"AuthType": "AWS_IAM"}


def test_sam_build_packages_the_function_without_the_runtime_packages(built):
    assert (built / "geocoder_lambda" / "app.py").is_file()
    assert not any((built / name).exists() for name in RUNTIME_PACKAGES)
    assert not list(built.rglob("__pycache__"))


def test_built_function_answers_with_only_the_runtime_packages_beside_it(built, tmp_path):
    runtime = lambda_runtime(tmp_path)
    event = (ROOT / "events" / "geocoder" / "function_url_single.json").read_text()
    script = (
        f"import sys, json; sys.path[:0] = [{str(built)!r}, {str(runtime)!r}]\n"
        "from geocoder_lambda.app import handler\n"
        "from geocoder_lambda.serve import LocalContext\n"
        f"print(json.dumps(handler(json.loads({event!r}), LocalContext())))"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", script],
        capture_output=True,
        text=True,
        env={"POWERTOOLS_METRICS_DISABLED": "true", "AWS_DEFAULT_REGION": "us-east-1"},
    )
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout.strip().splitlines()[-1])
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["results"][0]["provider"] == "offline"
