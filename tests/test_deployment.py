"""template.yaml beyond the geocoder: the streams, the buckets, the OpenSearch domain and its
bootstrap custom resource. The wiring between the template and the code is read from both."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cfnlint.decode import cfn_yaml

from tests.support.fake_opensearch import FakeOpenSearch
from tests.support.http_stub import HttpStub
from tests.support.lambda_build import ROOT, RUNTIME_PACKAGES, lambda_runtime


@pytest.fixture(scope="module")
def template() -> dict:
    return cfn_yaml.load(str(ROOT / "template.yaml"))


def resources(template: dict, kind: str) -> dict[str, dict]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def test_the_bootstrap_function_ships_its_code_and_the_artefacts_only(sam_build):
    built = sam_build / "BootstrapFunction"
    assert (built / "opensearch_setup" / "custom_resource.py").is_file()
    shipped = {p.relative_to(built / "index_templates") for p in (built / "index_templates").rglob("*") if p.is_file()}
    expected = {p.relative_to(ROOT / "index_templates") for p in (ROOT / "index_templates").rglob("*.*") if p.is_file()}
    assert shipped == expected
    assert not any((built / name).exists() for name in RUNTIME_PACKAGES)


def test_the_built_bootstrap_function_sets_up_a_cluster_on_lambdas_runtime(sam_build, tmp_path):
    cluster, cloudformation = FakeOpenSearch(), HttpStub(lambda *request: (200, {}))
    event = {
        "RequestType": "Create",
        "ResponseURL": cloudformation.url,
        "StackId": "stack",
        "RequestId": "1",
        "LogicalResourceId": "OpenSearchBootstrap",
        "ResourceProperties": {"Endpoint": cluster.url, "Region": "eu-west-1", "Auth": "none", "AnalystRoles": [""]},
    }
    script = (
        f"import sys, json; sys.path[:0] = [{str(sam_build / 'BootstrapFunction')!r}, {str(lambda_runtime(tmp_path))!r}]\n"
        "from opensearch_setup.custom_resource import handler\n"
        f"handler(json.loads({json.dumps(event)!r}), None)"
    )
    try:
        result = subprocess.run([sys.executable, "-I", "-S", "-c", script], capture_output=True, text=True, timeout=60)
    finally:
        cluster.close()
        cloudformation.close()
    assert result.returncode == 0, result.stderr
    [(_, _, _, response)] = cloudformation.requests
    assert response["Status"] == "SUCCESS", response["Reason"]
    assert "orders" in cluster.templates and cluster.policies and "orders_analyst" in cluster.roles
    assert "orders_analyst" not in cluster.role_mappings  # an empty list parameter maps no one


def test_the_custom_resource_passes_what_the_handler_reads(template):
    source = (ROOT / "opensearch_setup" / "custom_resource.py").read_text()
    read = set(re.findall(r'properties(?:\.get\(\s*|\[)"(\w+)"', source)) | set(re.findall(r'"(\w+Roles)"', source))
    passed = set(template["Resources"]["OpenSearchBootstrap"]["Properties"]) - {"ServiceToken"}
    assert passed <= read
    assert {"Endpoint", "Region", "DashboardsEndpoint", "AdminRoles", "RetentionDays"} <= passed


def test_the_bootstrap_role_may_make_its_http_calls_on_the_orders_domain_only(template):
    source = (ROOT / "opensearch_setup" / "bootstrap.py").read_text()
    methods = {"GET"} | set(re.findall(r'\.send\(\s*"(\w+)"', source))
    needed = {f"es:ESHttp{method.title()}" for method in methods}
    [policy] = template["Resources"]["BootstrapFunctionRole"]["Properties"]["Policies"]
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    assert set(statements["ApplyTheArtefacts"]["Action"]) == needed
    assert statements["ApplyTheArtefacts"]["Resource"]["Fn::Sub"].endswith(":domain/${EnvironmentName}-orders/*")
    assert all("*" not in json.dumps(s["Action"]) for s in statements.values())


def test_the_domain_has_fine_grained_access_control_with_the_bootstrap_as_master(template):
    domain = template["Resources"]["OrdersDomain"]["Properties"]
    security = domain["AdvancedSecurityOptions"]
    assert security["Enabled"] and security["InternalUserDatabaseEnabled"]  # the Dashboards users
    assert security["MasterUserOptions"]["MasterUserARN"] == {"Fn::GetAtt": ["BootstrapFunctionRole", "Arn"]}
    assert domain["EncryptionAtRestOptions"]["Enabled"] and domain["NodeToNodeEncryptionOptions"]["Enabled"]
    assert domain["DomainEndpointOptions"]["EnforceHTTPS"]
    assert domain["DomainEndpointOptions"]["TLSSecurityPolicy"] == "Policy-Min-TLS-1-2-PFS-2023-10"
    assert template["Resources"]["BootstrapFunction"]["Properties"]["Role"] == {
        "Fn::GetAtt": ["BootstrapFunctionRole", "Arn"]
    }


def test_dashboards_users_are_created_from_generated_secrets_the_bootstrap_alone_reads(template):
    bootstrap = template["Resources"]["OpenSearchBootstrap"]["Properties"]
    users = {user["Secret"]["Ref"]: user["Role"] for user in bootstrap["DashboardsUsers"]}
    assert users == {"DashboardsAdminSecret": "orders_admin", "DashboardsAnalystSecret": "orders_analyst"}
    for secret in users:
        generated = template["Resources"][secret]["Properties"]["GenerateSecretString"]
        assert generated["GenerateStringKey"] == "password" and generated["PasswordLength"] >= 16
        assert json.loads(generated["SecretStringTemplate"])["username"] in ("orders-admin", "orders-analyst")
    [policy] = template["Resources"]["BootstrapFunctionRole"]["Properties"]["Policies"]
    statements = policy["PolicyDocument"]["Statement"]
    [reads] = [s for s in statements if s["Effect"] == "Allow" and "secretsmanager:GetSecretValue" in s["Action"]]
    assert sorted(r["Ref"] for r in reads["Resource"]) == sorted(users)


def test_each_dashboards_secret_rotates_through_the_function_that_sets_the_users_password(template):
    """The rotation's calls (opensearch_setup/rotation.py) are granted on the two secrets only, and
    a schedule waits for the bootstrap, which creates the users."""
    source = (ROOT / "opensearch_setup" / "rotation.py").read_text()
    calls = {"".join(w.title() for w in c.split("_")) for c in re.findall(r"secrets\.(\w+)\(", source)}
    [policy] = template["Resources"]["BootstrapFunctionRole"]["Properties"]["Policies"]
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    on_secrets = statements["ReadAndRotateTheDashboardsUsers"]
    assert {f"secretsmanager:{c}" for c in calls} == set(on_secrets["Action"]) | {"secretsmanager:GetRandomPassword"}
    assert statements["DrawNewPasswords"]["Action"] == "secretsmanager:GetRandomPassword"
    rotator = template["Resources"]["DashboardsPasswordRotator"]["Properties"]
    assert rotator["Handler"] == "opensearch_setup.rotation.handler"
    assert rotator["Role"] == {"Fn::GetAtt": ["BootstrapFunctionRole", "Arn"]}  # the master user
    schedules = resources(template, "AWS::SecretsManager::RotationSchedule")
    assert sorted(s["Properties"]["SecretId"]["Ref"] for s in schedules.values()) == sorted(
        r["Ref"] for r in on_secrets["Resource"]
    )
    for schedule in schedules.values():
        assert "OpenSearchBootstrap" in schedule["DependsOn"]
        assert schedule["Properties"]["RotationLambdaARN"] == {"Fn::GetAtt": ["DashboardsPasswordRotator", "Arn"]}


def test_streams_are_encrypted_and_named_for_the_job(template):
    streams = resources(template, "AWS::Kinesis::Stream")
    assert {s["Properties"]["Name"]["Fn::Sub"] for s in streams.values()} == {
        f"${{EnvironmentName}}-{name}" for name in ("customers", "addresses", "sales")
    }
    assert all(s["Properties"]["StreamEncryption"]["EncryptionType"] == "KMS" for s in streams.values())


def test_every_bucket_is_encrypted_private_and_tls_only(template):
    buckets = resources(template, "AWS::S3::Bucket")
    assert set(buckets) == {"LakeBucket", "CuratedBucket", "ArtifactsBucket", "AccessLogsBucket"}
    policies = {p["Properties"]["Bucket"]["Ref"]: p for p in resources(template, "AWS::S3::BucketPolicy").values()}
    for name, bucket in buckets.items():
        properties = bucket["Properties"]
        assert properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert all(properties["PublicAccessBlockConfiguration"].values()), name
        statement = policies[name]["Properties"]["PolicyDocument"]["Statement"][0]
        assert statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_every_bucket_logs_its_accesses_under_a_prefix_of_its_own(template):
    buckets = resources(template, "AWS::S3::Bucket")
    logged = {n: b["Properties"]["LoggingConfiguration"] for n, b in buckets.items() if n != "AccessLogsBucket"}
    assert len(logged) == 3 and all(c["DestinationBucketName"] == {"Ref": "AccessLogsBucket"} for c in logged.values())
    prefixes = [c["LogFilePrefix"] for c in logged.values()]
    assert len(set(prefixes)) == 3 and all(p.endswith("/") for p in prefixes)
    logs = buckets["AccessLogsBucket"]
    assert logs["DeletionPolicy"] == "Retain"  # the trail outlives the stack, and expires
    assert logs["Properties"]["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == {"Ref": "LogRetentionDays"}
    policy = template["Resources"]["AccessLogsBucketPolicy"]["Properties"]["PolicyDocument"]
    [delivery] = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"} and delivery["Action"] == "s3:PutObject"
    assert delivery["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def checkov_report(template: Path) -> dict:
    checkov = ROOT / "build" / "checkov" / "bin" / "checkov"  # installed by scripts/setup.sh
    command = [checkov, "-f", template, "--framework", "cloudformation", "--skip-download", "--output", "json"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def checkov_reports(tmp_path_factory) -> dict[str, dict]:
    """checkov over the SAM template and over what SAM expands it into (the functions' generated
    roles, URLs and versions), every conditional resource included."""
    from tests.support.sam_transform import transformed_template

    expanded = transformed_template(tmp_path_factory.mktemp("sam"), StartFlinkApplication="true")
    return {"sam": checkov_report(ROOT / "template.yaml"), "transformed": checkov_report(expanded)}


@pytest.mark.parametrize("kind", ["sam", "transformed"])
def test_checkov_finds_nothing_the_template_does_not_explain(checkov_reports, kind):
    """Every finding is fixed or skipped in the template with its reason (next tests)."""
    report = checkov_reports[kind]
    failed = [(f["check_id"], f["resource"]) for f in report["results"]["failed_checks"]]
    assert failed == [] and report["summary"]["passed"] > 50


def skips(template: dict) -> set[tuple[str, str]]:
    return {
        (skip["id"], name)
        for name, resource in template["Resources"].items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    }


def test_every_checkov_skip_gives_its_reason(template):
    for name, resource in template["Resources"].items():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]) and len(skip["comment"]) > 20, (name, skip)


def test_every_checkov_skip_skips_a_check_that_runs(template, checkov_reports):
    """A skip of a check checkov does not run on that resource (one for another framework) says
    nothing and hides nothing: there is none."""
    skipped = {
        (check["check_id"], check["resource"].rsplit(".", 1)[-1])
        for report in checkov_reports.values()
        for check in report["results"]["skipped_checks"]
    }
    assert skips(template) - skipped == set()


def hive_leaves(name: str, kind: str) -> dict[str, str]:
    """path -> Hive type of each leaf of a column (struct fields flattened; a location is a leaf)."""
    if not kind.startswith("struct<") or name.endswith((".location", ".coarse_location")):
        return {name: kind}
    fields, depth, start, body = [], 0, 0, kind[len("struct<") : -1]
    for position, char in enumerate(body + ","):
        depth += {"<": 1, "(": 1, ">": -1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            fields.append(body[start:position])
            start = position + 1
    leaves = {}
    for field in fields:
        field_name, field_kind = field.split(":", 1)
        leaves |= hive_leaves(f"{name}.{field_name}", field_kind)
    return leaves


def test_the_athena_table_has_every_field_of_the_order_document_and_projects_dt(template):
    from tests.support.contract import schema, schema_leaves

    table = template["Resources"]["OrdersTable"]["Properties"]["TableInput"]
    columns = {}
    for column in table["StorageDescriptor"]["Columns"]:
        columns |= hive_leaves(column["Name"], column["Type"])
    order = schema("order")
    expected = schema_leaves(order, order["$defs"])
    assert set(columns) == set(expected)
    assert columns["net_paid"] == "decimal(15,2)" and columns["bill_customer.address.gmt_offset"] == "decimal(5,2)"
    assert columns["ship_customer.address.location"] == "struct<lat:double,lon:double>"
    assert columns["ship_customer.address.coarse_location"] == "struct<lat:decimal(5,2),lon:decimal(5,2)>"
    assert [k["Name"] for k in table["PartitionKeys"]] == ["dt"]
    assert table["Parameters"]["projection.enabled"] == "true"
    assert table["Parameters"]["storage.location.template"]["Fn::Sub"].endswith("/orders/dt=${!dt}/")


def test_alarms_watch_every_part_and_notify_the_topic(template):
    watched = set()
    for alarm in resources(template, "AWS::CloudWatch::Alarm").values():
        properties = alarm["Properties"]
        assert properties["AlarmActions"] == [{"Ref": "AlarmTopic"}]
        # a plain alarm, a metric-math one over a single metric, or a Metrics Insights query
        if "MetricName" in properties or any("MetricStat" in m for m in properties["Metrics"]):
            metric = (
                properties
                if "MetricName" in properties
                else next(m["MetricStat"]["Metric"] for m in properties["Metrics"] if "MetricStat" in m)
            )
            target = [d["Value"]["Ref"] for d in metric["Dimensions"] if d["Value"]["Ref"] != "AWS::AccountId"]
            watched.add((metric["MetricName"], *target))
            continue
        [query] = [m["Expression"]["Fn::Sub"] for m in properties["Metrics"]]
        found = re.fullmatch(
            r"SELECT MAX\((\w+)\) FROM \"AWS/KinesisAnalytics\"\s+WHERE Application = '\$\{(\w+)\}'\s*", query
        )
        assert found, query
        assert f'"{found[1]}"' in (ROOT / "flink_app" / "geocoding.py").read_text()  # the job registers it
        watched.add(found.groups())
    assert watched == {
        ("Errors", "GeocoderFunction"),
        ("Throttles", "GeocoderFunction"),
        ("ClusterStatus.red", "OrdersDomain"),
        ("ThreadpoolWriteRejected", "OrdersDomain"),
        ("downtime", "FlinkApplication"),
        ("numberOfFailedCheckpoints", "FlinkApplication"),
        ("failed_addresses_per_second", "FlinkApplication"),  # the job's own metric (flink_app/geocoding.py)
        *{("GetRecords.IteratorAgeMilliseconds", f"{s}Stream") for s in ("Customers", "Addresses", "Sales")},
    }


def test_cloudwatch_may_publish_to_the_alarm_topic_through_its_key(template):
    """CloudWatch cannot publish to a topic encrypted with the AWS managed key alias/aws/sns: the
    topic's key is the stack's own, and its policy lets CloudWatch use it for this account only."""
    topic = template["Resources"]["AlarmTopic"]["Properties"]
    assert topic["KmsMasterKeyId"] == {"Ref": "AlarmTopicKey"}
    key = template["Resources"]["AlarmTopicKey"]["Properties"]
    assert key["EnableKeyRotation"]
    [cloudwatch] = [
        s for s in key["KeyPolicy"]["Statement"] if s["Principal"].get("Service") == "cloudwatch.amazonaws.com"
    ]
    assert sorted(cloudwatch["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert cloudwatch["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def test_the_domain_publishes_its_audit_logs_to_a_group_only_opensearch_may_write(template):
    domain = template["Resources"]["OrdersDomain"]
    audit = domain["Properties"]["LogPublishingOptions"]["AUDIT_LOGS"]
    assert audit == {"Enabled": True, "CloudWatchLogsLogGroupArn": {"Fn::GetAtt": ["OpenSearchAuditLogGroup", "Arn"]}}
    assert domain["DependsOn"] == "OpenSearchLogsPolicy"
    policy = template["Resources"]["OpenSearchLogsPolicy"]["Properties"]["PolicyDocument"]["Fn::Sub"]
    [statement] = json.loads(policy)["Statement"]
    assert statement["Principal"] == {"Service": "es.amazonaws.com"}
    assert statement["Resource"] == "${OpenSearchAuditLogGroup.Arn}"
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "${AWS::AccountId}"}
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"].endswith(":domain/${EnvironmentName}-orders")
