"""The checks of secretsmanager resources (part of ``lsqm_checks``; see its docstring).

Copied verbatim into every generated app beside ``lsqm_checks.py``.
"""

from __future__ import annotations

import base64
from typing import Any

from lsqm_checks_core import Aws, Resource, expected, values


# -- Secrets Manager -----------------------------------------------------------------
def secret_as_configured(aws: Aws, secret: Resource, declared: dict[str, Any]) -> None:
    """The secret exists under its name, with the configured description."""
    state = values(secret)
    got = aws("secretsmanager", secret).describe_secret(SecretId=state["arn"])
    assert got["Name"] == state["name"], f"secret name {got['Name']} != {state['name']}"
    if "description" in declared:
        assert got.get("Description", "") == (
            expected(secret, declared, "description") or ""
        )


def secret_value_as_configured(aws: Aws, version: Resource) -> None:
    """Reading the secret version returns the configured value."""
    state = values(version)
    got = aws("secretsmanager", version).get_secret_value(
        SecretId=state["secret_id"], VersionId=state["version_id"]
    )
    if state.get("secret_string"):
        assert got.get("SecretString") == state["secret_string"], (
            "secret string differs"
        )
    else:
        assert base64.b64encode(got["SecretBinary"]).decode() == state["secret_binary"]
