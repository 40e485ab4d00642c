"""Tests for the kms_key example: key properties, alias resolution, encrypt/decrypt."""

import json
import os

import boto3
import pytest


@pytest.fixture(scope="module")
def outputs():
    with open(os.environ["LSQM_TF_OUTPUTS"], encoding="utf-8") as f:
        return {name: item["value"] for name, item in json.load(f).items()}


@pytest.fixture(scope="module")
def kms():
    return boto3.client("kms")


def test_key_is_enabled_symmetric_encrypt_decrypt(kms, outputs):
    meta = kms.describe_key(KeyId=outputs["key_id"])["KeyMetadata"]
    assert meta["Arn"] == outputs["key_arn"]
    assert meta["Enabled"] is True
    assert meta["KeyState"] == "Enabled"
    assert meta["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert meta.get("KeySpec", meta.get("CustomerMasterKeySpec")) == "SYMMETRIC_DEFAULT"
    assert meta["Description"] == "lsqm kms_key example"


def test_key_rotation_is_enabled(kms, outputs):
    assert kms.get_key_rotation_status(KeyId=outputs["key_id"])["KeyRotationEnabled"] is True


def test_alias_resolves_to_key(kms, outputs):
    meta = kms.describe_key(KeyId=outputs["alias_name"])["KeyMetadata"]
    assert meta["KeyId"] == outputs["key_id"]
    aliases = kms.list_aliases(KeyId=outputs["key_id"])["Aliases"]
    assert [(a["AliasName"], a["AliasArn"]) for a in aliases] == [
        (outputs["alias_name"], outputs["alias_arn"])
    ]


def test_encrypt_via_alias_then_decrypt(kms, outputs):
    plaintext = b"lsqm secret payload \x00\x01\x02"
    enc = kms.encrypt(KeyId=outputs["alias_name"], Plaintext=plaintext)
    assert enc["KeyId"] == outputs["key_arn"]
    assert plaintext not in enc["CiphertextBlob"]
    dec = kms.decrypt(CiphertextBlob=enc["CiphertextBlob"])
    assert dec["Plaintext"] == plaintext
    assert dec["KeyId"] == outputs["key_arn"]


def test_encryption_context_must_match_to_decrypt(kms, outputs):
    enc = kms.encrypt(
        KeyId=outputs["alias_name"], Plaintext=b"ctx", EncryptionContext={"app": "lsqm"}
    )
    ok = kms.decrypt(CiphertextBlob=enc["CiphertextBlob"], EncryptionContext={"app": "lsqm"})
    assert ok["Plaintext"] == b"ctx"
    with pytest.raises(kms.exceptions.ClientError) as err:
        kms.decrypt(CiphertextBlob=enc["CiphertextBlob"], EncryptionContext={"app": "other"})
    assert err.value.response["Error"]["Code"] == "InvalidCiphertextException"


def test_generate_data_key_plaintext_matches_decrypted_copy(kms, outputs):
    dk = kms.generate_data_key(KeyId=outputs["alias_name"], KeySpec="AES_256")
    assert len(dk["Plaintext"]) == 32
    assert kms.decrypt(CiphertextBlob=dk["CiphertextBlob"])["Plaintext"] == dk["Plaintext"]


def test_key_tags_are_as_configured(kms, outputs):
    tags = kms.list_resource_tags(KeyId=outputs["key_id"])["Tags"]
    assert {t["TagKey"]: t["TagValue"] for t in tags} == {"Project": "lsqm", "Example": "kms_key"}
