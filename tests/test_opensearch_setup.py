"""The OpenSearch bootstrap (`python -m opensearch_setup`) over real HTTP: against the fake cluster
of tests/fake_opensearch.py, or against a real cluster when OPENSEARCH_URL is set (then
OPENSEARCH_DASHBOARDS_URL for Dashboards, OPENSEARCH_USERNAME/OPENSEARCH_PASSWORD for basic auth,
and OPENSEARCH_SECURITY=false for a cluster without the security plugin)."""

from __future__ import annotations

import json
import os

import pytest

from opensearch_setup.__main__ import main
from opensearch_setup.bootstrap import FIRST_INDEX, POLICY_ID, READ_ALIAS, WRITE_ALIAS
from opensearch_setup.http import Auth, JsonHttp
from tests.fake_opensearch import FakeOpenSearch
from tests.http_stub import closed_port

REAL = os.environ.get("OPENSEARCH_URL")
ANALYST_ARN = "arn:aws:iam::123456789012:role/analysts"
WRITER_ARN = "arn:aws:iam::123456789012:role/flink-job"


@pytest.fixture
def target():
    """(cluster URL, Dashboards URL or None, command-line options for auth and security, fake or None)."""
    if REAL:
        options = ["--auth", "basic"] if os.environ.get("OPENSEARCH_USERNAME") else []
        if os.environ.get("OPENSEARCH_SECURITY") == "false":
            options.append("--no-security")
        yield REAL, os.environ.get("OPENSEARCH_DASHBOARDS_URL"), options, None
        return
    fake = FakeOpenSearch()
    yield fake.url, fake.url, [], fake
    fake.close()


def run(target, *options: str, capsys) -> list[str]:
    url, dashboards, auth_options, _ = target
    arguments = ["--url", url, *auth_options, "--analyst-role", ANALYST_ARN, "--writer-role", WRITER_ARN, *options]
    if dashboards:
        arguments += ["--dashboards-url", dashboards]
    assert main(arguments) == 0
    return capsys.readouterr().out.splitlines()


def cluster(target) -> JsonHttp:
    auth = Auth("basic", os.environ.get("OPENSEARCH_USERNAME"), os.environ.get("OPENSEARCH_PASSWORD")) \
        if "--auth" in target[2] else Auth()
    return JsonHttp(target[0], auth)


def test_the_first_run_applies_everything_and_the_second_changes_nothing(target, capsys):
    first = run(target, capsys=capsys)
    fake = target[3]
    if fake:  # a fresh cluster: everything is new
        assert f"created ISM policy {POLICY_ID}" in first and "created index template orders (new indices take it)" in first
        assert f"created index {FIRST_INDEX} with write alias {WRITE_ALIAS}" in first
        assert {"created role orders_analyst", "created role orders_writer", "created role orders_admin",
                "created role mapping orders_analyst", "created role mapping orders_writer"} <= set(first)
        assert sum(line.startswith("imported ") for line in first) == 7  # every saved object
        writes = list(fake.writes)
    assert run(target, capsys=capsys) == ["nothing to change: the cluster already has every artefact"]
    if fake:
        assert fake.writes == writes


def test_the_write_alias_points_at_one_index_that_the_read_alias_also_covers(target, capsys):
    run(target, capsys=capsys)
    http = cluster(target)
    writers = http.get(f"/_alias/{WRITE_ALIAS}")
    write_indices = [index for index, found in writers.items() if found["aliases"][WRITE_ALIAS].get("is_write_index")]
    assert len(write_indices) == 1  # orders-000001 on a fresh cluster; ISM moves it on rollover
    assert set(writers) <= set(http.get(f"/_alias/{READ_ALIAS}"))


def test_a_changed_parameter_updates_only_what_it_touches(target, capsys):
    run(target, capsys=capsys)
    assert run(target, "--retention-days", "7", capsys=capsys) == [
        f"updated ISM policy {POLICY_ID} (indices already managed keep the version they started with)"]
    assert run(target, "--retention-days", "7", "--replicas", "0", capsys=capsys) == [
        "updated index template orders (new indices take it)"]
    policy = cluster(target).get(f"/_plugins/_ism/policies/{POLICY_ID}")["policy"]
    delete = [t for s in policy["states"] for t in s["transitions"] if t["state_name"] == "delete"]
    assert delete[0]["conditions"]["min_index_age"] == "7d"


def test_a_role_changed_by_hand_is_put_back(target, capsys):
    if "--no-security" in target[2]:
        pytest.skip("the cluster has no security plugin")
    run(target, capsys=capsys)
    cluster(target).send("PUT", "/_plugins/_security/api/roles/orders_analyst",
                         {"index_permissions": [{"index_patterns": ["*"], "allowed_actions": ["read"]}]})
    assert run(target, capsys=capsys) == ["updated role orders_analyst"]


def test_an_unreachable_cluster_is_a_clear_error(capsys):
    assert main(["--url", f"http://127.0.0.1:{closed_port()}"]) == 1
    assert "opensearch_setup:" in capsys.readouterr().err


def test_sigv4_needs_a_region(capsys):
    assert main(["--url", "https://search-x.eu-west-1.es.amazonaws.com", "--auth", "sigv4"]) == 2
    assert "--region" in capsys.readouterr().err


def custom_resource_event(request_type: str, response_url: str, endpoint: str) -> dict:
    return {"RequestType": request_type, "ResponseURL": response_url, "StackId": "arn:aws:cloudformation:stack/x",
            "RequestId": "r1", "LogicalResourceId": "OpenSearchBootstrap", "ResourceType": "Custom::OpenSearchBootstrap",
            "ResourceProperties": {"Endpoint": endpoint, "DashboardsEndpoint": endpoint, "Region": "eu-west-1",
                                   "Auth": "none", "Replicas": "0", "WriterRoles": [WRITER_ARN]}}


@pytest.fixture
def cloudformation():
    """Plays CloudFormation's pre-signed response URL: records each response PUT to it."""
    from tests.http_stub import HttpStub

    stub = HttpStub(lambda *request: (200, {}))
    yield stub
    stub.close()


def test_the_custom_resource_bootstraps_on_create_and_reports_success(cloudformation):
    from opensearch_setup.custom_resource import handler

    fake = FakeOpenSearch()
    try:
        handler(custom_resource_event("Create", cloudformation.url + "/response", fake.url), None)
        handler(custom_resource_event("Update", cloudformation.url + "/response", fake.url), None)
    finally:
        fake.close()
    [(_, _, _, created), (_, _, _, updated)] = cloudformation.requests
    assert created["Status"] == "SUCCESS" and created["Data"]["Changes"] > 10
    assert updated["Status"] == "SUCCESS" and updated["Data"]["Changes"] == 0
    assert fake.templates["orders"]["template"]["settings"]["number_of_replicas"] == 0
    assert fake.role_mappings["orders_writer"]["backend_roles"] == [WRITER_ARN]


def test_dashboards_users_come_from_their_secrets_and_sign_in_as_their_roles(cloudformation, moto_url, monkeypatch):
    import boto3

    from opensearch_setup.custom_resource import handler

    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", moto_url)
    secrets = boto3.client("secretsmanager", region_name="eu-west-1", endpoint_url=moto_url)
    users = []
    for name, role in (("orders-admin", "orders_admin"), ("orders-analyst", "orders_analyst")):
        arn = secrets.create_secret(Name=f"test-{name}", SecretString=json.dumps(
            {"username": name, "password": f"S3cret-{name}-Pw"}))["ARN"]
        users.append({"Secret": arn, "Role": role})
    event = custom_resource_event("Create", cloudformation.url + "/response", "")
    fake = FakeOpenSearch()
    try:
        event["ResourceProperties"] |= {"Endpoint": fake.url, "DashboardsUsers": users}
        handler(event, None)
        fake.internal_users["orders-admin"]["password"] = "changed-by-its-owner"
        handler(event | {"RequestType": "Update"}, None)
    finally:
        fake.close()
    [created, updated] = [request[3] for request in cloudformation.requests]
    assert created["Status"] == "SUCCESS" and updated["Status"] == "SUCCESS" and updated["Data"]["Changes"] == 0
    assert fake.internal_users["orders-analyst"]["password"] == "S3cret-orders-analyst-Pw"
    assert fake.internal_users["orders-admin"]["password"] == "changed-by-its-owner"  # not reset by a deployment
    assert fake.role_mappings["orders_admin"]["users"] == ["orders-admin"]
    assert fake.role_mappings["orders_analyst"] == {**fake.role_mappings["orders_analyst"],
                                                    "users": ["orders-analyst"], "backend_roles": []}
    assert fake.role_mappings["orders_writer"]["users"] == []


def test_a_failing_custom_resource_reports_the_reason_instead_of_hanging(cloudformation):
    from opensearch_setup.custom_resource import handler

    handler(custom_resource_event("Create", cloudformation.url + "/response", f"http://127.0.0.1:{closed_port()}"), None)
    [(_, _, _, response)] = cloudformation.requests
    assert response["Status"] == "FAILED" and "ConnectionError" in response["Reason"]


def test_deleting_the_custom_resource_leaves_the_cluster_alone(cloudformation):
    from opensearch_setup.custom_resource import handler

    handler(custom_resource_event("Delete", cloudformation.url + "/response", f"http://127.0.0.1:{closed_port()}"), None)
    [(_, _, _, response)] = cloudformation.requests
    assert response["Status"] == "SUCCESS"


def test_sigv4_signs_every_request_for_amazon_opensearch_service(capsys):
    """The fake cluster checks each signature with botocore against the credentials it expects."""
    fake = FakeOpenSearch()
    fake.sigv4 = (os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"], "eu-west-1")
    try:
        options = ["--url", fake.url, "--dashboards-url", fake.url, "--auth", "sigv4"]
        assert main([*options, "--region", "eu-west-1"]) == 0
        assert fake.templates and fake.saved_objects  # signed GETs, PUTs and the multipart import all accepted
        assert main([*options, "--region", "us-east-1"]) == 1  # signed for another region: refused
        assert "HTTP 403" in capsys.readouterr().err
    finally:
        fake.close()
