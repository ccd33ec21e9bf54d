"""The bootstrap as a CloudFormation custom resource (the SAM template's `OpenSearchBootstrap`):
Create and Update apply the artefacts to the domain, SigV4-signed with the function's role; Delete
leaves the cluster as it is (the orders stay with the domain). Every outcome is sent back to
CloudFormation (cfn_response).

ResourceProperties: Endpoint (https://...), Region, and optionally DashboardsEndpoint, Shards,
Replicas, RetentionDays, AnalystRoles, WriterRoles, AdminRoles, BreakGlassRoles (lists of IAM role
ARNs; break-glass roles named before and no longer are unmapped),
DashboardsUsers (a list of {Secret, Role}: a Secrets Manager secret holding {"username",
"password"} of an internal user to create, and the role it signs in as), Auth (sigv4 | none; none
for a cluster without auth)."""

from __future__ import annotations

import json
import logging

import boto3

from cfn_response import handle
from opensearch_setup.bootstrap import ROLES, InternalUser, Parameters, bootstrap
from opensearch_setup.http import Auth, JsonHttp

LOG = logging.getLogger(__name__)
LOG.setLevel(logging.INFO)
ROLE_PROPERTIES = {"orders_analyst": "AnalystRoles", "orders_writer": "WriterRoles", "orders_admin": "AdminRoles"}


def handler(event: dict, context: object) -> None:
    handle(event, bootstrap_action)


def bootstrap_action(event: dict) -> tuple[str, dict]:
    physical_id = event.get("PhysicalResourceId") or f"opensearch-bootstrap-{event['LogicalResourceId']}"
    if event["RequestType"] == "Delete":
        changes = []
    else:
        changes = apply(event["ResourceProperties"], event.get("OldResourceProperties", {}))
    LOG.info("bootstrap %s: %s", event["RequestType"], changes or "nothing to change")
    return physical_id, {"Changes": len(changes)}


def apply(properties: dict, former: dict) -> list[str]:
    auth = Auth(properties.get("Auth", "sigv4"), region=properties["Region"])
    parameters = Parameters(
        shards=int(properties.get("Shards", 1)),
        replicas=int(properties.get("Replicas", 1)),
        retention_days=int(properties.get("RetentionDays", 30)),
        backend_roles={role: _arns(properties, ROLE_PROPERTIES[role]) for role in ROLES},
        users=tuple(_internal_user(user, properties["Region"]) for user in properties.get("DashboardsUsers", [])),
        break_glass_roles=_arns(properties, "BreakGlassRoles"),
        former_break_glass_roles=_arns(former, "BreakGlassRoles"),
    )
    dashboards = properties.get("DashboardsEndpoint")
    return bootstrap(
        JsonHttp(properties["Endpoint"], auth), JsonHttp(dashboards, auth) if dashboards else None, parameters
    )


def _arns(properties: dict, name: str) -> tuple[str, ...]:
    """A list property's ARNs; an empty list parameter arrives as [""]."""
    return tuple(arn for arn in properties.get(name, []) if arn)


def _internal_user(user: dict, region: str) -> InternalUser:
    answer = boto3.client("secretsmanager", region_name=region).get_secret_value(SecretId=user["Secret"])
    secret = json.loads(answer["SecretString"])
    return InternalUser(secret["username"], secret["password"], user["Role"], answer["VersionId"])
