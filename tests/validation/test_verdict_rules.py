"""The verdict table and failure classes on the exact output shapes terraform, the AWS
provider and pytest produce (captured from real runs against LocalStack 2026.3.0)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lsqm.records import CATEGORY_MEANING, Category, Status
from lsqm.validation import classify, verdict
from lsqm.validation.classify import (
    classify_terraform,
    classify_test_failure,
    normalise,
)
from lsqm.validation.junit import JUnitCounts, read_junit
from lsqm.validation.verdict import Verdict, deploy_failed

COGNITO_APPLY = """aws_cognito_user_pool.p: Creating...

Error: error creating Cognito User Pool: InternalFailure: The API for service \
cognito-idp is either not included in your current license plan or has not yet been emulated by LocalStack.
	status code: 501, request id: 531e7358-1ee0-4c52-addb-bf1a14b80f78

  with aws_cognito_user_pool.p,
  on main.tf line 23, in resource "aws_cognito_user_pool" "p":
"""
LAMBDA_APPLY = """Error: error waiting for Lambda Function (lsqm-fn) creation: InternalError: \
Error while creating lambda: Installation of lambda-runtime v0.1.41-pre failed.

  with aws_lambda_function.fn,
"""
KINESIS_APPLY = """Error: error creating Kinesis Stream (s): InternalError: exception while \
calling kinesis.CreateStream: Installation of kinesis-local 0.5.2 failed.
	status code: 500, request id: 1

  with aws_kinesis_stream.s,
"""
SQS_500 = """Error: error creating SQS Queue (q): InternalError: boom
	status code: 500, request id: 2

  with aws_sqs_queue.q,
"""
SQS_400 = """Error: error creating SQS Queue (q): InvalidAttributeValue: Invalid value for the \
parameter Policy.
	status code: 400, request id: 3

  with aws_sqs_queue.q,
"""
V5_STYLE_501 = """│ Error: creating SQS Queue (q): operation error SQS: CreateQueue, https response \
error StatusCode: 501, RequestID: 4, api error InternalFailure: not yet implemented
│
│   with aws_sqs_queue.q,
"""
INVALID_HCL_INIT = """There are some problems with the configuration, described below.

Error: Unclosed configuration block

  on main.tf line 2, in resource "aws_sqs_queue" "q":
   2: resource "aws_sqs_queue" "q" {
"""
CONSTRAINT_INIT = """Error: Failed to query available provider packages

Could not retrieve the list of available versions for provider hashicorp/aws: no available \
releases match the given constraints ~> 5.0
"""
OLD_PROVIDER_VALUE = """Error: expected runtime to be one of [nodejs12.x python3.8], got \
python3.12

  with aws_lambda_function.fn,
"""
UNKNOWN_ARGUMENT = """Error: Unsupported argument

  on main.tf line 5, in resource "aws_s3_bucket_versioning" "v":
   5:   bucket = "x"

An argument named "expected_bucket_owner" is not expected here.
"""
DEAD_EMULATOR = """Error: error creating SQS Queue (q): RequestError: send request failed
caused by: Post "http://127.0.0.1:4566/": dial tcp 127.0.0.1:4566: connect: connection refused
"""


@pytest.mark.parametrize(
    ("stage", "output", "category", "in_signature"),
    [
        ("apply", COGNITO_APPLY, "emulator_unsupported", "aws_cognito_user_pool:InternalFailure"),
        ("apply", V5_STYLE_501, "emulator_unsupported", "aws_sqs_queue"),
        ("apply", SQS_500, "emulator_error", "aws_sqs_queue:InternalError:500"),
        ("apply", SQS_400, "emulator_rejected", "InvalidAttributeValue:400"),
        ("apply", LAMBDA_APPLY, "environment", "lambda cannot execute without Docker"),
        ("apply", KINESIS_APPLY, "environment", "could not install kinesis-local"),
        ("init", INVALID_HCL_INIT, "terraform_config", "Unclosed configuration block"),
        ("init", CONSTRAINT_INIT, "environment", "~> 5.0"),
        ("apply", OLD_PROVIDER_VALUE, "environment", "value unknown to the installed provider"),
        ("apply", UNKNOWN_ARGUMENT, "environment", "expected_bucket_owner"),
        ("apply", DEAD_EMULATOR, "emulator_unavailable", "unreachable"),
    ],
)
def test_terraform_failures_are_classified(
    stage: str, output: str, category: str, in_signature: str
) -> None:
    failure = classify_terraform(stage, output)
    assert failure.category == category
    assert category in set(Category)  # the fixed vocabulary the report groups by
    assert in_signature in failure.signature


def test_signatures_cluster_across_architectures() -> None:
    one = classify_terraform("apply", SQS_400.replace("(q)", "(orders-queue)"))
    two = classify_terraform("apply", SQS_400.replace("request id: 3", "request id: 99"))
    assert one.signature == two.signature
    assert "<id>" in normalise("deleted 0f8fad5b-d9cb-469f-a165-70867728950e")
    assert "<arn>" in normalise("no such arn:aws:sqs:us-east-1:000000000000:q")


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("E   AssertionError: assert '30' == '45'", "emulator_behaviour"),
        (
            "E   botocore.errorfactory.ResourceNotFoundException: An error occurred "
            "(ResourceNotFoundException) when calling the GetItem operation",
            "emulator_behaviour",
        ),
        (
            "E   botocore.exceptions.ClientError: An error occurred (InternalFailure) when "
            "calling the ListUserPools operation: not yet implemented",
            "emulator_unsupported",
        ),
        (
            "E   botocore.exceptions.ClientError: An error occurred (ResourceConflictException)"
            " when calling the Invoke operation: The operation cannot be performed at this "
            "time. The function is currently in the following state: Failed",
            "environment",
        ),
        ("E   fixture 'outputs' not found", "harness"),
        ("E   ModuleNotFoundError: No module named 'requests'", "harness"),
    ],
)
def test_test_failures_are_classified(text: str, category: str) -> None:
    assert classify_test_failure(text).category == category


def _counts(passed: int = 0, failed: int = 0, errors: int = 0, skipped: int = 0) -> JUnitCounts:
    counts = JUnitCounts(passed + failed + errors + skipped, passed, failed, errors, skipped)
    counts.failures = [("t", "E   AssertionError: assert 1 == 2")] * (failed + errors)
    return counts


def _after_deploy(
    counts: JUnitCounts, exit_code: int | None, endpoint: str | None = None, **kw: bool
) -> Verdict:
    args = {"timed_out": False, "emulator_alive": True, "has_app": True, **kw}
    return verdict.tests_finished(counts, exit_code=exit_code, endpoint=endpoint, **args)


def test_passed_needs_a_test_that_ran() -> None:
    assert _after_deploy(_counts(passed=2), 0).status == "PASSED"
    assert _after_deploy(_counts(), 5).category == "no_tests"
    assert _after_deploy(_counts(skipped=3), 0).status == "ERROR"  # skipped is not run
    assert _after_deploy(_counts(), 0, has_app=False).category == "no_tests"
    assert _after_deploy(_counts(), 2).status == "ERROR"  # interrupted, nothing recorded


def test_partial_failed_timeout_and_dead_emulator() -> None:
    partial = _after_deploy(_counts(passed=1, failed=1), 1)
    assert (partial.status, partial.category) == ("PARTIAL", "emulator_behaviour")
    failed = _after_deploy(_counts(failed=2), 1)
    assert (failed.status, failed.category) == ("FAILED", "emulator_behaviour")
    assert _after_deploy(_counts(passed=1), None, timed_out=True).status == "TIMEOUT"
    dead = _after_deploy(_counts(passed=3), 0, emulator_alive=False)
    assert (dead.status, dead.category) == ("ERROR", "emulator_unavailable")


def test_deploy_failures_blame_the_emulator_only_when_it_answered() -> None:
    unsupported = classify_terraform("apply", COGNITO_APPLY)
    assert deploy_failed(unsupported, timed_out=False, emulator_alive=True).status == "FAILED"
    config = classify_terraform("init", INVALID_HCL_INIT)
    assert deploy_failed(config, timed_out=False, emulator_alive=True).status == "ERROR"
    env = classify_terraform("apply", LAMBDA_APPLY)
    assert deploy_failed(env, timed_out=False, emulator_alive=True).status == "ERROR"
    crashed = deploy_failed(unsupported, timed_out=False, emulator_alive=False)
    assert (crashed.status, crashed.category) == ("ERROR", "emulator_unavailable")
    assert deploy_failed(unsupported, timed_out=True, emulator_alive=True).status == "TIMEOUT"


def test_junit_counts(tmp_path: Path) -> None:
    xml = tmp_path / "j.xml"
    xml.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="t" name="a"/>'
        '<testcase classname="t" name="b"><failure message="assert 1 == 2">tb</failure>'
        "</testcase>"
        '<testcase classname="t" name="c"><error message="fixture">tb</error></testcase>'
        '<testcase classname="t" name="d"><skipped message="s"/></testcase>'
        "</testsuite></testsuites>"
    )
    counts = read_junit(xml)
    assert counts.record().to_json() == {
        "total": 4, "passed": 1, "failed": 1, "errors": 1, "skipped": 1
    }  # fmt: skip
    assert counts.ran == 3
    assert [(c.name, c.outcome) for c in counts.cases] == [
        ("t::a", "passed"), ("t::b", "failed"), ("t::c", "error"), ("t::d", "skipped"),
    ]  # fmt: skip
    assert counts.cases[1].message.startswith("assert 1 == 2")
    assert read_junit(tmp_path / "missing.xml").record().total == 0


def test_every_category_has_a_meaning_and_a_place_in_the_priority() -> None:
    assert set(CATEGORY_MEANING) == set(Category)
    # dominant() can rank any mix of categories (none is missing from its order).
    failures = [classify.Failure(c, c.value, "") for c in Category]
    assert classify.dominant(failures).category == Category.EMULATOR_UNAVAILABLE
    for category in Category:
        assert classify.dominant([classify.Failure(category, "", "")]).category == category


def test_verdicts_are_typed() -> None:
    passed = _after_deploy(_counts(passed=1), 0)
    assert passed.status is Status.PASSED and passed.category is None
    assert isinstance(_after_deploy(_counts(failed=1), 1).category, Category)


# Captured from the shared corpus (terraform 1.11.4 wraps its messages at 78 columns).
RANDOM_NOT_OFFLINE = """Initializing provider plugins...
- Finding latest version of hashicorp/random...

Error: Failed to query available provider packages

Could not retrieve the list of available versions for provider
hashicorp/random: provider registry.terraform.io/hashicorp/random was not
found in any of the search locations

  - /root/.cache/lsqm/terraform/mirror
"""
WRAPPED_INIT = """Error: Terraform encountered problems during initialisation, including problems
with the configuration, described below.

The Terraform configuration must be valid before initialization so that
Terraform can determine which modules and providers need to be installed.


Error: Argument or block definition required

  on provider.tf line 1:
   1: ../provider.tf
"""
PROVIDER_PANIC = """Error: Plugin did not respond

  with aws_api_gateway_domain_name.domain_name,

The plugin encountered an error, and failed to respond to the
plugin.(*GRPCProvider).ApplyResourceChange call.

panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x455f8ef]

goroutine 52 [running]:
github.com/terraform-providers/terraform-provider-aws/aws.resourceAwsApiGatewayDomainNameRead(0xc001ab5400, 0x5f5f480)
	/opt/src/github.com/hashicorp/terraform-provider-aws/aws/resource_aws_api_gateway_domain_name.go:275 +0x9cf

Error: The terraform-provider-aws_v3.39.0_x5 plugin crashed!
"""
CORE_VERSION = """Error: Unsupported Terraform Core version

  on versions.tf line 2, in terraform:
   2:   required_version = ">= 1.3"

This configuration does not support Terraform version 1.0.3. To proceed,
either choose another supported Terraform version or update this version
constraint.
"""


def test_wrapped_and_nested_terraform_messages() -> None:
    random = classify_terraform("init", RANDOM_NOT_OFFLINE)
    assert random.category == "environment"
    assert (
        random.signature == "provider not available offline: registry.terraform.io/hashicorp/random"
    )
    wrapped = classify_terraform("init", WRAPPED_INIT)
    assert (wrapped.category, wrapped.message) == (
        "terraform_config",
        "Argument or block definition required",
    )
    core = classify_terraform("init", CORE_VERSION)
    assert core.signature == "terraform 1.0.3 does not meet the configuration's required_version"


def test_a_provider_crash_is_its_own_class_and_names_where() -> None:
    crash = classify_terraform("apply", PROVIDER_PANIC)
    assert crash.category == "provider_crash"
    assert crash.signature.startswith("provider crashed in resourceAwsApiGatewayDomainNameRead")
    assert deploy_failed(crash, timed_out=False, emulator_alive=True).status == "FAILED"


def test_docker_in_a_name_is_not_a_lambda_limit() -> None:
    output = SQS_400.replace("(q)", "(docker-builds)")
    assert classify_terraform("apply", output).category == "emulator_rejected"


# Captured from boto3 1.42 in a generated test (pytest's JUnit failure text, shortened).
PARAM_VALIDATION = """botocore.exceptions.ParamValidationError: Parameter validation failed:
Invalid type for parameter QueueUrl, value: 5, type: <class 'int'>, valid types: <class 'str'>
>               raise ParamValidationError(report=report.generate_report())
E               botocore.exceptions.ParamValidationError: Parameter validation failed:
E               Invalid type for parameter QueueUrl, value: 5, type: <class 'int'>
"""
SYNC_HOST_PREFIX = """botocore.exceptions.EndpointConnectionError: Could not connect to the \
endpoint URL: "http://sync-127.0.0.1:4566/"
        except (NewConnectionError, socket.gaierror) as e:
>           raise EndpointConnectionError(endpoint_url=request.url, error=e)
E           botocore.exceptions.EndpointConnectionError: Could not connect to the endpoint \
URL: "http://sync-127.0.0.1:4566/"
"""
EMULATOR_REFUSED = SYNC_HOST_PREFIX.replace("sync-127.0.0.1", "127.0.0.1")
ENDPOINT = "http://127.0.0.1:4566"


@pytest.mark.parametrize(
    ("text", "signature"),
    [
        (PARAM_VALIDATION, "test client: ParamValidationError"),
        (SYNC_HOST_PREFIX, "test client: called sync-127.0.0.1:4566, not the emulator endpoint"),
        ("E   socket.gaierror: [Errno -2] Name or service not known", "test client: a host name"),
        ("E   ModuleNotFoundError: No module named 'requests'", "test code:"),
    ],
)
def test_a_failure_in_the_tests_own_client_is_the_harness(text: str, signature: str) -> None:
    failure = classify_test_failure(text, "t::test_x", ENDPOINT)
    assert failure.category == "harness"
    assert failure.signature.startswith(signature)
    partial = _after_deploy(_with_failure(text), 1, endpoint=ENDPOINT)
    assert (partial.status, partial.category) == ("PARTIAL", "harness")


def test_emulator_unavailable_only_when_its_health_check_fails_after() -> None:
    healthy = _after_deploy(_with_failure(EMULATOR_REFUSED), 1, endpoint=ENDPOINT)
    assert (healthy.status, healthy.category) == ("PARTIAL", "emulator_error")
    assert "stayed healthy" in healthy.signature
    dead = _after_deploy(_with_failure(EMULATOR_REFUSED), 1, emulator_alive=False)
    assert (dead.status, dead.category) == ("ERROR", "emulator_unavailable")


def _with_failure(text: str) -> JUnitCounts:
    counts = _counts(passed=1, failed=1)
    counts.failures = [("t::test_x", text)]
    return counts


# Captured from the shared corpus (apigatewayv2-lambda-proxy): two resources fail at once.
GAP_BESIDE_LAMBDA = """aws_apigatewayv2_api.example: Creating...
aws_lambda_function.lambda: Creating...

Error: error creating API Gateway v2 API: InternalFailure:\x20
	status code: 501, request id: 2806d1cc-1a91-454d-b54f-fc7ff4b14a8f

  with aws_apigatewayv2_api.example,
  on main.tf line 3, in resource "aws_apigatewayv2_api" "example":
   3: resource "aws_apigatewayv2_api" "example" {


Error: error waiting for Lambda Function (mylambda) creation: InternalError: Error while creating lambda: Installation of lambda-runtime v0.1.41-pre failed.

  with aws_lambda_function.lambda,
  on main.tf line 24, in resource "aws_lambda_function" "lambda":
  24: resource "aws_lambda_function" "lambda" {
"""


def test_an_emulator_gap_beside_an_environment_limit_is_the_gap() -> None:
    """Docker would let the function deploy, but the API would still be missing: the gap is
    what this architecture shows about the emulator, and the limit is named beside it."""
    failure = classify_terraform("apply", GAP_BESIDE_LAMBDA)
    assert failure.category == "emulator_unsupported"
    assert failure.signature == "aws_apigatewayv2_api:InternalFailure:501"
    assert "also: lambda cannot execute without Docker" in failure.message
    lambda_only = GAP_BESIDE_LAMBDA[GAP_BESIDE_LAMBDA.index("Error: error waiting") :]
    assert classify_terraform("apply", lambda_only).category == "environment"
