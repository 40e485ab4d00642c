"""The checks of apigateway resources (part of ``lsqm_checks``; see its docstring).

Copied verbatim into every generated app beside ``lsqm_checks.py``.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest
from lsqm_checks_core import Aws, Resource, state_resources, values


# -- API Gateway -----------------------------------------------------------------------
class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """An API's redirect is its answer: following it would leave the emulator."""

    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def http_call(method: str, url: str, body: bytes | None = None) -> tuple[int, bytes]:
    """One HTTP request to the emulator; the status code and body, also for error codes
    and redirects (not followed)."""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with _OPENER.open(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def emulator_url(path: str) -> str:
    """``path`` on the emulator endpoint lsqm gives the test (any host: an external
    emulator need not be local)."""
    endpoint = os.environ["AWS_ENDPOINT_URL"].rstrip("/")
    assert endpoint.startswith(("http://", "https://")), endpoint
    return endpoint + path


def concrete_path(path: str) -> str:
    """A request path for a resource path template (``/items/{id}`` -> ``/items/lsqm``)."""
    parts = ["lsqm" if p.startswith("{") else p for p in path.split("/")]
    return "/".join(parts)


def apigateway_method_answers(aws: Aws, state: Any, method: Resource) -> None:
    """Calling the method through a deployed stage answers with the status its MOCK
    integration selects. Any other integration answers as its backend does (a Lambda's
    code, an HTTP service), which the configuration does not fix: not asserted."""
    wanted = values(method)
    status, template = _mock_answer(state, wanted)
    api = aws("apigateway", method)
    api_id = wanted["rest_api_id"]
    stages = api.get_stages(restApiId=api_id).get("item", [])
    if not stages:
        pytest.skip(
            f"REST API {api_id} has no stage to call (a deployment without one)"
        )
    path = api.get_resource(restApiId=api_id, resourceId=wanted["resource_id"])["path"]
    verb = "GET" if wanted["http_method"] == "ANY" else wanted["http_method"]
    body = b"{}" if verb in ("POST", "PUT", "PATCH") else None
    stage = stages[0]["stageName"]
    url = emulator_url(f"/_aws/execute-api/{api_id}/{stage}{concrete_path(path)}")
    got, payload = http_call(verb, url, body)
    assert got == status, (
        f"{verb} {path} on stage {stage} answered {got} ({payload[:200]!r}); "
        f"its MOCK integration selects {status}"
    )
    if template is not None:  # a template without VTL is sent back as it is
        assert payload.decode("utf-8", errors="replace") == template, (
            f"{verb} {path} on stage {stage} answered {payload[:200]!r}; "
            f"its integration response's template is {template!r}"
        )


def _mock_answer(state: Any, method: dict[str, Any]) -> tuple[int, str | None]:
    """The status the method's MOCK integration answers with, from the configuration:
    the request template's statusCode, then the integration response it selects; and the
    body, when that response's JSON template is static text (no VTL to evaluate)."""
    same = ("rest_api_id", "resource_id", "http_method")

    def of_method(resource_type: str) -> list[dict[str, Any]]:
        found = state_resources(state, resource_type)
        return [
            values(r) for r in found if all(values(r).get(k) == method[k] for k in same)
        ]

    integrations = of_method("aws_api_gateway_integration")
    if not integrations:
        pytest.skip("the method's integration is not in this configuration")
    integration = integrations[0]
    if integration.get("type") != "MOCK":
        backend = integration.get("uri") or ""
        pytest.skip(
            f"a {integration.get('type')} integration {backend} decides the answer"
        )
    blocker = _call_blocker(state, method)
    if blocker:
        pytest.skip(blocker)
    template = (integration.get("request_templates") or {}).get("application/json")
    try:
        status = json.loads(template or "")["statusCode"]
    except (ValueError, KeyError, TypeError):
        status = None
    if not isinstance(status, int) or isinstance(status, bool):
        pytest.skip("the MOCK request template does not fix a status code")
    responses = of_method("aws_api_gateway_integration_response")
    chosen = _selected_response(responses, status)
    if chosen is None:
        pytest.skip(f"no integration response is selected for status {status}")
    body = (chosen.get("response_templates") or {}).get("application/json")
    static = isinstance(body, str) and body.strip() and not any(c in body for c in "$#")
    return int(chosen["status_code"]), body if static else None


def _selected_response(
    responses: list[dict[str, Any]], status: int
) -> dict[str, Any] | None:
    """The integration response whose selection pattern matches the status, else the
    default one (no pattern)."""
    try:
        for response in responses:
            pattern = response.get("selection_pattern") or ""
            if pattern and re.fullmatch(pattern, str(status)):
                return response
    except re.error:
        return None
    return next((r for r in responses if not r.get("selection_pattern")), None)


def _call_blocker(state: Any, method: dict[str, Any]) -> str | None:
    """What stands between an anonymous caller and the method on AWS, if anything."""
    if method.get("authorization") != "NONE" or method.get("api_key_required"):
        return "the method needs authorization or an API key"
    apis = [
        values(r)
        for r in state_resources(state, "aws_api_gateway_rest_api")
        if values(r).get("id") == method["rest_api_id"]
    ]
    policies = [
        r
        for r in state_resources(state, "aws_api_gateway_rest_api_policy")
        if values(r).get("rest_api_id") == method["rest_api_id"]
    ]
    if policies or (apis and apis[0].get("policy")):
        return "a resource policy decides who may call the API"
    endpoint = (apis[0].get("endpoint_configuration") or [{}])[0] if apis else {}
    if "PRIVATE" in (endpoint.get("types") or []):
        return "a private API answers only inside its VPC"
    required = any((method.get("request_parameters") or {}).values())
    if method.get("request_validator_id") and (
        required or method.get("request_models")
    ):
        return "a request validator checks parameters or a body the check does not send"
    return None


def apigateway_method_as_configured(aws: Aws, tf_state: Any, method: Resource) -> None:
    """The method's authorization, API key requirement and integration (its type and
    backend) are what was configured."""
    state = values(method)
    got = aws("apigateway", method).get_method(
        restApiId=state["rest_api_id"],
        resourceId=state["resource_id"],
        httpMethod=state["http_method"],
    )
    assert got["authorizationType"] == state["authorization"], got["authorizationType"]
    assert bool(got.get("apiKeyRequired")) == bool(state.get("api_key_required"))
    same = ("rest_api_id", "resource_id", "http_method")
    integrations = [
        values(r)
        for r in state_resources(tf_state, "aws_api_gateway_integration")
        if all(values(r).get(k) == state[k] for k in same)
    ]
    if integrations:
        wanted = integrations[0]
        integration = got.get("methodIntegration") or {}
        assert integration.get("type") == wanted["type"], (
            f"the method's integration is {integration.get('type')}, configured "
            f"{wanted['type']}"
        )
        if wanted.get("uri"):
            assert integration.get("uri") == wanted["uri"], (
                f"the integration's uri is {integration.get('uri')}, configured "
                f"{wanted['uri']}"
            )


def apigateway_rest_api_as_configured(aws: Aws, rest_api: Resource) -> None:
    """The REST API exists under its configured name."""
    state = values(rest_api)
    got = aws("apigateway", rest_api).get_rest_api(restApiId=state["id"])
    assert got["name"] == state["name"], (
        f"REST API name {got['name']} != {state['name']}"
    )
