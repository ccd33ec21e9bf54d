"""The custom resource `FlinkApplicationStart`: CloudFormation creates an MSF application without
running it; this starts it once, when the resource is created (a deployment that turns the
template's StartFlinkApplication to true, or a new stack with it true). Later deployments leave the
run state alone: MSF applies an update to a running application itself (snapshot, restart), and a
stopped one stays stopped.

ResourceProperties: ApplicationName."""

from __future__ import annotations

import logging

import boto3

from cfn_response import handle

LOG = logging.getLogger(__name__)
LOG.setLevel(logging.INFO)


def handler(event: dict, context: object) -> None:
    handle(event, start)


def start(event: dict) -> tuple[str, dict]:
    name = event["ResourceProperties"]["ApplicationName"]
    if event["RequestType"] == "Create":
        flink = boto3.client("kinesisanalyticsv2")
        status = flink.describe_application(ApplicationName=name)["ApplicationDetail"]["ApplicationStatus"]
        if status == "READY":
            flink.start_application(
                ApplicationName=name, RunConfiguration={"FlinkRunConfiguration": {"AllowNonRestoredState": False}}
            )
            LOG.info("starting %s", name)
        else:
            LOG.info("%s is %s: left as it is", name, status)
    return f"start-{name}", {}
