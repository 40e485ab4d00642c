"""What a REST API method must answer, from its configuration: a MOCK integration's
status (request template, then the integration response it selects); any other
integration's answer belongs to its backend and is not expected."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from tests.generation.rules.checks_module import service

apigateway_checks = service("apigateway")

METHOD = {"rest_api_id": "a1", "resource_id": "r1", "http_method": "GET",
          "authorization": "NONE"}  # fmt: skip


def state(*resources: tuple[str, dict[str, Any]]) -> SimpleNamespace:
    return SimpleNamespace(
        resources=[{"type": t, "address": f"{t}.x", "values": v} for t, v in resources]
    )


def integration(kind: str = "MOCK", template: Any = None, **extra: Any) -> tuple[str, Any]:
    templates = {"application/json": template} if template is not None else {}
    values = {**METHOD, "type": kind, "request_templates": templates, **extra}
    return ("aws_api_gateway_integration", values)


def response(status: str, pattern: str = "", body: str | None = None) -> tuple[str, dict[str, Any]]:
    values = {**METHOD, "status_code": status, "selection_pattern": pattern}
    if body is not None:
        values["response_templates"] = {"application/json": body}
    return ("aws_api_gateway_integration_response", values)


def skipped(tf_state: SimpleNamespace, method: dict[str, Any] = METHOD) -> str:
    with pytest.raises(pytest.skip.Exception) as skip:
        apigateway_checks._mock_answer(tf_state, method)
    return str(skip.value)


def test_a_mock_answers_with_the_response_its_template_status_selects() -> None:
    template = json.dumps({"statusCode": 404})
    selects = state(integration(template=template), response("200"), response("404", "40\\d"))
    assert apigateway_checks._mock_answer(selects, METHOD) == (404, None)
    default = state(integration(template=template), response("200"), response("500", "5\\d\\d"))
    assert apigateway_checks._mock_answer(default, METHOD) == (200, None)  # the default


def test_a_static_response_template_is_the_body_expected_and_vtl_is_not() -> None:
    """AWS sends a template without VTL back as it is; one with VTL it evaluates, which
    the check does not imitate (and an empty one gives no body to compare)."""
    template = json.dumps({"statusCode": 200})
    pong = '{"message":"pong","service":"lsqm"}'
    static = state(integration(template=template), response("200", body=pong))
    assert apigateway_checks._mock_answer(static, METHOD) == (200, pong)
    for body in ('{"id": "$context.requestId"}', "#set($x = 1)", "", "  "):
        vtl = state(integration(template=template), response("200", body=body))
        assert apigateway_checks._mock_answer(vtl, METHOD) == (200, None), body


def test_an_answer_the_configuration_does_not_fix_is_not_expected() -> None:
    proxy = integration("HTTP_PROXY", uri="http://backend.example/")
    assert "HTTP_PROXY integration http://backend.example/" in skipped(state(proxy))
    assert "AWS_PROXY" in skipped(state(integration("AWS_PROXY")))
    assert "not in this configuration" in skipped(state())
    vtl = integration(template='#set($s = 200){"statusCode": $s}')
    assert "does not fix a status" in skipped(state(vtl, response("200")))
    only_errors = integration(template=json.dumps({"statusCode": 200}))
    assert "no integration response" in skipped(state(only_errors, response("500", "5\\d\\d")))


@pytest.mark.parametrize(
    ("extra", "method", "reason"),
    [
        ([("aws_api_gateway_rest_api", {"id": "a1", "policy": "{...}"})], {}, "resource policy"),
        ([("aws_api_gateway_rest_api_policy", {"rest_api_id": "a1"})], {}, "resource policy"),
        ([("aws_api_gateway_rest_api", {"id": "a1", "policy": "",
                                        "endpoint_configuration": [{"types": ["PRIVATE"]}]})],
         {}, "private API"),
        ([], {"request_validator_id": "v1",
              "request_parameters": {"method.request.querystring.id": True}}, "validator"),
        ([], {"api_key_required": True}, "API key"),
    ],
)  # fmt: skip
def test_what_stands_before_an_anonymous_caller_makes_the_answer_unknown(
    extra: list[tuple[str, dict[str, Any]]], method: dict[str, Any], reason: str
) -> None:
    template = json.dumps({"statusCode": 200})
    tf_state = state(integration(template=template), response("200"), *extra)
    assert reason in skipped(tf_state, {**METHOD, **method})
