"""Every resource and data source type of the AWS provider maps to a service name botocore
uses, or to None when the provider computes it without calling any service: walked over the
whole 3.39.0 schema read from the real provider binary, and over 6.62.0's type names."""

from __future__ import annotations

import boto3
import pytest

from lsqm.terraform.inventory import RETIRED_SERVICES, service_of
from lsqm.toolchain.terraform_install import TerraformToolchain
from tests.terraform.provider_schemas import fixture_schema, real_schema

VOCABULARY = frozenset(boto3.session.Session().get_available_services())


def _invented(types: list[str]) -> dict[str, list[str]]:
    """Service names lsqm gives that botocore never used, with the types that got them."""
    found: dict[str, list[str]] = {}
    for type_name in types:
        service = service_of(type_name)
        if service is not None and service not in VOCABULARY | RETIRED_SERVICES:
            found.setdefault(service, []).append(type_name)
    return found


def test_every_type_of_the_installed_provider_maps_to_a_botocore_service(
    toolchain: TerraformToolchain,
) -> None:
    schema, caps = real_schema(toolchain)
    resources, data = list(schema["resource_schemas"]), list(schema["data_source_schemas"])
    assert caps.version == "3.39.0" and len(resources) == 711 and len(data) == 246
    assert _invented(resources + data) == {}


def test_every_type_of_provider_6_62_maps_to_a_botocore_service() -> None:
    schema = fixture_schema("6.62.0")
    types = (
        schema["resource_types"] + schema["data_source_types"] + schema["ephemeral_resource_types"]
    )
    assert len(types) == 1711 + 679 + 10
    assert _invented(types) == {}


def test_retired_services_are_only_names_botocore_dropped_and_types_use(
    toolchain: TerraformToolchain,
) -> None:
    """A retired name is one botocore once carried (checked in its history: e.g. macie, Macie
    Classic, in botocore/data/macie) and has since dropped, while some type still calls it."""
    old, _caps = real_schema(toolchain)
    new = fixture_schema("6.62.0")
    types = [*old["resource_schemas"], *old["data_source_schemas"], *new["resource_types"]]
    used = {service_of(t) for t in types + new["data_source_types"]}
    assert not RETIRED_SERVICES & VOCABULARY
    assert used >= RETIRED_SERVICES


@pytest.mark.parametrize(
    ("type_name", "service"),
    [
        # data sources the provider computes without a call
        ("aws_partition", None),
        ("aws_region", None),
        ("aws_arn", None),
        ("aws_default_tags", None),
        ("aws_iam_policy_document", None),
        ("aws_elb_service_account", None),
        ("aws_lb_hosted_zone_id", None),
        ("aws_cloudfront_log_delivery_canonical_user_id", None),
        ("aws_sagemaker_prebuilt_ecr_image", None),
        ("aws_eks_cluster_auth", None),  # a token signed locally
        ("aws_ip_ranges", None),  # a JSON document from ip-ranges.amazonaws.com, no API
        ("aws_service_principal", None),
        # data sources that do call a service
        ("aws_canonical_user_id", "s3"),  # ListBuckets' owner
        ("aws_caller_identity", "sts"),
        ("aws_regions", "ec2"),  # DescribeRegions
        ("aws_availability_zones", "ec2"),
        ("aws_ami", "ec2"),
        # prefixes that do not name the service
        ("aws_api_gateway_rest_api", "apigateway"),
        ("aws_sfn_state_machine", "stepfunctions"),
        ("aws_cloudwatch_event_rule", "events"),
        ("aws_cloudwatch_log_group", "logs"),
        ("aws_cloudwatch_metric_alarm", "cloudwatch"),
        ("aws_kinesis_firehose_delivery_stream", "firehose"),
        ("aws_kinesis_stream", "kinesis"),
        ("aws_cognito_user_pool", "cognito-idp"),
        ("aws_cognito_identity_pool", "cognito-identity"),
        ("aws_cognito_identity_provider", "cognito-idp"),  # a user pool's identity provider
        ("aws_s3_bucket", "s3"),
        ("aws_s3_access_point", "s3control"),
        ("aws_s3_account_public_access_block", "s3control"),
        ("aws_route53_zone", "route53"),
        ("aws_route53_resolver_endpoint", "route53resolver"),
        ("aws_route_table", "ec2"),
        ("aws_vpc", "ec2"),
        ("aws_vpclattice_service", "vpc-lattice"),
        ("aws_lb_listener", "elbv2"),
        ("aws_alb", "elbv2"),
        ("aws_elb", "elb"),
        ("aws_lb_cookie_stickiness_policy", "elb"),  # a classic load balancer's policy
        ("aws_app_cookie_stickiness_policy", "elb"),
        ("aws_launch_configuration", "autoscaling"),
        ("aws_launch_template", "ec2"),
        ("aws_db_instance", "rds"),
        ("aws_msk_cluster", "kafka"),
        ("aws_prometheus_workspace", "amp"),
        ("aws_directory_service_directory", "ds"),
        ("aws_media_store_container", "mediastore"),
        ("aws_simpledb_domain", "sdb"),
        ("aws_networkfirewall_firewall", "network-firewall"),
        ("aws_lambda_function", "lambda"),
        ("aws_opsworks_stack", "opsworks"),
        # not AWS
        ("random_pet", None),
        ("null_resource", None),
    ],
)
def test_service_of(type_name: str, service: str | None) -> None:
    assert service_of(type_name) == service
