"""What the rules generator knows about each resource type: which checks of
``lsqm_checks`` to call, and which HCL attributes are the configuration they verify.

A check's ``kind`` decides coverage: ``behaviour`` (the resource does its job through the
API: a message round trip, an execution, an invoke) makes a resource "behavioural";
``fidelity`` (what the HCL configured is what the API reports) and ``existence`` (a read API
answers for the state's identifier) make it "existence".
Types absent from :data:`SPECS` get an existence check from :data:`EXISTENCE` when a read API
is listed there, and no coverage otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from lsqm.generation.architecture import TfResource

Kind = Literal["behaviour", "fidelity", "existence"]


@dataclass(frozen=True)
class Check:
    slug: str  # ends the test name: test_<type>_<name>_<slug>
    kind: Kind
    call: str  # function of lsqm_checks
    declare: tuple[str, ...] = ()  # HCL attributes passed as ``declared`` (None: no argument)
    nested: Callable[[TfResource], dict[str, Any]] | None = None  # declared values from blocks
    kwargs: tuple[tuple[str, str], ...] = ()  # extra keyword arguments, as Python source
    needs_state: bool = False  # the check takes the State to find related resources
    when: Callable[[TfResource], bool] | None = None
    # generated only when the architecture declares one of these types (the API has a stage)
    needs_any: tuple[str, ...] = ()

    @property
    def takes_declared(self) -> bool:
        return bool(self.declare) or self.nested is not None


@dataclass(frozen=True)
class Spec:
    service: str  # the test module: test_<service>.py
    var: str  # loop variable name in the test
    checks: tuple[Check, ...] = field(default_factory=tuple)


def _has_block(name: str) -> Callable[[TfResource], bool]:
    return lambda r: bool(r.block.children(name))


def _literal_is(name: str, *allowed: Any) -> Callable[[TfResource], bool]:
    return lambda r: r.literal(name) in allowed


def _versioning(r: TfResource) -> dict[str, Any]:
    blocks = r.block.children("versioning")
    enabled = blocks[0].literal("enabled") if blocks else None
    return {"enabled": enabled} if isinstance(enabled, bool) else {}


def _lifecycle(r: TfResource) -> dict[str, Any]:
    rules = r.block.children("lifecycle_rule") or r.block.children("rule")
    dynamic = any(
        d.labels[:1] in (["lifecycle_rule"], ["rule"]) for d in r.block.children("dynamic")
    )
    return {} if dynamic else {"rules": len(rules)}


def _sse(r: TfResource) -> dict[str, Any]:
    for outer in r.block.children("server_side_encryption_configuration") or [r.block]:
        for rule in outer.children("rule"):
            for default in rule.children("apply_server_side_encryption_by_default"):
                algorithm = default.literal("sse_algorithm")
                if isinstance(algorithm, str):
                    return {"sse_algorithm": algorithm}
    return {}


def _sns_to_sqs(r: TfResource) -> bool:
    return r.literal("protocol") == "sqs" and "filter_policy" not in r.block.attributes


def _target_is_queue(r: TfResource) -> bool:
    arn = r.block.attributes.get("arn")
    plain = "input" not in r.block.attributes and not r.block.children("input_transformer")
    return arn is not None and "aws_sqs_queue." in arn.text and plain


def _open_method(r: TfResource) -> bool:
    return r.literal("authorization") == "NONE" and r.literal("api_key_required") is not True


SPECS: dict[str, Spec] = {
    "aws_s3_bucket": Spec("s3", "bucket", (
        Check("stores_put_get_list_delete", "behaviour", "s3_object_roundtrip",
              needs_state=True),
        Check("versioning_as_configured", "fidelity", "s3_versioning_as_configured",
              nested=_versioning, when=_has_block("versioning")),
        Check("encryption_as_configured", "fidelity", "s3_encryption_as_configured",
              nested=_sse, when=_has_block("server_side_encryption_configuration")),
        Check("lifecycle_as_configured", "fidelity", "s3_lifecycle_as_configured",
              nested=_lifecycle, when=_has_block("lifecycle_rule")),
        Check("website_as_configured", "fidelity", "s3_website_as_configured",
              when=_has_block("website")),
    )),
    "aws_s3_bucket_versioning": Spec("s3", "versioning", (
        Check("as_configured", "fidelity", "s3_versioning_resource_as_configured"),
    )),
    "aws_s3_bucket_server_side_encryption_configuration": Spec("s3", "sse", (
        Check("as_configured", "fidelity", "s3_encryption_as_configured", nested=_sse),
    )),
    "aws_s3_bucket_lifecycle_configuration": Spec("s3", "lifecycle", (
        Check("as_configured", "fidelity", "s3_lifecycle_as_configured", nested=_lifecycle),
    )),
    "aws_s3_bucket_website_configuration": Spec("s3", "website", (
        Check("as_configured", "fidelity", "s3_website_as_configured"),
    )),
    "aws_s3_bucket_policy": Spec("s3", "policy", (
        Check("as_configured", "fidelity", "s3_bucket_policy_as_configured"),
    )),
    "aws_s3_bucket_notification": Spec("s3", "notification", (
        Check("reaches_queue", "behaviour", "s3_notification_reaches_queue",
              needs_state=True, when=_has_block("queue")),
    )),
    "aws_s3_bucket_object": Spec("s3", "obj", (
        Check("content_as_uploaded", "behaviour", "s3_object_as_uploaded",
              declare=("content", "content_type")),
    )),
    "aws_s3_object": Spec("s3", "obj", (
        Check("content_as_uploaded", "behaviour", "s3_object_as_uploaded",
              declare=("content", "content_type")),
    )),
    "aws_sqs_queue": Spec("sqs", "queue", (
        Check("send_receive_delete", "behaviour", "sqs_send_receive_delete", needs_state=True),
        Check("redrives_to_dead_letter_queue", "behaviour", "sqs_redrives_to_dead_letter_queue",
              needs_state=True, when=lambda r: "redrive_policy" in r.block.attributes),
        Check("attributes_as_configured", "fidelity", "sqs_attributes_as_configured",
              declare=("visibility_timeout_seconds", "message_retention_seconds",
                       "delay_seconds", "max_message_size", "receive_wait_time_seconds",
                       "fifo_queue", "content_based_deduplication", "redrive_policy")),
    )),
    "aws_sqs_queue_policy": Spec("sqs", "policy", (
        Check("as_configured", "fidelity", "sqs_queue_policy_as_configured"),
    )),
    "aws_sns_topic": Spec("sns", "topic", (
        Check("accepts_publish", "behaviour", "sns_publish"),
        Check("as_configured", "fidelity", "sns_topic_as_configured",
              declare=("display_name", "fifo_topic")),
    )),
    "aws_sns_topic_subscription": Spec("sns", "subscription", (
        Check("delivers_to_queue", "behaviour", "sns_delivers_to_queue", needs_state=True,
              when=_sns_to_sqs),
        Check("as_configured", "fidelity", "sns_subscription_as_configured"),
    )),
    "aws_dynamodb_table": Spec("dynamodb", "table", (
        Check("put_get_query_by_key", "behaviour", "dynamodb_put_get_query"),
        Check("as_configured", "fidelity", "dynamodb_table_as_configured",
              declare=("hash_key", "range_key", "billing_mode", "read_capacity",
                       "write_capacity")),
    )),
    "aws_dynamodb_table_item": Spec("dynamodb", "item", (
        Check("readable_by_key", "behaviour", "dynamodb_item_as_configured"),
    )),
    "aws_iam_role": Spec("iam", "role", (
        Check("can_be_assumed", "behaviour", "iam_role_can_be_assumed"),
        Check("trust_policy_as_configured", "fidelity", "iam_role_as_configured"),
    )),
    "aws_iam_role_policy_attachment": Spec("iam", "attachment", (
        Check("attached", "fidelity", "iam_policy_attached"),
    )),
    "aws_iam_policy_attachment": Spec("iam", "attachment", (
        Check("attached", "fidelity", "iam_policy_attachment_as_configured"),
    )),
    "aws_iam_role_policy": Spec("iam", "policy", (
        Check("as_configured", "fidelity", "iam_role_policy_as_configured"),
    )),
    "aws_iam_policy": Spec("iam", "policy", (
        Check("document_as_configured", "fidelity", "iam_policy_as_configured"),
    )),
    "aws_kms_key": Spec("kms", "key", (
        Check("encrypts_and_decrypts", "behaviour", "kms_encrypt_decrypt"),
        Check("as_configured", "fidelity", "kms_key_as_configured",
              declare=("is_enabled", "description", "key_usage")),
    )),
    "aws_kms_alias": Spec("kms", "alias", (
        Check("encrypts_and_decrypts", "behaviour", "kms_encrypt_decrypt",
              kwargs=(("key_id_attribute", '"name"'),)),
        Check("targets_configured_key", "fidelity", "kms_alias_as_configured"),
    )),
    "aws_ssm_parameter": Spec("ssm", "param", (
        Check("value_as_configured", "behaviour", "ssm_parameter_value_as_configured",
              declare=("value",)),
        Check("type_as_configured", "fidelity", "ssm_parameter_type_as_configured",
              declare=("type",)),
    )),
    "aws_secretsmanager_secret": Spec("secretsmanager", "secret", (
        Check("as_configured", "fidelity", "secret_as_configured", declare=("description",)),
    )),
    "aws_secretsmanager_secret_version": Spec("secretsmanager", "version", (
        Check("value_as_configured", "behaviour", "secret_value_as_configured"),
    )),
    "aws_kinesis_stream": Spec("kinesis", "stream", (
        Check("put_get_record", "behaviour", "kinesis_put_get"),
        Check("as_configured", "fidelity", "kinesis_stream_as_configured",
              declare=("shard_count", "retention_period")),
    )),
    "aws_cloudwatch_event_rule": Spec("events", "rule", (
        Check("as_configured", "fidelity", "events_rule_as_configured", declare=("is_enabled",)),
    )),
    "aws_cloudwatch_event_target": Spec("events", "target", (
        Check("event_reaches_queue", "behaviour", "events_reach_queue", needs_state=True,
              when=_target_is_queue),
        Check("listed_on_rule", "fidelity", "events_target_as_configured"),
    )),
    "aws_sfn_state_machine": Spec("stepfunctions", "machine", (
        Check("execution_as_defined", "behaviour", "sfn_execution_as_defined"),
        Check("as_configured", "fidelity", "sfn_machine_as_configured"),
    )),
    "aws_api_gateway_rest_api": Spec("apigateway", "api", (
        Check("as_configured", "fidelity", "apigateway_rest_api_as_configured"),
    )),
    "aws_api_gateway_method": Spec("apigateway", "method", (
        Check("answers_through_stage", "behaviour", "apigateway_method_answers",
              needs_state=True, when=_open_method,
              needs_any=("aws_api_gateway_deployment", "aws_api_gateway_stage")),
        Check("as_configured", "fidelity", "apigateway_method_as_configured",
              needs_state=True),
    )),
    "aws_lambda_function": Spec("lambda", "function", (
        Check("invoke_answers", "behaviour", "lambda_invoke"),
        Check("as_configured", "fidelity", "lambda_function_as_configured",
              declare=("runtime", "handler", "memory_size", "timeout")),
    )),
    "aws_cloudwatch_log_group": Spec("logs", "group", (
        Check("stores_log_events", "behaviour", "logs_put_get"),
        Check("as_configured", "fidelity", "log_group_as_configured",
              declare=("retention_in_days",)),
    )),
    "aws_cloudwatch_metric_alarm": Spec("cloudwatch", "alarm", (
        Check("state_can_be_set", "behaviour", "alarm_state_can_be_set"),
        Check("as_configured", "fidelity", "alarm_as_configured",
              declare=("metric_name", "namespace", "comparison_operator",
                       "evaluation_periods", "threshold")),
    )),
}  # fmt: skip


# Resource types checked for existence only: service, read operation, API parameter ->
# state attribute (a list wraps the value in a list).
EXISTENCE: dict[str, tuple[str, str, dict[str, Any]]] = {
    "aws_s3_bucket_acl": ("s3", "get_bucket_acl", {"Bucket": "bucket"}),
    "aws_s3_bucket_public_access_block": ("s3", "get_public_access_block", {"Bucket": "bucket"}),
    "aws_s3_bucket_cors_configuration": ("s3", "get_bucket_cors", {"Bucket": "bucket"}),
    "aws_s3_bucket_ownership_controls": ("s3", "get_bucket_ownership_controls", {"Bucket": "bucket"}),
    "aws_sns_topic_policy": ("sns", "get_topic_attributes", {"TopicArn": "arn"}),
    "aws_dynamodb_table_replica": ("dynamodb", "describe_table", {"TableName": "arn"}),  # id: "name:region"
    "aws_iam_user": ("iam", "get_user", {"UserName": "name"}),
    "aws_iam_group": ("iam", "get_group", {"GroupName": "name"}),
    "aws_iam_instance_profile": ("iam", "get_instance_profile", {"InstanceProfileName": "name"}),
    "aws_iam_user_policy": ("iam", "get_user_policy", {"UserName": "user", "PolicyName": "name"}),
    "aws_iam_access_key": ("iam", "list_access_keys", {"UserName": "user"}),
    "aws_secretsmanager_secret_policy": ("secretsmanager", "get_resource_policy", {"SecretId": "secret_arn"}),
    "aws_cloudwatch_event_bus": ("events", "describe_event_bus", {"Name": "name"}),
    "aws_cloudwatch_event_archive": ("events", "describe_archive", {"ArchiveName": "name"}),
    "aws_cloudwatch_log_stream": ("logs", "describe_log_streams", {"logGroupName": "log_group_name", "logStreamNamePrefix": "name"}),
    "aws_cloudwatch_log_metric_filter": ("logs", "describe_metric_filters", {"logGroupName": "log_group_name", "filterNamePrefix": "name"}),
    "aws_cloudwatch_log_subscription_filter": ("logs", "describe_subscription_filters", {"logGroupName": "log_group_name", "filterNamePrefix": "name"}),
    "aws_cloudwatch_dashboard": ("cloudwatch", "get_dashboard", {"DashboardName": "dashboard_name"}),
    "aws_sfn_activity": ("stepfunctions", "describe_activity", {"activityArn": "id"}),
    "aws_kinesis_stream_consumer": ("kinesis", "describe_stream_consumer", {"ConsumerARN": "arn"}),
    "aws_kinesis_firehose_delivery_stream": ("firehose", "describe_delivery_stream", {"DeliveryStreamName": "name"}),
    "aws_lambda_permission": ("lambda", "get_policy", {"FunctionName": "function_name", "Qualifier": "qualifier?"}),
    "aws_lambda_event_source_mapping": ("lambda", "get_event_source_mapping", {"UUID": "uuid"}),
    "aws_lambda_function_url": ("lambda", "get_function_url_config", {"FunctionName": "function_name", "Qualifier": "qualifier?"}),
    "aws_lambda_alias": ("lambda", "get_alias", {"FunctionName": "function_name", "Name": "name"}),
    "aws_lambda_layer_version": ("lambda", "get_layer_version_by_arn", {"Arn": "arn"}),
    "aws_api_gateway_resource": ("apigateway", "get_resource", {"restApiId": "rest_api_id", "resourceId": "id"}),
    "aws_api_gateway_integration": ("apigateway", "get_integration", {"restApiId": "rest_api_id", "resourceId": "resource_id", "httpMethod": "http_method"}),
    "aws_api_gateway_method_response": ("apigateway", "get_method_response", {"restApiId": "rest_api_id", "resourceId": "resource_id", "httpMethod": "http_method", "statusCode": "status_code"}),
    "aws_api_gateway_integration_response": ("apigateway", "get_integration_response", {"restApiId": "rest_api_id", "resourceId": "resource_id", "httpMethod": "http_method", "statusCode": "status_code"}),
    "aws_api_gateway_deployment": ("apigateway", "get_deployment", {"restApiId": "rest_api_id", "deploymentId": "id"}),
    "aws_api_gateway_stage": ("apigateway", "get_stage", {"restApiId": "rest_api_id", "stageName": "stage_name"}),
    "aws_api_gateway_authorizer": ("apigateway", "get_authorizer", {"restApiId": "rest_api_id", "authorizerId": "id"}),
    "aws_api_gateway_api_key": ("apigateway", "get_api_key", {"apiKey": "id"}),
    "aws_api_gateway_usage_plan": ("apigateway", "get_usage_plan", {"usagePlanId": "id"}),
    "aws_api_gateway_usage_plan_key": ("apigateway", "get_usage_plan_key", {"usagePlanId": "usage_plan_id", "keyId": "key_id"}),
    "aws_api_gateway_request_validator": ("apigateway", "get_request_validator", {"restApiId": "rest_api_id", "requestValidatorId": "id"}),
    "aws_api_gateway_model": ("apigateway", "get_model", {"restApiId": "rest_api_id", "modelName": "name"}),
    "aws_api_gateway_domain_name": ("apigateway", "get_domain_name", {"domainName": "domain_name"}),
    "aws_api_gateway_base_path_mapping": ("apigateway", "get_base_path_mappings", {"domainName": "domain_name"}),
    "aws_api_gateway_account": ("apigateway", "get_account", {}),
    "aws_api_gateway_method_settings": ("apigateway", "get_stage", {"restApiId": "rest_api_id", "stageName": "stage_name"}),
    "aws_apigatewayv2_api": ("apigatewayv2", "get_api", {"ApiId": "id"}),
    "aws_apigatewayv2_route": ("apigatewayv2", "get_route", {"ApiId": "api_id", "RouteId": "id"}),
    "aws_apigatewayv2_integration": ("apigatewayv2", "get_integration", {"ApiId": "api_id", "IntegrationId": "id"}),
    "aws_apigatewayv2_stage": ("apigatewayv2", "get_stage", {"ApiId": "api_id", "StageName": "name"}),
    "aws_apigatewayv2_deployment": ("apigatewayv2", "get_deployment", {"ApiId": "api_id", "DeploymentId": "id"}),
    "aws_apigatewayv2_authorizer": ("apigatewayv2", "get_authorizer", {"ApiId": "api_id", "AuthorizerId": "id"}),
    "aws_apigatewayv2_route_response": ("apigatewayv2", "get_route_response", {"ApiId": "api_id", "RouteId": "route_id", "RouteResponseId": "id"}),
    "aws_apigatewayv2_integration_response": ("apigatewayv2", "get_integration_response", {"ApiId": "api_id", "IntegrationId": "integration_id", "IntegrationResponseId": "id"}),
    "aws_apigatewayv2_domain_name": ("apigatewayv2", "get_domain_name", {"DomainName": "domain_name"}),
    "aws_route53_zone": ("route53", "get_hosted_zone", {"Id": "zone_id"}),
    "aws_route53_record": ("route53", "list_resource_record_sets", {"HostedZoneId": "zone_id", "StartRecordName": "fqdn"}),
    "aws_acm_certificate": ("acm", "describe_certificate", {"CertificateArn": "arn"}),
    "aws_cognito_user_pool": ("cognito-idp", "describe_user_pool", {"UserPoolId": "id"}),
    "aws_cognito_user_pool_client": ("cognito-idp", "describe_user_pool_client", {"UserPoolId": "user_pool_id", "ClientId": "id"}),
    "aws_cognito_user_group": ("cognito-idp", "get_group", {"UserPoolId": "user_pool_id", "GroupName": "name"}),
    "aws_cognito_user": ("cognito-idp", "admin_get_user", {"UserPoolId": "user_pool_id", "Username": "username"}),
    "aws_cognito_user_pool_domain": ("cognito-idp", "describe_user_pool_domain", {"Domain": "domain"}),
    "aws_cognito_resource_server": ("cognito-idp", "describe_resource_server", {"UserPoolId": "user_pool_id", "Identifier": "identifier"}),
    "aws_vpc": ("ec2", "describe_vpcs", {"VpcIds": ["id"]}),
    "aws_subnet": ("ec2", "describe_subnets", {"SubnetIds": ["id"]}),
    "aws_security_group": ("ec2", "describe_security_groups", {"GroupIds": ["id"]}),
    "aws_internet_gateway": ("ec2", "describe_internet_gateways", {"InternetGatewayIds": ["id"]}),
    "aws_route_table": ("ec2", "describe_route_tables", {"RouteTableIds": ["id"]}),
    "aws_nat_gateway": ("ec2", "describe_nat_gateways", {"NatGatewayIds": ["id"]}),
    "aws_eip": ("ec2", "describe_addresses", {"AllocationIds": ["id"]}),
    "aws_key_pair": ("ec2", "describe_key_pairs", {"KeyNames": ["key_name"]}),
    "aws_instance": ("ec2", "describe_instances", {"InstanceIds": ["id"]}),
    "aws_ecr_repository": ("ecr", "describe_repositories", {"repositoryNames": ["name"]}),
    "aws_ecs_cluster": ("ecs", "describe_clusters", {"clusters": ["name"]}),
    "aws_elasticsearch_domain": ("es", "describe_elasticsearch_domain", {"DomainName": "domain_name"}),
    "aws_opensearch_domain": ("opensearch", "describe_domain", {"DomainName": "domain_name"}),
    "aws_msk_cluster": ("kafka", "describe_cluster", {"ClusterArn": "arn"}),
    "aws_appsync_graphql_api": ("appsync", "get_graphql_api", {"apiId": "id"}),
    "aws_appsync_datasource": ("appsync", "get_data_source", {"apiId": "api_id", "name": "name"}),
    "aws_transfer_server": ("transfer", "describe_server", {"ServerId": "id"}),
    "aws_ses_email_identity": ("ses", "get_identity_verification_attributes", {"Identities": ["email"]}),
    "aws_sns_sms_preferences": ("sns", "get_sms_attributes", {}),
    "aws_ssm_document": ("ssm", "describe_document", {"Name": "name"}),
    "aws_cloudformation_stack": ("cloudformation", "describe_stacks", {"StackName": "name"}),
    "aws_glue_catalog_database": ("glue", "get_database", {"Name": "name"}),
    "aws_athena_workgroup": ("athena", "get_work_group", {"WorkGroup": "name"}),
    "aws_redshift_cluster": ("redshift", "describe_clusters", {"ClusterIdentifier": "cluster_identifier"}),
    "aws_rds_cluster": ("rds", "describe_db_clusters", {"DBClusterIdentifier": "cluster_identifier"}),
    "aws_db_instance": ("rds", "describe_db_instances", {"DBInstanceIdentifier": "identifier"}),
    "aws_elasticache_cluster": ("elasticache", "describe_cache_clusters", {"CacheClusterId": "cluster_id"}),
    "aws_cloudfront_distribution": ("cloudfront", "get_distribution", {"Id": "id"}),
    "aws_xray_sampling_rule": ("xray", "get_sampling_rules", {}),
}  # fmt: skip


def module_name_for(resource_type: str) -> str:
    """Where a type's tests go: ``test_<name>.py`` for the name returned (the type's AWS
    service, ``other`` when unknown). Not :func:`lsqm.terraform.inventory.service_of`, which
    names the service an architecture needs from the emulator. (Not ``test_module_of``: pytest
    would collect a ``test_*`` function imported into a test module.)"""
    if resource_type in SPECS:
        return SPECS[resource_type].service
    if resource_type in EXISTENCE:
        return EXISTENCE[resource_type][0].replace("-", "")
    return "other"
