"""The checks of kms resources (part of ``lsqm_checks``; see its docstring).

Copied verbatim into every generated app beside ``lsqm_checks.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from lsqm_checks_core import Aws, Resource, expected, marker, values


# -- KMS -------------------------------------------------------------------------------
def kms_encrypt_decrypt(
    aws: Aws, key: Resource, key_id_attribute: str = "key_id"
) -> None:
    """Encrypting then decrypting with the key (or alias) returns the plaintext; a disabled
    key refuses to encrypt, as AWS's does."""
    state = values(key)
    kms = aws("kms", key)
    key_id = state[key_id_attribute]
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    spec = (
        meta.get("KeySpec") or meta.get("CustomerMasterKeySpec") or "SYMMETRIC_DEFAULT"
    )
    if (
        meta.get("KeyUsage", "ENCRYPT_DECRYPT") != "ENCRYPT_DECRYPT"
        or spec != "SYMMETRIC_DEFAULT"
    ):
        pytest.skip(f"key usage {meta.get('KeyUsage')} / {spec} does not encrypt")
    plaintext = marker().encode()
    refusal = KMS_REFUSALS.get(meta.get("KeyState", "Enabled"))
    if refusal:
        with pytest.raises(ClientError) as refused:
            kms.encrypt(KeyId=key_id, Plaintext=plaintext)
        code = refused.value.response["Error"]["Code"]
        assert code == refusal, (
            f"encrypting with a {meta['KeyState']} key failed with {code}, not {refusal}"
        )
        return
    blob = kms.encrypt(KeyId=key_id, Plaintext=plaintext)["CiphertextBlob"]
    assert blob != plaintext, "ciphertext equals the plaintext"
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == plaintext, (
        "decrypt lost the text"
    )


def _external_id_only(condition: dict[str, Any]) -> str | None:
    """The external id a condition asks for, when that is all it asks."""
    equals = condition.get("StringEquals")
    if not isinstance(equals, dict) or list(condition) != ["StringEquals"]:
        return None
    if list(equals) != ["sts:ExternalId"]:
        return None
    wanted = equals["sts:ExternalId"]
    return wanted if isinstance(wanted, str) else None


# What AWS KMS answers an Encrypt with a key in these states.
KMS_REFUSALS = {
    "Disabled": "DisabledException",
    "PendingDeletion": "KMSInvalidStateException",
    "PendingImport": "KMSInvalidStateException",
    "Unavailable": "KMSInvalidStateException",
}


def kms_key_as_configured(aws: Aws, key: Resource, declared: dict[str, Any]) -> None:
    """The key's state, usage and description are what was configured."""
    state = values(key)
    got = aws("kms", key).describe_key(KeyId=state["key_id"])["KeyMetadata"]
    assert got["Arn"] == state["arn"], f"key ARN {got['Arn']} != {state['arn']}"
    enabled = expected(key, declared, "is_enabled")
    assert got["Enabled"] is (enabled is not False), f"key Enabled is {got['Enabled']}"
    if "description" in declared:
        assert got.get("Description", "") == (
            expected(key, declared, "description") or ""
        )
    if "key_usage" in declared:
        assert got["KeyUsage"] == expected(key, declared, "key_usage")


def kms_alias_as_configured(aws: Aws, alias: Resource) -> None:
    """The alias points at the configured key."""
    state = values(alias)
    pages = aws("kms", alias).get_paginator("list_aliases").paginate()
    found = [a for p in pages for a in p["Aliases"] if a["AliasName"] == state["name"]]
    assert found, f"alias {state['name']} is not listed"
    target = state["target_key_id"]
    assert found[0].get("TargetKeyId") and target.endswith(found[0]["TargetKeyId"]), (
        f"alias {state['name']} targets {found[0].get('TargetKeyId')}, configured {target}"
    )
