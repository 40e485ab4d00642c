"""Tests for the secretsmanager_secret example: secret metadata and the stored value."""

import json
import os

import boto3
import pytest

EXPECTED = {"username": "lsqm_app", "password": "correct-horse-battery-staple", "port": 5432}


@pytest.fixture(scope="module")
def outputs():
    with open(os.environ["LSQM_TF_OUTPUTS"], encoding="utf-8") as f:
        return {name: item["value"] for name, item in json.load(f).items()}


@pytest.fixture(scope="module")
def sm():
    return boto3.client("secretsmanager")


def test_secret_value_by_name_is_the_configured_json(sm, outputs):
    resp = sm.get_secret_value(SecretId=outputs["secret_name"])
    assert json.loads(resp["SecretString"]) == EXPECTED
    assert resp["ARN"] == outputs["secret_arn"]
    assert resp["Name"] == outputs["secret_name"]


def test_secret_value_by_arn_is_current_version(sm, outputs):
    resp = sm.get_secret_value(SecretId=outputs["secret_arn"])
    assert resp["VersionId"] == outputs["version_id"]
    assert "AWSCURRENT" in resp["VersionStages"]
    assert json.loads(resp["SecretString"]) == EXPECTED


def test_secret_metadata_is_as_configured(sm, outputs):
    desc = sm.describe_secret(SecretId=outputs["secret_arn"])
    assert desc["Name"] == outputs["secret_name"]
    assert desc["Description"] == "Database credentials for the lsqm example"
    assert {t["Key"]: t["Value"] for t in desc["Tags"]} == {
        "Project": "lsqm",
        "Example": "secretsmanager_secret",
    }
    assert "DeletedDate" not in desc
    assert desc["VersionIdsToStages"][outputs["version_id"]] == ["AWSCURRENT"]


def test_secret_is_listed_once_with_one_version(sm, outputs):
    listed = sm.list_secrets(Filters=[{"Key": "name", "Values": [outputs["secret_name"]]}])
    assert [s["ARN"] for s in listed["SecretList"]] == [outputs["secret_arn"]]
    versions = sm.list_secret_version_ids(SecretId=outputs["secret_arn"])["Versions"]
    assert [v["VersionId"] for v in versions] == [outputs["version_id"]]


def test_unknown_secret_raises_resource_not_found(sm, outputs):
    with pytest.raises(sm.exceptions.ResourceNotFoundException):
        sm.get_secret_value(SecretId=outputs["secret_name"] + "-missing")
