"""The checks of awslambda resources (part of ``lsqm_checks``; see its docstring).

Copied verbatim into every generated app beside ``lsqm_checks.py``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from lsqm_checks_core import Aws, Resource, expected, values, wait_for


# -- Lambda ----------------------------------------------------------------------------
def lambda_invoke(aws: Aws, function: Resource) -> None:
    """Invoking the active function is answered with 200. Whether its code raises for an
    empty event is the code's business (AWS then answers 200 with a FunctionError and the
    error as JSON), not a promise of the configuration."""
    state = values(function)
    client = aws("lambda", function)
    name = state["function_name"]
    if state.get("reserved_concurrent_executions") == 0:
        pytest.skip(
            f"{name} has reserved concurrency 0: AWS throttles every invocation"
        )

    def settled() -> dict[str, Any] | None:
        config = client.get_function_configuration(FunctionName=name)
        return config if config.get("State", "Active") != "Pending" else None

    config = wait_for(f"function {name} stayed Pending", settled, timeout=60)
    if config.get("State") == "Failed":
        pytest.fail(
            f"function {name} is in state Failed ({config.get('StateReasonCode')}): "
            f"{config.get('StateReason')}"
        )
    got = client.invoke(FunctionName=name, Payload=b"{}")
    payload = got["Payload"].read()
    assert got["StatusCode"] == 200, f"invoke returned {got['StatusCode']}"
    if got.get("FunctionError"):
        problem = invoke_error_problem(payload)
        assert problem is None, f"{got['FunctionError']} error of {name}: {problem}"


def invoke_error_problem(payload: bytes) -> str | None:
    """What is wrong with a function error's payload, if anything: AWS reports the error
    as a JSON object with an ``errorMessage``."""
    try:
        error = json.loads(payload or b"null")
    except ValueError:
        return f"the error is not JSON: {payload[:200]!r}"
    if not isinstance(error, dict) or "errorMessage" not in error:
        return f"the error has no errorMessage: {payload[:200]!r}"
    return None


def lambda_function_as_configured(
    aws: Aws, function: Resource, declared: dict[str, Any]
) -> None:
    """Runtime, handler, memory and timeout are what was configured."""
    state = values(function)
    got = aws("lambda", function).get_function_configuration(
        FunctionName=state["function_name"]
    )
    for key, field in (
        ("runtime", "Runtime"),
        ("handler", "Handler"),
        ("memory_size", "MemorySize"),
        ("timeout", "Timeout"),
    ):
        wanted = expected(function, declared, key)
        if wanted is not None:
            assert got.get(field) == wanted, (
                f"{field} is {got.get(field)!r}, not {wanted!r}"
            )
