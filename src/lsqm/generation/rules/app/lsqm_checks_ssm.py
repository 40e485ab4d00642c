"""The checks of ssm resources (part of ``lsqm_checks``; see its docstring).

Copied verbatim into every generated app beside ``lsqm_checks.py``.
"""

from __future__ import annotations

from typing import Any

from lsqm_checks_core import Aws, Resource, expected, values


# -- SSM and Secrets Manager -----------------------------------------------------------
def _read_parameter(aws: Aws, param: Resource) -> dict[str, Any]:
    """The parameter as read back; every read is whole: its name, type and value are the
    ones terraform recorded (a read that garbles one is wrong whichever check made it)."""
    state = values(param)
    got = aws("ssm", param).get_parameter(Name=state["name"], WithDecryption=True)
    got = got["Parameter"]
    assert got["Name"] == state["name"], f"read {state['name']}, got {got['Name']}"
    if state.get("type"):
        assert got["Type"] == state["type"], (
            f"parameter {state['name']} is {got['Type']}, recorded {state['type']}"
        )
    recorded = state.get("value")
    if recorded is None:
        recorded = state.get("insecure_value")
    if recorded is not None:
        assert got["Value"] == str(recorded), (
            f"parameter {state['name']}: another value"
        )
    return dict(got)


def ssm_parameter_value_as_configured(
    aws: Aws, param: Resource, declared: dict[str, Any]
) -> None:
    """Reading the parameter returns the configured value."""
    state = values(param)
    got = _read_parameter(aws, param)
    wanted = expected(param, declared, "value")
    if wanted is None:
        wanted = state.get("insecure_value")
    assert got["Value"] == str(wanted), f"parameter {state['name']} holds another value"


def ssm_parameter_type_as_configured(
    aws: Aws, param: Resource, declared: dict[str, Any]
) -> None:
    """The parameter has the configured type."""
    state = values(param)
    got = _read_parameter(aws, param)
    wanted = expected(param, declared, "type")
    assert got["Type"] == wanted, (
        f"parameter {state['name']} is {got['Type']}, not {wanted}"
    )
