"""Tests for the apigateway_mock example: API configuration and invoking the MOCK endpoint."""

import json
import os
import urllib.error
import urllib.request

import boto3
import pytest


@pytest.fixture(scope="module")
def outputs():
    with open(os.environ["LSQM_TF_OUTPUTS"], encoding="utf-8") as f:
        return {name: item["value"] for name, item in json.load(f).items()}


@pytest.fixture(scope="module")
def apigw():
    return boto3.client("apigateway")


def invoke_url(outputs, path):
    endpoint = os.environ["AWS_ENDPOINT_URL"].rstrip("/")
    return f"{endpoint}/_aws/execute-api/{outputs['rest_api_id']}/{outputs['stage_name']}{path}"


def http(method, url):
    req = urllib.request.Request(url, method=method, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_rest_api_is_regional_with_ping_resource(apigw, outputs):
    api = apigw.get_rest_api(restApiId=outputs["rest_api_id"])
    assert api["name"] == "lsqm-apigateway-mock-api"
    assert api["endpointConfiguration"]["types"] == ["REGIONAL"]
    paths = {r["path"] for r in apigw.get_resources(restApiId=outputs["rest_api_id"])["items"]}
    assert paths == {"/", outputs["resource_path"]}
    assert outputs["resource_path"] == "/ping"


def test_get_method_has_mock_integration_and_200_responses(apigw, outputs):
    resources = apigw.get_resources(restApiId=outputs["rest_api_id"])["items"]
    ping = next(r for r in resources if r["path"] == outputs["resource_path"])
    method = apigw.get_method(
        restApiId=outputs["rest_api_id"], resourceId=ping["id"], httpMethod="GET"
    )
    assert method["authorizationType"] == "NONE"
    assert method["methodIntegration"]["type"] == "MOCK"
    assert "200" in method["methodResponses"]
    ir = apigw.get_integration_response(
        restApiId=outputs["rest_api_id"], resourceId=ping["id"], httpMethod="GET", statusCode="200"
    )
    assert json.loads(ir["responseTemplates"]["application/json"]) == {
        "message": "pong",
        "service": "lsqm",
    }


def test_stage_points_at_deployment_with_variables(apigw, outputs):
    stage = apigw.get_stage(restApiId=outputs["rest_api_id"], stageName=outputs["stage_name"])
    assert stage["deploymentId"] == outputs["deployment_id"]
    assert stage["description"] == "lsqm dev stage"
    assert stage["variables"] == {"environment": "dev"}


def test_invoking_get_ping_returns_mock_response(outputs):
    status, body = http("GET", invoke_url(outputs, outputs["resource_path"]))
    assert status == 200, body
    assert json.loads(body) == {"message": "pong", "service": "lsqm"}


def test_unknown_path_is_not_served(outputs):
    status, _ = http("GET", invoke_url(outputs, "/does-not-exist"))
    assert 400 <= status < 500
