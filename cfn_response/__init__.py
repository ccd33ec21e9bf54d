"""The answer a CloudFormation custom resource owes its stack, shared by the project's custom
resource functions: every outcome is sent, a failure with its reason, so that a stack never waits
an hour for a response that does not come."""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Callable

LOG = logging.getLogger(__name__)
LOG.setLevel(logging.INFO)

# (event) -> (physical resource id, Data for Fn::GetAtt)
Action = Callable[[dict], tuple[str, dict]]


def handle(event: dict, action: Action) -> None:
    """Runs `action` for the event and reports its outcome to CloudFormation."""
    physical_id = event.get("PhysicalResourceId") or f"{event['LogicalResourceId']}-{event['RequestId']}"
    try:
        physical_id, data = action(event)
        respond(event, physical_id, "SUCCESS", "", data)
    except Exception as error:  # noqa: BLE001 (any failure must reach CloudFormation, not hang the stack)
        LOG.exception("%s %s failed", event["LogicalResourceId"], event["RequestType"])
        respond(event, physical_id, "FAILED", f"{type(error).__name__}: {error}"[:1000], {})


def respond(event: dict, physical_id: str, status: str, reason: str, data: dict) -> None:
    body = json.dumps(
        {
            "Status": status,
            "Reason": reason or "see the function's log",
            "PhysicalResourceId": physical_id,
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
            "Data": data,
        }
    ).encode()
    request = urllib.request.Request(
        event["ResponseURL"], data=body, method="PUT", headers={"Content-Type": "", "Content-Length": str(len(body))}
    )
    with urllib.request.urlopen(request, timeout=30):
        pass
