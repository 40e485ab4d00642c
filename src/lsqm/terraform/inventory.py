"""What a Terraform configuration deploys: resource types, the AWS services they call, and
the providers they need.

One table maps a resource type to the service name LocalStack and boto3 use (``aws_sfn_*`` ->
``stepfunctions``, ``aws_cloudwatch_event_*`` -> ``events``), so the discovery filter, the
test generator and the report all speak of services the same way.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field

from lsqm.terraform.hcl import Block, ModuleInfo

# Longest prefix wins. Keys are resource-type prefixes after "aws_".
_PREFIX_SERVICE: dict[str, str] = {
    "acm_": "acm", "acmpca_": "acm-pca", "alb": "elbv2", "ami": "ec2", "amplify_": "amplify",
    "api_gateway_": "apigateway", "apigatewayv2_": "apigatewayv2", "appautoscaling_":
    "application-autoscaling", "appconfig_": "appconfig", "appsync_": "appsync", "athena_":
    "athena", "autoscaling_": "autoscaling", "availability_zone": "ec2", "backup_": "backup",
    "batch_": "batch", "budgets_": "budgets", "caller_identity": "sts", "ce_": "ce",
    "cloud9_": "cloud9", "cloudformation_": "cloudformation", "cloudfront_": "cloudfront",
    "cloudtrail": "cloudtrail", "cloudwatch_": "cloudwatch", "cloudwatch_event_": "events",
    "cloudwatch_log_": "logs", "cloudwatch_query_definition": "logs", "codeartifact_":
    "codeartifact", "codebuild_": "codebuild", "codecommit_": "codecommit", "codedeploy_":
    "codedeploy", "codepipeline": "codepipeline", "codestarconnections_":
    "codestar-connections", "cognito_identity_pool": "cognito-identity", "cognito_": "cognito-idp",
    "config_": "config", "customer_gateway": "ec2", "datasync_": "datasync", "db_": "rds",
    "default_network_acl": "ec2", "default_route_table": "ec2", "default_security_group": "ec2",
    "default_subnet": "ec2", "default_vpc": "ec2", "dms_": "dms", "docdb_": "docdb", "dx_":
    "directconnect", "dynamodb_": "dynamodb", "ebs_": "ec2", "ec2_": "ec2", "ecr_": "ecr",
    "ecrpublic_": "ecr-public", "ecs_": "ecs", "efs_": "efs", "egress_only_internet_gateway":
    "ec2", "eip": "ec2", "eks_": "eks", "elastic_beanstalk_": "elasticbeanstalk",
    "elasticache_": "elasticache", "elasticsearch_": "es", "elb": "elb", "emr_": "emr",
    "emrserverless_": "emr-serverless", "flow_log": "ec2", "fsx_": "fsx", "glacier_": "glacier",
    "globalaccelerator_": "globalaccelerator", "glue_": "glue", "guardduty_": "guardduty",
    "iam_": "iam", "identitystore_": "identitystore", "imagebuilder_": "imagebuilder",
    "instance": "ec2", "internet_gateway": "ec2", "iot_": "iot", "key_pair": "ec2",
    "kinesis_analytics_": "kinesisanalytics", "kinesis_firehose_": "firehose",
    "kinesis_stream": "kinesis", "kinesis_video_": "kinesisvideo", "kinesisanalyticsv2_":
    "kinesisanalyticsv2", "kms_": "kms", "lakeformation_": "lakeformation", "lambda_": "lambda",
    "launch_configuration": "autoscaling", "launch_template": "ec2", "lb": "elbv2",
    "lex_": "lex-models", "lightsail_": "lightsail", "load_balancer_": "elb", "location_":
    "location", "main_route_table_association": "ec2", "memorydb_":
    "memorydb", "mq_": "mq", "msk_": "kafka", "mskconnect_": "kafkaconnect", "mwaa_": "mwaa",
    "nat_gateway": "ec2", "neptune_": "neptune", "network_": "ec2", "opensearch_": "opensearch",
    "organizations_": "organizations", "pinpoint_": "pinpoint", "pipes_": "pipes",
    "placement_group": "ec2", "prefix_list": "ec2", "qldb_": "qldb", "ram_": "ram", "rds_": "rds",
    "redshift_": "redshift", "redshiftserverless_": "redshift-serverless",
    "resourcegroups_": "resource-groups", "route": "ec2", "route53_": "route53",
    "route53_resolver_": "route53resolver", "route_table": "ec2", "s3_": "s3", "s3control_":
    "s3control", "sagemaker_": "sagemaker", "scheduler_": "scheduler", "schemas_": "schemas",
    "secretsmanager_": "secretsmanager", "security_group": "ec2", "securityhub_": "securityhub",
    "serverlessapplicationrepository_": "serverlessrepo", "service_discovery_":
    "servicediscovery", "servicecatalog_": "servicecatalog", "ses_": "ses", "sesv2_": "sesv2",
    "sfn_": "stepfunctions", "shield_": "shield", "signer_": "signer", "sns_": "sns",
    "spot_": "ec2", "sqs_": "sqs", "ssm_": "ssm", "ssoadmin_": "sso-admin", "subnet": "ec2",
    "swf_": "swf", "timestreamwrite_": "timestream-write", "transfer_": "transfer",
    "volume_attachment": "ec2", "vpc": "ec2", "vpn_": "ec2", "waf_": "waf", "wafregional_":
    "waf-regional", "wafv2_": "wafv2", "xray_": "xray",
}  # fmt: skip

# Data sources computed by the provider itself, without calling any service.
LOCAL_DATA_SOURCES = frozenset(
    {"aws_iam_policy_document", "aws_region", "aws_regions", "aws_partition", "aws_arn",
     "aws_default_tags", "aws_billing_service_account", "aws_elb_service_account",
     "aws_cloudtrail_service_account", "aws_redshift_service_account", "aws_service",
     "aws_lb_hosted_zone_id", "aws_elb_hosted_zone_id", "aws_s3_bucket_policy_document"}
)  # fmt: skip

_SORTED_PREFIXES = sorted(_PREFIX_SERVICE, key=len, reverse=True)


def provider_of(type_name: str) -> str:
    """The provider a resource or data type belongs to: its name before the first ``_``."""
    return type_name.split("_", 1)[0]


@functools.lru_cache(maxsize=4096)
def service_of(type_name: str) -> str | None:
    """The AWS service an ``aws_*`` resource type calls; None for non-AWS types and for data
    sources the provider computes locally. Unknown types map to their first name segment."""
    if not type_name.startswith("aws_") or type_name in LOCAL_DATA_SOURCES:
        return None
    rest = type_name[4:]
    for prefix in _SORTED_PREFIXES:
        if rest.startswith(prefix):
            return _PREFIX_SERVICE[prefix]
    return rest.split("_", 1)[0]


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
    "Inventory",
    "blocks_inventory",
    "module_inventory",
    "provider_of",
    "service_of",
]
