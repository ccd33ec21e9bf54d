"""Rotation of a Dashboards user's password (the SAM template's `DashboardsPasswordRotator`), in the
four steps Secrets Manager calls a rotation function with: createSecret draws a new password into
the AWSPENDING version, setSecret gives it to the internal user on the domain (recording the
version, as the bootstrap does, so that the bootstrap then leaves it alone), testSecret checks the
user holds that version, finishSecret makes it AWSCURRENT.

Environment: OPENSEARCH_ENDPOINT (https://...), OPENSEARCH_AUTH (sigv4 | none) and AWS_REGION.
testSecret reads the user back with the function's signed requests rather than signing in as it:
a public domain refuses an unsigned sign-in from outside DashboardsAllowedCidr."""

from __future__ import annotations

import json
import logging
import os
from urllib.parse import quote

import boto3

from opensearch_setup.http import Auth, JsonHttp

LOG = logging.getLogger(__name__)
LOG.setLevel(logging.INFO)
# As the template's GenerateSecretString: no quote, slash, at sign, backquote or space.
EXCLUDED_CHARACTERS = "\"'\\/@` "


def handler(event: dict, context: object) -> None:
    secrets = boto3.client("secretsmanager")
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    stages = secrets.describe_secret(SecretId=arn)["VersionIdsToStages"]
    if "AWSPENDING" not in stages.get(token, []) and "AWSCURRENT" not in stages.get(token, []):
        raise ValueError(f"version {token} of {arn} is not pending rotation")
    LOG.info("rotation of %s, version %s: %s", arn, token, step)
    if step == "createSecret":
        draw_password(secrets, arn, token)
    elif step == "setSecret":
        give_to_user(secrets, _cluster(), arn, token)
    elif step == "testSecret":
        check_user(secrets, _cluster(), arn, token)
    elif step == "finishSecret":
        make_current(secrets, arn, token, stages)
    else:
        raise ValueError(f"unknown rotation step {step!r}")


def _cluster() -> JsonHttp:
    auth = Auth(os.environ.get("OPENSEARCH_AUTH", "sigv4"), region=os.environ.get("AWS_REGION"))
    return JsonHttp(os.environ["OPENSEARCH_ENDPOINT"], auth)


def draw_password(secrets, arn: str, token: str) -> None:
    try:
        secrets.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
        return  # drawn already (Secrets Manager may call a step again)
    except secrets.exceptions.ResourceNotFoundException:
        pass
    current = json.loads(secrets.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")["SecretString"])
    password = secrets.get_random_password(
        PasswordLength=32, ExcludeCharacters=EXCLUDED_CHARACTERS, RequireEachIncludedType=True
    )["RandomPassword"]
    secrets.put_secret_value(
        SecretId=arn,
        ClientRequestToken=token,
        SecretString=json.dumps({**current, "password": password}),
        VersionStages=["AWSPENDING"],
    )


def _pending(secrets, arn: str, token: str) -> dict:
    return json.loads(
        secrets.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")["SecretString"]
    )


def _user_path(name: str) -> str:
    return f"/_plugins/_security/api/internalusers/{quote(name)}"


def give_to_user(secrets, cluster: JsonHttp, arn: str, token: str) -> None:
    pending = _pending(secrets, arn, token)
    path = _user_path(pending["username"])
    current = cluster.get(path)
    if current is None:
        raise ValueError(f"no internal user {pending['username']} to rotate (the bootstrap creates it)")
    description = current[pending["username"]].get("description", "")
    body = {"password": pending["password"], "description": description, "attributes": {"password_version": token}}
    cluster.send("PUT", path, body)


def check_user(secrets, cluster: JsonHttp, arn: str, token: str) -> None:
    name = _pending(secrets, arn, token)["username"]
    recorded = (cluster.get(_user_path(name)) or {}).get(name, {}).get("attributes", {}).get("password_version")
    if recorded != token:
        raise ValueError(f"internal user {name} holds password version {recorded}, not {token}")


def make_current(secrets, arn: str, token: str, stages: dict[str, list[str]]) -> None:
    [current] = [version for version, names in stages.items() if "AWSCURRENT" in names]
    if current != token:
        secrets.update_secret_version_stage(
            SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token, RemoveFromVersionId=current
        )
