"""template.yaml as CloudFormation deploys it: AWS SAM's own translator (samtranslator, what `sam
deploy` runs) expands the serverless resources into the functions, roles, URLs and versions they
stand for, so that a scan sees those too."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

from tests.support.lambda_build import ROOT


class NoManagedPolicies:
    """The template names no managed policy by name; the translator asks IAM for none."""

    def load(self) -> dict[str, str]:
        return {}


def transformed_template(folder: Path, **defaults: str) -> Path:
    """The expanded template written to `folder`; `defaults` replace parameter defaults (a scanner
    reads conditions with the defaults, so a resource behind a false condition would go unseen)."""
    template = yaml_parse((ROOT / "template.yaml").read_text())
    for name, value in defaults.items():
        template["Parameters"][name]["Default"] = value
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":  # as `sam package` leaves it
            resource["Properties"]["CodeUri"] = "s3://artifacts/function.zip"
    expanded = transform(copy.deepcopy(template), {}, NoManagedPolicies(), passthrough_metadata=True)
    path = folder / "template.transformed.json"
    path.write_text(json.dumps(expanded, indent=1))
    return path
