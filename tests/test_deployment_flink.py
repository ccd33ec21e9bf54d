"""template.yaml's Flink application: the property groups it passes are a configuration the job
accepts for MSF, and its role grants each call the job (and MSF for it) makes, on those resources
only. The template is read with its parameters' defaults (or the ones a test sets), intrinsic
functions rendered as text: `<Name>` for a resource, `<Name.Attribute>` for Fn::GetAtt."""

from __future__ import annotations

import fnmatch
import json
import re

import pytest
from cfnlint.decode import cfn_yaml

from flink_app.config import PROPERTIES, build_config
from tests.support.lambda_build import ROOT

RUN_OPTIONS = "kinesis.analytics.flink.run.options"
NO_VALUE = object()


class Rendered:
    """The template under one choice of parameters."""

    def __init__(self, template: dict, **parameters: str):
        self.template = template
        self.parameters = {name: str(p.get("Default", "")) for name, p in template["Parameters"].items()} | parameters

    def value(self, node: object) -> object:
        if isinstance(node, list):
            return [v for v in (self.value(item) for item in node) if v is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) != 1 or not next(iter(node)).startswith(("Fn::", "Ref")):
            return {k: v for k, v in ((k, self.value(v)) for k, v in node.items()) if v is not NO_VALUE}
        [(function, argument)] = node.items()
        if function == "Ref":
            if self.template["Parameters"].get(argument, {}).get("Type") == "CommaDelimitedList":
                return self.parameters[argument].split(",")
            return {"AWS::NoValue": NO_VALUE}.get(argument) or self.parameters.get(argument, f"<{argument}>")
        if function == "Fn::GetAtt":  # the shape the job checks, where it checks one
            name, attribute = argument
            if attribute == "Arn" and self.template["Resources"][name]["Type"] == "AWS::Kinesis::Stream":
                return f"arn:<AWS::Partition>:kinesis:<AWS::Region>:<AWS::AccountId>:stream/<{name}>"
            if attribute == "FunctionUrl":  # of SAM's FunctionUrlConfig
                return f"https://<{name}>.lambda-url.<AWS::Region>.on.aws/"
            return f"<{name}.{attribute}>"
        if function == "Fn::Sub":
            return re.sub(r"\$\{([^}]+)\}", lambda m: self._substitute(m.group(1)), argument)
        if function == "Fn::If":
            condition, when_true, when_false = argument
            return self.value(when_true if self.condition(condition) else when_false)
        if function == "Fn::Select":
            index, items = argument
            return self.value(items)[int(index)]
        if function == "Fn::Split":
            return str(self.value(argument[1])).split(argument[0])
        if function == "Fn::Join":  # a list, or a CommaDelimitedList parameter (its text)
            items = self.value(argument[1])
            return argument[0].join(items.split(",") if isinstance(items, str) else map(str, items))
        raise AssertionError(f"no rendering for {function}")

    def _substitute(self, name: str) -> str:
        if name in self.parameters:
            return self.parameters[name]
        if "." in name and not name.startswith("AWS::"):
            return self.value({"Fn::GetAtt": name.split(".", 1)})
        return f"<{name}>"

    def condition(self, name: str) -> bool:
        return self._truth(self.template["Conditions"][name])

    def _truth(self, node: dict) -> bool:
        [(function, argument)] = node.items()
        if function == "Fn::Not":
            return not self._truth(argument[0])
        if function == "Fn::And":
            return all(self._truth(a) for a in argument)
        if function == "Condition":
            return self.condition(argument)
        if function == "Fn::Equals":
            left, right = (self.value(a) for a in argument)
            return str(left) == str(right)
        raise AssertionError(f"no condition {function}")

    def properties(self, resource: str) -> dict:
        return self.value(self.template["Resources"][resource]["Properties"])


@pytest.fixture(scope="module")
def template() -> dict:
    return cfn_yaml.load(str(ROOT / "template.yaml"))


def property_groups(rendered: Rendered) -> dict[str, dict[str, str]]:
    groups = rendered.properties("FlinkApplication")["ApplicationConfiguration"]["EnvironmentProperties"][
        "PropertyGroups"
    ]
    return {g["PropertyGroupId"]: {k: str(v) for k, v in g["PropertyMap"].items()} for g in groups}


def test_the_property_groups_are_a_configuration_the_job_accepts_for_msf(template):
    groups = property_groups(Rendered(template))
    assert set(groups) == set(PROPERTIES) - {"bus"} | {RUN_OPTIONS}
    config = build_config(groups)
    assert config.msf and config.bus is None
    assert config.kinesis.stream_arns == {
        name: f"arn:<AWS::Partition>:kinesis:<AWS::Region>:<AWS::AccountId>:stream/<{name.title()}Stream>"
        for name in ("customers", "addresses", "sales")
    }
    assert config.kinesis.region == "<AWS::Region>"
    assert (config.reference.items, config.reference.promos) == (
        "s3://<LakeBucket>/reference/items",
        "s3://<LakeBucket>/reference/promos",
    )
    assert config.curated_path == "s3://<CuratedBucket>"
    assert config.geocoder.url == "https://<GeocoderFunctionUrl>.lambda-url.<AWS::Region>.on.aws/"
    assert config.geocoder.sigv4_region == "<AWS::Region>"
    assert (config.opensearch.url, config.opensearch.sigv4_region) == (
        "https://<OrdersDomain.DomainEndpoint>",
        "<AWS::Region>",
    )
    assert config.checkpoint_interval_ms == 60_000  # the same interval as the application's CheckpointConfiguration
    checkpoints = Rendered(template).properties("FlinkApplication")["ApplicationConfiguration"][
        "FlinkApplicationConfiguration"
    ]["CheckpointConfiguration"]
    assert checkpoints["CheckpointInterval"] == "60000"


def test_the_curated_table_reads_where_the_job_writes(template):
    rendered = Rendered(template)
    curated = build_config(property_groups(rendered)).curated_path
    table = rendered.properties("OrdersTable")["TableInput"]
    assert table["StorageDescriptor"]["Location"] == f"{curated}/orders/"


# Each call the job makes: (action, resource, condition values it brings), and who makes it.
def job_calls(rendered: Rendered) -> list[tuple[str, str, dict[str, str]]]:
    config = build_config(property_groups(rendered))
    streams = list(config.kinesis.stream_arns.values())
    lake = "<LakeBucket.Arn>"
    curated = "<CuratedBucket.Arn>"
    calls = [
        ("s3:GetObject", "<ArtifactsBucket.Arn>/flink-application/streaming-orders-0123.zip", {}),  # MSF: the code
        ("s3:GetObjectVersion", "<ArtifactsBucket.Arn>/flink-application/streaming-orders-0123.zip", {}),
        # flink_app.reference: list the reference folder, read its files
        ("s3:ListBucket", lake, {"s3:prefix": "reference/items/"}),
        ("s3:GetObject", f"{lake}/reference/items/items.csv", {}),
        # the geocoding client, SigV4 for service lambda
        ("lambda:InvokeFunctionUrl", "<GeocoderFunction.Arn>", {"lambda:FunctionUrlAuthType": "AWS_IAM"}),
        ("lambda:InvokeFunction", "<GeocoderFunction.Arn>", {"lambda:InvokedViaFunctionUrl": "true"}),
        # the OpenSearch sink (BulkClient: POST {url}/{index}/_bulk)
        ("es:ESHttpPost", f"<OrdersDomain.Arn>/{config.opensearch.index}/_bulk", {}),
        # MSF writes the application log to the log stream
        ("logs:DescribeLogGroups", "arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:x", {}),
        ("logs:DescribeLogStreams", "<FlinkLogGroup.Arn>", {}),
        ("logs:PutLogEvents", "<FlinkLogGroup.Arn>", {}),
    ]
    for stream in streams:  # the Kinesis source (ShardsEnumerator lists, ShardReader reads)
        calls += [(f"kinesis:{action}", stream, {}) for action in ("ListShards", "GetShardIterator", "GetRecords")]
    for prefix in ("orders/dt=2026-11-26/", "dlq/opensearch/"):  # the file sinks (committed on checkpoints)
        calls.append(("s3:ListBucket", curated, {"s3:prefix": prefix}))
        calls += [
            (action, f"{curated}/{prefix}part-0", {})
            for action in (
                "s3:PutObject",
                "s3:GetObject",
                "s3:DeleteObject",
                "s3:AbortMultipartUpload",
                "s3:ListMultipartUploadParts",
            )
        ]
    if rendered.condition("InVpc"):  # MSF attaches the application to the subnets
        calls += [
            (f"ec2:{action}", "*", {})
            for action in (
                "DescribeVpcs",
                "DescribeSubnets",
                "DescribeSecurityGroups",
                "DescribeDhcpOptions",
                "DescribeNetworkInterfaces",
            )
        ]
        calls += [
            (
                "ec2:CreateNetworkInterface",
                "arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:subnet/subnet-1",
                {},
            ),
            (
                "ec2:CreateNetworkInterface",
                "arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:security-group/sg-1",
                {},
            ),
            *[
                (f"ec2:{action}", "arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:network-interface/eni-1", {})
                for action in ("CreateNetworkInterface", "CreateNetworkInterfacePermission", "DeleteNetworkInterface")
            ],
        ]
    return calls


def grants(statement: dict, action: str, resource: str, context: dict[str, str]) -> bool:
    actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
    resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
    if action not in actions or not any(fnmatch.fnmatchcase(resource, pattern) for pattern in resources):
        return False
    for operator, tests in statement.get("Condition", {}).items():
        for key, expected in tests.items():
            allowed = expected if isinstance(expected, list) else [expected]
            match = fnmatch.fnmatchcase if operator == "StringLike" else str.__eq__
            if key not in context or not any(match(context[key], value) for value in allowed):
                return False
    return True


@pytest.mark.parametrize(
    "parameters", [{}, {"VpcSubnetIds": "subnet-1", "VpcSecurityGroupIds": "sg-1"}], ids=["defaults", "in-a-vpc"]
)
def test_the_role_grants_each_call_of_the_job_and_nothing_else(template, parameters):
    rendered = Rendered(template, **parameters)
    role = rendered.properties("FlinkApplicationRole")
    policy = rendered.properties("FlinkApplicationPolicy")
    assert policy["RoleName"] == "<FlinkApplicationRole>" and "Policies" not in role
    statements = policy["PolicyDocument"]["Statement"]
    calls = job_calls(rendered)
    for action, resource, context in calls:
        assert any(grants(s, action, resource, context) for s in statements), (action, resource)
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        for action in actions:  # every action granted is one the job makes, on one of the statement's resources
            assert any(a == action and grants(statement, a, r, c) for a, r, c in calls), (statement["Sid"], action)
        if statement["Resource"] == "*":  # only where the service has no resource-level permissions
            assert all(a.startswith("ec2:Describe") for a in actions), statement["Sid"]
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "kinesisanalytics.amazonaws.com"}
    name = rendered.properties("FlinkApplication")["ApplicationName"]
    assert trust["Condition"]["StringEquals"] == {  # only this account's application may assume it
        "aws:SourceAccount": "<AWS::AccountId>",
        "aws:SourceArn": f"arn:<AWS::Partition>:kinesisanalytics:<AWS::Region>:<AWS::AccountId>:application/{name}",
    }


def test_the_opensearch_writer_role_is_the_applications(template):
    bootstrap = Rendered(template).properties("OpenSearchBootstrap")
    assert bootstrap["WriterRoles"] == ["<FlinkApplicationRole.Arn>"]


def test_the_application_reads_the_package_the_publisher_writes(template):
    rendered = Rendered(template)
    code = rendered.properties("FlinkApplication")["ApplicationConfiguration"]["ApplicationCodeConfiguration"]
    assert code["CodeContent"]["S3ContentLocation"] == {
        "BucketARN": "<ArtifactsBucket.Arn>",
        "FileKey": "<FlinkApplicationCode.FileKey>",
        "ObjectVersion": "<FlinkApplicationCode.ObjectVersion>",  # pinned: the key cannot be swapped under it
    }
    publisher = rendered.properties("FlinkApplicationCode")
    assert publisher["Bucket"] == "<ArtifactsBucket>"
    written = f"<ArtifactsBucket.Arn>/{publisher['Prefix']}streaming-orders-0123.zip"
    [statement] = rendered.properties("FlinkApplicationPublisher")["Policies"][0]["Statement"]
    assert grants(statement, "s3:PutObject", written, {}) and grants(statement, "s3:DeleteObject", written, {})
    assert rendered.properties("FlinkApplication")["RuntimeEnvironment"] == "FLINK-2_2"
    assert json.dumps(rendered.properties("FlinkApplicationLogging")).count("<FlinkLogGroup>") == 1


def test_the_role_reaches_nothing_next_to_what_the_job_uses(template):
    """Calls the job never makes, on resources beside its own: a broadened grant would allow one."""
    rendered = Rendered(template)
    policy = rendered.properties("FlinkApplicationPolicy")
    other_stream = "arn:<AWS::Partition>:kinesis:<AWS::Region>:<AWS::AccountId>:stream/other"
    beside = [
        ("es:ESHttpPost", "<OrdersDomain.Arn>/orders/_doc/1", {}),
        ("es:ESHttpPost", "<OrdersDomain.Arn>/_plugins/_security/api/rolesmapping/all_access", {}),
        ("es:ESHttpPut", "<OrdersDomain.Arn>/orders-write/_bulk", {}),
        ("s3:PutObject", "<CuratedBucket.Arn>/elsewhere/x", {}),
        ("s3:ListBucket", "<CuratedBucket.Arn>", {"s3:prefix": "elsewhere/"}),
        ("s3:PutObject", "<LakeBucket.Arn>/reference/items/items.csv", {}),
        ("s3:GetObject", "<LakeBucket.Arn>/raw/customers.json", {}),
        ("s3:ListBucket", "<LakeBucket.Arn>", {"s3:prefix": "raw/"}),
        ("s3:GetObject", "<ArtifactsBucket.Arn>/other/x.zip", {}),
        ("s3:PutObject", "<ArtifactsBucket.Arn>/flink-application/x.zip", {}),
        ("kinesis:GetRecords", other_stream, {}),
        (
            "kinesis:SubscribeToShard",
            "arn:<AWS::Partition>:kinesis:<AWS::Region>:<AWS::AccountId>:stream/<SalesStream>/consumer/x:1",
            {},
        ),
        ("kinesis:DescribeStreamSummary", other_stream, {}),
        ("kinesis:PutRecords", "arn:<AWS::Partition>:kinesis:<AWS::Region>:<AWS::AccountId>:stream/<SalesStream>", {}),
        ("lambda:InvokeFunctionUrl", "<GeocoderFunction.Arn>", {"lambda:FunctionUrlAuthType": "NONE"}),
        ("lambda:InvokeFunctionUrl", "<BootstrapFunction.Arn>", {"lambda:FunctionUrlAuthType": "AWS_IAM"}),
        ("lambda:InvokeFunction", "<GeocoderFunction.Arn>", {}),  # a direct Invoke, not through the URL
        ("lambda:InvokeFunction", "<GeocoderFunction.Arn>", {"lambda:InvokedViaFunctionUrl": "false"}),
        ("lambda:InvokeFunction", "<BootstrapFunction.Arn>", {"lambda:InvokedViaFunctionUrl": "true"}),
        ("logs:PutLogEvents", "<GeocoderLogGroup.Arn>", {}),
    ]
    for action, resource, context in beside:
        assert not any(grants(s, action, resource, context) for s in policy["PolicyDocument"]["Statement"]), (
            action,
            resource,
        )


def test_the_starter_may_start_this_application_only(template):
    rendered = Rendered(template)
    name = rendered.properties("FlinkApplication")["ApplicationName"]
    application = f"arn:<AWS::Partition>:kinesisanalytics:<AWS::Region>:<AWS::AccountId>:application/{name}"
    [statement] = rendered.properties("FlinkApplicationStarter")["Policies"][0]["Statement"]
    assert sorted(statement["Action"]) == ["kinesisanalytics:DescribeApplication", "kinesisanalytics:StartApplication"]
    assert statement["Resource"] == application
    assert rendered.properties("FlinkApplicationStart")["ApplicationName"] == "<FlinkApplication>"
    assert template["Resources"]["FlinkApplicationStart"]["Condition"] == "StartTheApplication"
    assert Rendered(template, StartFlinkApplication="true").condition("StartTheApplication")
    assert not rendered.condition("StartTheApplication")  # by default: the reference data must be there first


@pytest.mark.parametrize(
    ("providers", "granted"), [("offline", False), ("geopy:nominatim", False), ("offline,aws-location", True)]
)
def test_the_geocoder_may_call_amazon_location_only_when_its_chain_names_it(template, providers, granted):
    policies = Rendered(template, GeocoderProviders=providers).properties("GeocoderFunction")["Policies"]
    actions = {
        a for policy in policies for s in policy["Statement"] for a in s["Action"] if isinstance(s["Action"], list)
    }
    actions |= {s["Action"] for policy in policies for s in policy["Statement"] if isinstance(s["Action"], str)}
    assert ("geo-places:Geocode" in actions) == granted


@pytest.mark.parametrize("readers", ["", "arn:aws:iam::1:role/athena,arn:aws:iam::1:role/glue"])
def test_only_the_job_and_the_named_readers_may_decrypt_the_curated_objects(template, readers):
    rendered = Rendered(template, CuratedReaderArns=readers)
    encryption = rendered.properties("CuratedBucket")["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption[0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": "<CuratedBucketKey.Arn>",
    }
    users: dict[str, set[str]] = {}
    for statement in rendered.properties("CuratedBucketKey")["KeyPolicy"]["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        principals = statement["Principal"]["AWS"]
        for principal in principals if isinstance(principals, list) else [principals]:
            used = {a for a in actions if a in ("kms:Decrypt", "kms:GenerateDataKey", "kms:*")}
            if used:
                assert statement["Condition"] == {"StringEquals": {"kms:ViaService": "s3.<AWS::Region>.amazonaws.com"}}
                users.setdefault(principal, set()).update(used)
    expected = {"<FlinkApplicationRole.Arn>": {"kms:Decrypt", "kms:GenerateDataKey"}}
    expected |= {reader: {"kms:Decrypt"} for reader in readers.split(",") if reader}
    assert users == expected  # the account's root administers the key but cannot decrypt with it


def test_curated_objects_expire_after_the_retention(template):
    rules = Rendered(template, CuratedRetentionDays="90").properties("CuratedBucket")["LifecycleConfiguration"]["Rules"]
    [expiry] = [rule for rule in rules if "ExpirationInDays" in rule]
    assert expiry["ExpirationInDays"] == "90" and expiry["Status"] == "Enabled" and "Prefix" not in expiry


DOMAIN_ACTIONS = ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut", "es:ESHttpDelete"]


def domain_access(rendered: Rendered) -> list[dict]:
    statements = rendered.properties("OrdersDomain")["AccessPolicies"]["Statement"]
    domain = "arn:<AWS::Partition>:es:<AWS::Region>:<AWS::AccountId>:domain/dev-orders/*"
    assert all(s["Effect"] == "Allow" and s["Action"] == DOMAIN_ACTIONS and s["Resource"] == domain for s in statements)
    return statements


def test_a_public_domain_admits_this_accounts_signed_requests_and_no_one_else(template):
    rendered = Rendered(template)
    assert "VPCOptions" not in rendered.properties("OrdersDomain")
    [signed] = domain_access(rendered)
    assert signed["Principal"] == {"AWS": "arn:<AWS::Partition>:iam::<AWS::AccountId>:root"}
    assert "Condition" not in signed


def test_a_public_domain_admits_unsigned_dashboards_sign_ins_only_from_the_allowed_network(template):
    signed, unsigned = domain_access(Rendered(template, DashboardsAllowedCidr="203.0.113.0/24"))
    assert signed["Principal"] == {"AWS": "arn:<AWS::Partition>:iam::<AWS::AccountId>:root"}
    assert unsigned["Principal"] == {"AWS": "*"}
    assert unsigned["Condition"] == {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}


@pytest.mark.parametrize("nodes, subnets", [("1", ["subnet-a"]), ("2", ["subnet-a", "subnet-b"])])
def test_with_subnets_the_domain_the_job_and_the_bootstrap_share_the_vpc(template, nodes, subnets):
    rendered = Rendered(
        template,
        VpcSubnetIds="subnet-a,subnet-b",
        VpcSecurityGroupIds="sg-1",
        OpenSearchInstanceCount=nodes,
        DashboardsAllowedCidr="203.0.113.0/24",  # a VPC domain has no public address to bind
    )
    domain = rendered.properties("OrdersDomain")
    assert domain["VPCOptions"] == {"SubnetIds": subnets, "SecurityGroupIds": ["sg-1"]}  # one per zone
    [inside] = domain_access(rendered)
    assert inside["Principal"] == {"AWS": "*"} and "Condition" not in inside  # only the VPC reaches it
    everywhere = {"SubnetIds": ["subnet-a", "subnet-b"], "SecurityGroupIds": ["sg-1"]}
    assert rendered.properties("FlinkApplication")["ApplicationConfiguration"]["VpcConfigurations"] == [everywhere]
    assert rendered.properties("BootstrapFunction")["VpcConfig"] == everywhere
    assert rendered.properties("BootstrapFunctionRole")["ManagedPolicyArns"] == [
        "arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
    ]
    public = Rendered(template)
    assert "VpcConfig" not in public.properties("BootstrapFunction")
    assert "ManagedPolicyArns" not in public.properties("BootstrapFunctionRole")


ADMIN = "arn:aws:iam::123456789012:role/admins"


def secret_readers(rendered: Rendered, policy: str) -> list[str]:
    properties = rendered.properties(policy)
    assert properties["BlockPublicPolicy"] is True
    [deny] = properties["ResourcePolicy"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == {"AWS": "*"}
    assert deny["Action"] == "secretsmanager:GetSecretValue"
    return deny["Condition"]["StringNotEquals"]["aws:PrincipalArn"]


@pytest.mark.parametrize("analysts", ["", "arn:aws:iam::123456789012:role/a,arn:aws:iam::123456789012:role/b"])
def test_a_dashboards_password_is_read_by_the_bootstrap_the_admins_and_its_own_users_only(template, analysts):
    rendered = Rendered(template, AdminPrincipalArn=ADMIN, AnalystRoleArns=analysts)
    assert rendered.properties("DashboardsAdminSecretPolicy")["SecretId"] == "<DashboardsAdminSecret>"
    assert secret_readers(rendered, "DashboardsAdminSecretPolicy") == ["<BootstrapFunctionRole.Arn>", ADMIN]
    analyst_readers = ["<BootstrapFunctionRole.Arn>", ADMIN] + ([a for a in analysts.split(",")] if analysts else [])
    assert secret_readers(rendered, "DashboardsAnalystSecretPolicy") == analyst_readers


def master_functions(rendered: Rendered) -> list[str]:
    """The functions that run as the domain's master user (the bootstrap's role)."""
    return [
        name
        for name, resource in rendered.template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
        and resource["Properties"].get("Role") == {"Fn::GetAtt": ["BootstrapFunctionRole", "Arn"]}
    ]


def test_the_master_users_grants_hold_in_its_own_functions_only(template):
    """Issue 21 #5: the role passed to another function, or its credentials used anywhere else,
    reach neither the domain nor the Dashboards secrets (an explicit deny beats the VPC domain's
    `Principal: *`)."""
    rendered = Rendered(template)
    assert sorted(master_functions(rendered)) == ["BootstrapFunction", "DashboardsPasswordRotator"]
    own = sorted(
        f"arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:{rendered.properties(f)['FunctionName']}"
        for f in master_functions(rendered)
    )
    [policy] = rendered.properties("BootstrapFunctionRole")["Policies"]
    statements = policy["PolicyDocument"]["Statement"]
    [deny] = [s for s in statements if s["Effect"] == "Deny"]
    assert sorted(deny["Condition"]["ArnNotEquals"]["lambda:SourceFunctionArn"]) == own
    assert deny["Resource"] == "*" and len(deny["Condition"]) == 1
    allowed = {
        action
        for s in statements
        if s["Effect"] == "Allow"
        for action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert {a for a in allowed if a.startswith(("es:", "secretsmanager:"))} == set(deny["Action"])
    assert allowed - set(deny["Action"]) == {"logs:CreateLogStream", "logs:PutLogEvents"}


@pytest.mark.parametrize("profile", ["", "arn:aws:signer:eu-west-1:123456789012:/signing-profiles/orders/abcdef"])
def test_with_a_signing_profile_only_code_it_signed_runs_as_the_master_user(template, profile):
    rendered = Rendered(template, MasterCodeSigningProfileVersionArn=profile)
    for function in master_functions(rendered):
        assert rendered.properties(function).get("CodeSigningConfigArn") == ("<MasterCodeSigning>" if profile else None)
    assert rendered.condition("SignedMasterCode") == bool(profile)
    signing = rendered.properties("MasterCodeSigning")
    assert signing["AllowedPublishers"]["SigningProfileVersionArns"] == [profile]
    assert signing["CodeSigningPolicies"]["UntrustedArtifactOnDeployment"] == "Enforce"


@pytest.mark.parametrize(("break_glass", "passed"), [("", []), (ADMIN, [ADMIN])])
def test_the_named_break_glass_role_reaches_the_bootstrap(template, break_glass, passed):
    rendered = Rendered(template, BreakGlassRoleArn=break_glass)
    given = rendered.properties("OpenSearchBootstrap")["BreakGlassRoles"]
    assert [arn for arn in given if arn] == passed  # the bootstrap drops the empty parameter
