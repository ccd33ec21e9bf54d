"""The bootstrap as a CloudFormation custom resource (the SAM template's `OpenSearchBootstrap`):
Create and Update apply the artefacts to the domain, SigV4-signed with the function's role; Delete
leaves the cluster as it is (the orders stay with the domain). Every outcome is sent back to
CloudFormation, a failure with its reason, so a stack never waits for a response that does not come.

ResourceProperties: Endpoint (https://...), Region, and optionally DashboardsEndpoint, Shards,
Replicas, RetentionDays, AnalystRoles, WriterRoles, AdminRoles (lists of IAM role ARNs), Auth
(sigv4 | none; none for a cluster without auth)."""

from __future__ import annotations

import json
import logging
import urllib.request

from opensearch_setup.bootstrap import ROLES, Parameters, bootstrap
from opensearch_setup.http import Auth, JsonHttp

LOG = logging.getLogger(__name__)
LOG.setLevel(logging.INFO)
ROLE_PROPERTIES = {"orders_analyst": "AnalystRoles", "orders_writer": "WriterRoles", "orders_admin": "AdminRoles"}


def handler(event: dict, context: object) -> None:
    physical_id = event.get("PhysicalResourceId") or f"opensearch-bootstrap-{event['LogicalResourceId']}"
    try:
        changes = [] if event["RequestType"] == "Delete" else apply(event["ResourceProperties"])
        LOG.info("bootstrap %s: %s", event["RequestType"], changes or "nothing to change")
        respond(event, physical_id, "SUCCESS", "", {"Changes": len(changes)})
    except Exception as error:  # noqa: BLE001 (any failure must reach CloudFormation, not hang the stack)
        LOG.exception("bootstrap failed")
        respond(event, physical_id, "FAILED", f"{type(error).__name__}: {error}"[:1000], {})


def apply(properties: dict) -> list[str]:
    auth = Auth(properties.get("Auth", "sigv4"), region=properties["Region"])
    parameters = Parameters(shards=int(properties.get("Shards", 1)), replicas=int(properties.get("Replicas", 1)),
                            retention_days=int(properties.get("RetentionDays", 30)),
                            backend_roles={role: tuple(arn for arn in properties.get(ROLE_PROPERTIES[role], []) if arn)
                                           for role in ROLES})
    dashboards = properties.get("DashboardsEndpoint")
    return bootstrap(JsonHttp(properties["Endpoint"], auth), JsonHttp(dashboards, auth) if dashboards else None,
                     parameters)


def respond(event: dict, physical_id: str, status: str, reason: str, data: dict) -> None:
    body = json.dumps({"Status": status, "Reason": reason or "see the function's log", "PhysicalResourceId": physical_id,
                       "StackId": event["StackId"], "RequestId": event["RequestId"],
                       "LogicalResourceId": event["LogicalResourceId"], "Data": data}).encode()
    request = urllib.request.Request(event["ResponseURL"], data=body, method="PUT",
                                     headers={"Content-Type": "", "Content-Length": str(len(body))})
    with urllib.request.urlopen(request, timeout=30):
        pass
