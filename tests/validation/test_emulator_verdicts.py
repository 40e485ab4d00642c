"""Verdicts on what the new emulators answer, from their real output: an environment limit
is never blamed on the emulator, nor the reverse."""

from __future__ import annotations

from lsqm.records import Category
from lsqm.validation.classify import classify_terraform

# terraform apply on LocalEmu 1.3.2 (host runtime, no Docker), as captured; its log said:
# "Docker is not available in the LocalEmu container but required to run Lambda functions".
LOCALEMU_LAMBDA = (
    "aws_lambda_function.lambda: Still creating... [10s elapsed]\n\n"
    "Error: error waiting for Lambda Function (lambda-auth) creation: InternalError: "
    "Error while creating lambda: \n\n"
    "  with aws_lambda_function.lambda_auth,\n"
    '  on main.tf line 43, in resource "aws_lambda_function" "lambda_auth":\n'
    '  43: resource "aws_lambda_function" "lambda_auth" {\n\n'
)


def test_localemus_lambda_without_docker_is_the_environment() -> None:
    failure = classify_terraform("apply", LOCALEMU_LAMBDA)
    assert failure.category is Category.ENVIRONMENT
    assert failure.signature == "lambda cannot execute without Docker"


def test_a_lambda_error_with_a_reason_is_still_read_for_what_it_says() -> None:
    told = LOCALEMU_LAMBDA.replace(
        "Error while creating lambda: ", "Error while creating lambda: Invalid handler"
    )
    assert classify_terraform("apply", told).category is not Category.ENVIRONMENT


def test_a_route_ministack_does_not_handle_is_unsupported_not_rejected() -> None:
    # terraform apply on MiniStack 1.5.33: PutRestApi (an OpenAPI body) falls through its
    # router, which answers 404 "Unknown API Gateway v1 path".
    output = (
        "Error: error creating API Gateway specification: NotFoundException: Unknown API "
        "Gateway v1 path: /restapis/34b9d043\n\n"
        '  with aws_api_gateway_rest_api.api,\n  on main.tf line 9, in resource "aws_api_'
        'gateway_rest_api" "api":\n'
    )
    failure = classify_terraform("apply", output)
    assert failure.category is Category.EMULATOR_UNSUPPORTED, failure
