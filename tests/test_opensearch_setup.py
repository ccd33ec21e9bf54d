"""The OpenSearch bootstrap (`python -m opensearch_setup`) over real HTTP against the real local
node (opensearch_setup.local). Dashboards cannot run here, and the node has no ISM (not on Maven
Central): those parts, and SigV4 signatures, are checked against the fake of tests/support/fake_opensearch.py."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from opensearch_setup.__main__ import main
from opensearch_setup.bootstrap import FIRST_INDEX, POLICY_ID, READ_ALIAS, ROLES, WRITE_ALIAS
from opensearch_setup.http import Auth, JsonHttp, OpenSearchError
from tests.support.fake_opensearch import FakeOpenSearch
from tests.support.http_stub import closed_port
from tests.support.opensearch_node import admin, reset

ANALYST_ARN = "arn:aws:iam::123456789012:role/analysts"
WRITER_ARN = "arn:aws:iam::123456789012:role/flink-job"


@pytest.fixture
def dashboards():
    fake = FakeOpenSearch()
    yield fake
    fake.close()


@pytest.fixture
def cluster(opensearch, monkeypatch):
    """The real node, emptied of what an earlier test made, and its admin's credentials in the
    environment the CLI reads them from."""
    reset(opensearch)
    monkeypatch.setenv("OPENSEARCH_USERNAME", opensearch.username)
    monkeypatch.setenv("OPENSEARCH_PASSWORD", opensearch.password)
    return opensearch


def run(url: str, *options: str, capsys, dashboards: FakeOpenSearch | None = None, auth: str = "basic") -> list[str]:
    arguments = ["--url", url, "--auth", auth, "--analyst-role", ANALYST_ARN, "--writer-role", WRITER_ARN, *options]
    if dashboards:
        arguments += ["--dashboards-url", dashboards.url]
    assert main(arguments) == 0
    return capsys.readouterr().out.splitlines()


def test_the_first_run_applies_everything_and_the_second_changes_nothing(cluster, dashboards, capsys):
    first = run(cluster.url, capsys=capsys, dashboards=dashboards)
    assert "created index template orders (new indices take it)" in first
    assert f"created index {FIRST_INDEX} with write alias {WRITE_ALIAS}" in first
    assert {
        "created role orders_analyst",
        "created role orders_writer",
        "created role orders_admin",
        "created role mapping orders_analyst",
        "created role mapping orders_writer",
    } <= set(first)
    assert sum(line.startswith("imported ") for line in first) == 7  # every saved object
    http = admin(cluster)
    assert set(ROLES) <= set(http.get("/_plugins/_security/api/roles"))
    assert http.get("/_plugins/_security/api/rolesmapping/orders_writer")["orders_writer"]["backend_roles"] == [
        WRITER_ARN
    ]
    settings = http.get(f"/{FIRST_INDEX}/_settings")[FIRST_INDEX]["settings"]["index"]
    assert settings["codec"] == "best_compression" and settings["number_of_replicas"] == "1"
    assert run(cluster.url, capsys=capsys, dashboards=dashboards) == [
        "nothing to change: the cluster already has every artefact"
    ]


def test_without_ism_the_bootstrap_says_so_and_leaves_only_the_rollover_setting_out(cluster, capsys, caplog):
    run(cluster.url, capsys=capsys)
    assert any("no index-management plugin" in record.message for record in caplog.records)
    settings = admin(cluster).get(f"/{FIRST_INDEX}/_settings")[FIRST_INDEX]["settings"]["index"]
    assert "plugins" not in settings


def test_the_write_alias_points_at_one_index_that_the_read_alias_also_covers(cluster, capsys):
    run(cluster.url, capsys=capsys)
    http = admin(cluster)
    writers = http.get(f"/_alias/{WRITE_ALIAS}")
    write_indices = [index for index, found in writers.items() if found["aliases"][WRITE_ALIAS].get("is_write_index")]
    assert write_indices == [FIRST_INDEX]
    assert set(writers) <= set(http.get(f"/_alias/{READ_ALIAS}"))


def test_a_changed_parameter_updates_only_what_it_touches(cluster, capsys):
    run(cluster.url, capsys=capsys)
    assert run(cluster.url, "--replicas", "0", capsys=capsys) == ["updated index template orders (new indices take it)"]
    template = admin(cluster).get("/_index_template/orders")["index_templates"][0]["index_template"]
    assert template["template"]["settings"]["index"]["number_of_replicas"] == "0"


def test_a_role_changed_by_hand_is_put_back(cluster, capsys):
    run(cluster.url, capsys=capsys)
    admin(cluster).send(
        "PUT",
        "/_plugins/_security/api/roles/orders_analyst",
        {"index_permissions": [{"index_patterns": ["*"], "allowed_actions": ["read"]}]},
    )
    assert run(cluster.url, capsys=capsys) == ["updated role orders_analyst"]


def test_with_ism_the_policy_comes_before_the_first_index_and_follows_the_retention(capsys):
    """ISM against the fake (the plugin is not on Maven Central): the policy is written before the
    first index, whose creation attaches it; a changed retention updates the policy alone."""
    fake = FakeOpenSearch()
    try:
        first = run(fake.url, "--no-security", capsys=capsys, auth="none")
        assert first.index(f"created ISM policy {POLICY_ID}") < first.index(
            f"created index {FIRST_INDEX} with write alias {WRITE_ALIAS}"
        )
        assert (
            fake.templates["orders"]["template"]["settings"]["plugins.index_state_management.rollover_alias"]
            == WRITE_ALIAS
        )
        assert run(fake.url, "--no-security", "--retention-days", "7", capsys=capsys, auth="none") == [
            f"updated ISM policy {POLICY_ID} (indices already managed keep the version they started with)"
        ]
        delete = [
            t
            for s in fake.policies[POLICY_ID]["policy"]["states"]
            for t in s["transitions"]
            if t["state_name"] == "delete"
        ]
        assert delete[0]["conditions"]["min_index_age"] == "7d"
    finally:
        fake.close()


def test_an_unreachable_cluster_is_a_clear_error(capsys):
    assert main(["--url", f"http://127.0.0.1:{closed_port()}"]) == 1
    assert "opensearch_setup:" in capsys.readouterr().err


def test_sigv4_needs_a_region(capsys):
    assert main(["--url", "https://search-x.eu-west-1.es.amazonaws.com", "--auth", "sigv4"]) == 2
    assert "--region" in capsys.readouterr().err


def custom_resource_event(request_type: str, response_url: str, endpoint: str) -> dict:
    return {
        "RequestType": request_type,
        "ResponseURL": response_url,
        "StackId": "arn:aws:cloudformation:stack/x",
        "RequestId": "r1",
        "LogicalResourceId": "OpenSearchBootstrap",
        "ResourceType": "Custom::OpenSearchBootstrap",
        "ResourceProperties": {
            "Endpoint": endpoint,
            "DashboardsEndpoint": endpoint,
            "Region": "eu-west-1",
            "Auth": "none",
            "Replicas": "0",
            "WriterRoles": [WRITER_ARN],
        },
    }


@pytest.fixture
def cloudformation():
    """Plays CloudFormation's pre-signed response URL: records each response PUT to it."""
    from tests.support.http_stub import HttpStub

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
        arn = secrets.create_secret(
            Name=f"test-{name}", SecretString=json.dumps({"username": name, "password": f"S3cret-{name}-Pw"})
        )["ARN"]
        users.append({"Secret": arn, "Role": role})
    event = custom_resource_event("Create", cloudformation.url + "/response", "")
    fake = FakeOpenSearch()
    try:
        event["ResourceProperties"] |= {"Endpoint": fake.url, "DashboardsUsers": users}
        handler(event, None)
        fake.internal_users["orders-admin"]["password"] = "changed-by-its-owner"
        handler(event | {"RequestType": "Update"}, None)
        owner_kept = fake.internal_users["orders-admin"]["password"]
        rotated = {"username": "orders-analyst", "password": "R0tated-orders-analyst-Pw"}
        secrets.put_secret_value(SecretId=users[1]["Secret"], SecretString=json.dumps(rotated))
        handler(event | {"RequestType": "Update"}, None)
    finally:
        fake.close()
    [created, updated, after_rotation] = [request[3] for request in cloudformation.requests]
    assert created["Status"] == "SUCCESS" and updated["Status"] == "SUCCESS" and updated["Data"]["Changes"] == 0
    assert owner_kept == "changed-by-its-owner"  # a deployment alone resets no password
    assert after_rotation["Data"]["Changes"] == 1  # a new version of the analyst's secret: its password follows
    assert fake.internal_users["orders-analyst"]["password"] == "R0tated-orders-analyst-Pw"
    assert fake.internal_users["orders-admin"]["password"] == "changed-by-its-owner"
    assert fake.role_mappings["orders_admin"]["users"] == ["orders-admin"]
    assert fake.role_mappings["orders_analyst"] == {
        **fake.role_mappings["orders_analyst"],
        "users": ["orders-analyst"],
        "backend_roles": [],
    }
    assert fake.role_mappings["orders_writer"]["users"] == []


def test_a_failing_custom_resource_reports_the_reason_instead_of_hanging(cloudformation):
    from opensearch_setup.custom_resource import handler

    handler(
        custom_resource_event("Create", cloudformation.url + "/response", f"http://127.0.0.1:{closed_port()}"), None
    )
    [(_, _, _, response)] = cloudformation.requests
    assert response["Status"] == "FAILED" and "ConnectionError" in response["Reason"]


def test_deleting_the_custom_resource_leaves_the_cluster_alone(cloudformation):
    from opensearch_setup.custom_resource import handler

    handler(
        custom_resource_event("Delete", cloudformation.url + "/response", f"http://127.0.0.1:{closed_port()}"), None
    )
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


def signs_in(cluster, password: str) -> bool:
    """Whether orders-analyst signs in with `password`."""
    try:
        JsonHttp(cluster.url, Auth("basic", "orders-analyst", password)).get("/_plugins/_security/authinfo")
    except OpenSearchError:
        return False
    return True


def test_a_dashboards_user_signs_in_with_the_newest_version_of_its_secret(cluster):
    from opensearch_setup.bootstrap import InternalUser, Parameters, bootstrap

    first = InternalUser("orders-analyst", "First-Passw0rd-of-v1", "orders_analyst", "v1")
    bootstrap(admin(cluster), None, Parameters(replicas=0, users=(first,)))
    assert bootstrap(admin(cluster), None, Parameters(replicas=0, users=(first,))) == []
    second = InternalUser("orders-analyst", "Second-Passw0rd-of-v2", "orders_analyst", "v2")
    changes = bootstrap(admin(cluster), None, Parameters(replicas=0, users=(second,)))
    assert changes == ["set the password of internal user orders-analyst from a new version of its secret"]
    assert signs_in(cluster, second.password) and not signs_in(cluster, first.password)


def test_a_rotation_gives_the_user_a_new_password_that_the_bootstrap_then_leaves_alone(cluster, moto_url, monkeypatch):
    """The rotation function's four steps, as Secrets Manager calls them, over moto's Secrets
    Manager and the real node."""
    import uuid

    import boto3

    from opensearch_setup import rotation
    from opensearch_setup.bootstrap import InternalUser, Parameters, bootstrap

    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", moto_url)
    secrets = boto3.client("secretsmanager")
    first = {"username": "orders-analyst", "password": "First-Passw0rd-before-rotation"}
    created = secrets.create_secret(Name=f"rotated-{uuid.uuid4().hex}", SecretString=json.dumps(first))
    arn, http = created["ARN"], admin(cluster)
    user = InternalUser(first["username"], first["password"], "orders_analyst", created["VersionId"])
    bootstrap(http, None, Parameters(replicas=0, users=(user,)))

    token = str(uuid.uuid4())
    rotation.draw_password(secrets, arn, token)
    rotation.draw_password(secrets, arn, token)  # called again: the same pending password
    rotation.give_to_user(secrets, http, arn, token)
    rotation.check_user(secrets, http, arn, token)
    rotation.make_current(secrets, arn, token, secrets.describe_secret(SecretId=arn)["VersionIdsToStages"])

    current = secrets.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")  # moto: by stage
    rotated = json.loads(current["SecretString"])
    assert current["VersionId"] == token and rotated["username"] == "orders-analyst"
    assert rotated["password"] != first["password"] and len(rotated["password"]) == 32

    assert signs_in(cluster, rotated["password"]) and not signs_in(cluster, first["password"])
    following = InternalUser("orders-analyst", rotated["password"], "orders_analyst", current["VersionId"])
    assert bootstrap(http, None, Parameters(replicas=0, users=(following,))) == []  # already there
    assert (
        "orders-analyst" in http.get("/_plugins/_security/api/rolesmapping/orders_analyst")["orders_analyst"]["users"]
    )


def test_a_rotation_step_that_did_not_take_fails(cluster, moto_url, monkeypatch):
    import uuid

    import boto3

    from opensearch_setup import rotation

    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", moto_url)
    secrets = boto3.client("secretsmanager")
    arn = secrets.create_secret(
        Name=f"rotated-{uuid.uuid4().hex}", SecretString=json.dumps({"username": "nobody", "password": "x" * 20})
    )["ARN"]
    token = str(uuid.uuid4())
    rotation.draw_password(secrets, arn, token)
    with pytest.raises(ValueError, match="no internal user nobody"):
        rotation.give_to_user(secrets, admin(cluster), arn, token)
    with pytest.raises(ValueError, match="holds password version None"):
        rotation.check_user(secrets, admin(cluster), arn, token)


def test_fields_the_template_gained_reach_the_write_index_made_before(cluster):
    """An index made from an older template (no coarse_location) gets the new fields, so that the
    job's documents, which carry them, are not refused by its strict mapping."""
    from opensearch_setup.bootstrap import Parameters, bootstrap, index_template
    from tests.support.opensearch_node import bulk_index

    older = index_template(Parameters(replicas=0), with_ism=False)["template"]["mappings"]
    for party in ("bill_customer", "ship_customer"):
        del older["properties"][party]["properties"]["address"]["properties"]["coarse_location"]
    http = admin(cluster)
    http.send(
        "PUT",
        f"/{FIRST_INDEX}",
        {"mappings": older, "settings": {"number_of_replicas": 0}, "aliases": {WRITE_ALIAS: {"is_write_index": True}}},
    )
    document = json.loads((Path(__file__).resolve().parent.parent / "events" / "streams" / "order.json").read_text())
    refused = bulk_index(http, [document])
    assert refused["errors"] and "strict_dynamic_mapping_exception" in json.dumps(refused)  # the test can fail
    changes = bootstrap(http, None, Parameters(replicas=0))
    assert f"added the template's new fields to index {FIRST_INDEX}" in changes
    assert not bulk_index(http, [document])["errors"]
    assert f"added the template's new fields to index {FIRST_INDEX}" not in bootstrap(
        http, None, Parameters(replicas=0)
    )


BREAK_GLASS_ARN = "arn:aws:iam::123456789012:role/break-glass"


def test_the_break_glass_role_is_mapped_as_the_master_and_unmapped_when_no_longer_named(cluster):
    """Issue 21 #5, on the real node: a principal with the break-glass backend role may administer
    security once the bootstrap names it, and not after a run that stops naming it; the mappings'
    other principals (the master user: here the node's admin) stay."""
    from opensearch_setup.bootstrap import MASTER_ROLES, Parameters, bootstrap

    http = admin(cluster)
    password = "Tq7-Wx2#Pv9-Lz4k"
    http.send(
        "PUT", "/_plugins/_security/api/internalusers/glass", {"password": password, "backend_roles": [BREAK_GLASS_ARN]}
    )
    glass = JsonHttp(cluster.url, Auth("basic", "glass", password))
    present = [name for name in MASTER_ROLES if http.get(f"/_plugins/_security/api/roles/{name}")]
    assert "all_access" in present  # the open-source node has no security_manager (Amazon's own)
    before = {name: http.get(f"/_plugins/_security/api/rolesmapping/{name}") for name in present}

    def administers_security() -> bool:
        try:
            glass.get("/_plugins/_security/api/rolesmapping")
        except OpenSearchError:
            return False
        return True

    assert not administers_security()
    named = Parameters(replicas=0, break_glass_roles=(BREAK_GLASS_ARN,))
    changes = bootstrap(http, None, named)
    assert [c for c in changes if "break-glass" in c] == [
        f"mapped the break-glass admins {BREAK_GLASS_ARN} to {name}" for name in present
    ]
    assert administers_security()
    assert not [c for c in bootstrap(http, None, named) if "break-glass" in c]  # a second run changes nothing
    bootstrap(http, None, Parameters(replicas=0, former_break_glass_roles=(BREAK_GLASS_ARN,)))
    assert not administers_security()
    after = {name: http.get(f"/_plugins/_security/api/rolesmapping/{name}") for name in present}
    assert after["all_access"]["all_access"]["backend_roles"] == before["all_access"]["all_access"]["backend_roles"]
    assert http.get("/_plugins/_security/api/rolesmapping/all_access")  # the admin still administers


def test_an_update_unmaps_the_break_glass_role_the_stack_no_longer_names(cloudformation):
    from opensearch_setup.custom_resource import handler

    fake = FakeOpenSearch()
    other = "arn:aws:iam::123456789012:role/other-break-glass"
    try:
        created = custom_resource_event("Create", cloudformation.url + "/response", fake.url)
        created["ResourceProperties"]["BreakGlassRoles"] = [BREAK_GLASS_ARN]
        handler(created, None)
        updated = custom_resource_event("Update", cloudformation.url + "/response", fake.url)
        updated["ResourceProperties"]["BreakGlassRoles"] = [other]
        updated["OldResourceProperties"] = created["ResourceProperties"]
        handler(updated, None)
    finally:
        fake.close()
    assert all(response["Status"] == "SUCCESS" for *_, response in cloudformation.requests)
    assert fake.role_mappings["all_access"]["backend_roles"] == [other]
    assert fake.role_mappings["security_manager"]["backend_roles"] == [other]
