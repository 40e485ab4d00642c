"""Tests for the ssm_parameters example: values, types, decryption and path queries."""

import json
import os

import boto3
import pytest


@pytest.fixture(scope="module")
def outputs():
    with open(os.environ["LSQM_TF_OUTPUTS"], encoding="utf-8") as f:
        return {name: item["value"] for name, item in json.load(f).items()}


@pytest.fixture(scope="module")
def ssm():
    return boto3.client("ssm")


def test_string_parameter_value_and_type(ssm, outputs):
    p = ssm.get_parameter(Name=outputs["string_parameter_name"])["Parameter"]
    assert p["Type"] == "String"
    assert p["Value"] == "https://api.example.internal:8443"
    assert p["Version"] == 1


def test_stringlist_parameter_value_and_type(ssm, outputs):
    p = ssm.get_parameter(Name=outputs["stringlist_parameter_name"])["Parameter"]
    assert p["Type"] == "StringList"
    assert p["Value"].split(",") == ["us-east-1", "eu-west-1"]


def test_secure_string_is_encrypted_unless_decryption_requested(ssm, outputs):
    name = outputs["secure_parameter_name"]
    raw = ssm.get_parameter(Name=name, WithDecryption=False)["Parameter"]
    assert raw["Type"] == "SecureString"
    assert raw["Value"] != "s3cr3t-lsqm-Pa55"
    dec = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
    assert dec["Value"] == "s3cr3t-lsqm-Pa55"


def test_descriptions_are_as_configured(ssm, outputs):
    resp = ssm.describe_parameters(
        ParameterFilters=[
            {"Key": "Path", "Option": "Recursive", "Values": [outputs["parameter_path"]]}
        ]
    )
    desc = {p["Name"]: p.get("Description") for p in resp["Parameters"]}
    assert desc[outputs["string_parameter_name"]] == "Service endpoint"
    assert desc[outputs["secure_parameter_name"]] == "Database password"


def test_get_parameters_by_path_returns_all_three(ssm, outputs):
    resp = ssm.get_parameters_by_path(Path=outputs["parameter_path"], WithDecryption=True)
    got = {p["Name"]: (p["Type"], p["Value"]) for p in resp["Parameters"]}
    assert got == {
        outputs["string_parameter_name"]: ("String", "https://api.example.internal:8443"),
        outputs["stringlist_parameter_name"]: ("StringList", "us-east-1,eu-west-1"),
        outputs["secure_parameter_name"]: ("SecureString", "s3cr3t-lsqm-Pa55"),
    }


def test_missing_parameter_is_reported_as_invalid(ssm, outputs):
    resp = ssm.get_parameters(
        Names=[outputs["string_parameter_name"], outputs["parameter_path"] + "/does-not-exist"]
    )
    assert [p["Name"] for p in resp["Parameters"]] == [outputs["string_parameter_name"]]
    assert resp["InvalidParameters"] == [outputs["parameter_path"] + "/does-not-exist"]


def test_tags_on_string_parameter(ssm, outputs):
    tags = ssm.list_tags_for_resource(
        ResourceType="Parameter", ResourceId=outputs["string_parameter_name"]
    )["TagList"]
    assert {t["Key"]: t["Value"] for t in tags} == {"Project": "lsqm", "Example": "ssm_parameters"}
