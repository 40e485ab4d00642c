"""What a Terraform configuration deploys: resource types, the AWS services they call, and
the providers they need.

One table maps a resource or data source type to the service name botocore uses
(``aws_sfn_*`` -> ``stepfunctions``, ``aws_cloudwatch_event_*`` -> ``events``,
``aws_canonical_user_id`` -> ``s3``), so the discovery filter and the report speak of
services the way boto3 and LocalStack do.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field

from lsqm.terraform.hcl import Block, ModuleInfo

# The one place that decides which AWS service a resource or data source type calls, in the
# names botocore uses (``boto3.session.Session().get_available_services()``). A key is a run
# of whole name segments after "aws_"; the longest key that starts a type wins, and a type no
# key starts calls the service its first segment names (aws_sqs_queue -> sqs), which is the
# provider's naming rule for most services. None: the provider computes the type itself and
# calls no service. Checked against every type of hashicorp/aws 3.39.0 and 6.62.0 by
# tests/discovery/test_service_names.py.
_SERVICE: dict[str, str | None] = {
    # computed by the provider, no call
    "arn": None, "partition": None, "region": None, "default_tags": None, "service": None,
    "service_principal": None, "iam_policy_document": None, "ip_ranges": None,
    "billing_service_account": None, "cloudtrail_service_account": None,
    "elb_service_account": None, "redshift_service_account": None,
    "elb_hosted_zone_id": None, "lb_hosted_zone_id": None, "apprunner_hosted_zone_id": None,
    "elastic_beanstalk_hosted_zone": None, "cloudfront_log_delivery_canonical_user_id": None,
    "sagemaker_prebuilt_ecr_image": None, "eks_cluster_auth": None,
    "ecr_lifecycle_policy_document": None, "route53_traffic_policy_document": None,
    "networkmanager_core_network_policy_document": None,
    "cloudwatch_log_data_protection_policy_document": None,
    # data sources named after what they return
    "caller_identity": "sts", "canonical_user_id": "s3", "regions": "ec2",
    "availability_zone": "ec2", "availability_zones": "ec2",
    # EC2 (VPC, EBS, instances) under names of their own
    "ami": "ec2", "customer_gateway": "ec2", "default": "ec2", "ebs": "ec2",
    "egress_only_internet_gateway": "ec2", "eip": "ec2", "eips": "ec2", "flow_log": "ec2",
    "instance": "ec2", "instances": "ec2", "internet_gateway": "ec2", "key_pair": "ec2",
    "launch_template": "ec2", "main_route_table_association": "ec2", "nat_gateway": "ec2",
    "nat_gateways": "ec2", "network": "ec2", "placement_group": "ec2", "prefix_list": "ec2",
    "route": "ec2", "route_table": "ec2", "route_tables": "ec2", "security_group": "ec2",
    "security_groups": "ec2", "snapshot_create_volume_permission": "ec2", "spot": "ec2",
    "subnet": "ec2", "subnets": "ec2", "verifiedaccess": "ec2", "volume_attachment": "ec2",
    "vpc": "ec2", "vpcs": "ec2", "vpn": "ec2",
    # load balancers: lb/alb are v2; the classic ELB keeps its policies under other names
    "alb": "elbv2", "lb": "elbv2", "lbs": "elbv2", "app_cookie_stickiness_policy": "elb",
    "lb_cookie_stickiness_policy": "elb", "lb_ssl_negotiation_policy": "elb",
    "load_balancer": "elb", "proxy_protocol_policy": "elb",
    "launch_configuration": "autoscaling", "db": "rds",
    # first segments that are not botocore's name
    "acmpca": "acm-pca", "api_gateway": "apigateway",
    "appautoscaling": "application-autoscaling", "applicationinsights": "application-insights",
    "arcregionswitch": "arc-region-switch", "arczonalshift": "arc-zonal-shift",
    "autoscalingplans": "autoscaling-plans", "bcmdataexports": "bcm-data-exports",
    "bedrockagent": "bedrock-agent", "bedrockagentcore": "bedrock-agentcore-control",
    "chime_voice_connector": "chime-sdk-voice",
    "chimesdkmediapipelines": "chime-sdk-media-pipelines", "chimesdkvoice": "chime-sdk-voice",
    "cloudcontrolapi": "cloudcontrol", "cloudfrontkeyvaluestore": "cloudfront-keyvaluestore",
    "cloudwatch_event": "events", "cloudwatch_log": "logs",
    "cloudwatch_query_definition": "logs", "codegurureviewer": "codeguru-reviewer",
    "codestarconnections": "codestar-connections",
    "codestarnotifications": "codestar-notifications", "cognito": "cognito-idp",
    "cognito_identity_pool": "cognito-identity",
    "cognito_identity_openid_token_for_developer_identity": "cognito-identity",
    "computeoptimizer": "compute-optimizer", "costoptimizationhub": "cost-optimization-hub",
    "customerprofiles": "customer-profiles", "devopsguru": "devops-guru",
    "directory_service": "ds", "docdbelastic": "docdb-elastic", "dx": "directconnect",
    "ecrpublic": "ecr-public", "elastic_beanstalk": "elasticbeanstalk", "elasticsearch": "es",
    "emrcontainers": "emr-containers", "emrserverless": "emr-serverless",
    "kinesis_analytics": "kinesisanalytics", "kinesis_firehose": "firehose",
    "kinesis_video": "kinesisvideo", "lambdacore": "lambda-core",
    "lambdamicrovms": "lambda-microvms", "lex": "lex-models", "lexv2models": "lexv2-models",
    "licensemanager": "license-manager", "media_convert": "mediaconvert",
    "media_package": "mediapackage", "media_packagev2": "mediapackagev2",
    "media_store": "mediastore", "msk": "kafka", "mskconnect": "kafkaconnect",
    "neptunegraph": "neptune-graph", "networkfirewall": "network-firewall",
    "paymentcryptography": "payment-cryptography",
    "pinpointsmsvoicev2": "pinpoint-sms-voice-v2", "prometheus": "amp",
    "redshiftdata": "redshift-data", "redshiftserverless": "redshift-serverless",
    "resourceexplorer2": "resource-explorer-2", "resourcegroups": "resource-groups",
    "route53_resolver": "route53resolver",
    "route53recoverycontrolconfig": "route53-recovery-control-config",
    "route53recoveryreadiness": "route53-recovery-readiness",
    "s3_access_point": "s3control", "s3_account_public_access_block": "s3control",
    "serverlessapplicationrepository": "serverlessrepo", "service_discovery": "servicediscovery",
    "servicecatalogappregistry": "servicecatalog-appregistry",
    "servicequotas": "service-quotas", "sfn": "stepfunctions", "simpledb": "sdb",
    "ssmcontacts": "ssm-contacts", "ssmincidents": "ssm-incidents",
    "ssmquicksetup": "ssm-quicksetup", "ssoadmin": "sso-admin",
    "timestreaminfluxdb": "timestream-influxdb", "timestreamquery": "timestream-query",
    "timestreamwrite": "timestream-write", "vpclattice": "vpc-lattice",
    "wafregional": "waf-regional", "workspacesweb": "workspaces-web",
}  # fmt: skip

# Services AWS closed and botocore has since dropped, still declared by older Terraform; each
# name is the one botocore carried (macie: Macie Classic, before macie2).
RETIRED_SERVICES = frozenset(
    {"elastictranscoder", "evidently", "finspace", "macie", "opsworks", "qldb", "worklink"}
)

# Data sources the provider computes itself (kept for callers that list them).
LOCAL_DATA_SOURCES = frozenset(f"aws_{key}" for key, service in _SERVICE.items() if service is None)


def provider_of(type_name: str) -> str:
    """The provider a resource or data type belongs to: its name before the first ``_``."""
    return type_name.split("_", 1)[0]


@functools.lru_cache(maxsize=4096)
def service_of(type_name: str) -> str | None:
    """The AWS service (botocore's name) an ``aws_*`` resource or data source type calls;
    None for types of other providers and for those the AWS provider computes itself."""
    if not type_name.startswith("aws_"):
        return None
    segments = type_name[4:].split("_")
    for end in range(len(segments), 0, -1):
        key = "_".join(segments[:end])
        if key in _SERVICE:
            return _SERVICE[key]
    return segments[0]


@dataclass
class Inventory:
    """Sorted, de-duplicated facts about a configuration (its root and local modules)."""

    resource_types: list[str] = field(default_factory=list)
    data_types: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    providers: list[str] = field(default_factory=list)
    resources: list[tuple[str, str]] = field(default_factory=list)  # (type, name)

    @property
    def aws_resource_count(self) -> int:
        return sum(1 for t, _ in self.resources if t.startswith("aws_"))


def blocks_inventory(blocks: Iterable[Block]) -> Inventory:
    """Inventory of top-level ``resource``, ``data`` and ``provider`` blocks."""
    resources: list[tuple[str, str]] = []
    data: set[str] = set()
    providers: set[str] = set()
    for block in blocks:
        if not block.labels:
            continue
        if block.type == "resource":
            name = block.labels[1] if len(block.labels) > 1 else ""
            resources.append((block.labels[0], name))
            providers.add(provider_of(block.labels[0]))
        elif block.type == "data":
            data.add(block.labels[0])
            providers.add(provider_of(block.labels[0]))
        elif block.type == "provider":
            providers.add(block.labels[0])
    types = {t for t, _ in resources}
    services = {s for t in types | data if (s := service_of(t))}
    return Inventory(
        resource_types=sorted(types),
        data_types=sorted(data),
        services=sorted(services),
        providers=sorted(providers - {"terraform"}),
        resources=sorted(resources),
    )


def module_inventory(modules: Iterable[ModuleInfo]) -> Inventory:
    """Inventory over several parsed module folders (a root module and its local modules),
    including providers named in ``required_providers``."""
    modules = list(modules)
    blocks = [b for m in modules for f in m.files for b in f.blocks]
    inv = blocks_inventory(blocks)
    required = {name for m in modules for name in m.required_providers}
    inv.providers = sorted(set(inv.providers) | required)
    return inv


__all__ = [
    "LOCAL_DATA_SOURCES",
    "RETIRED_SERVICES",
    "Inventory",
    "blocks_inventory",
    "module_inventory",
    "provider_of",
    "service_of",
]
