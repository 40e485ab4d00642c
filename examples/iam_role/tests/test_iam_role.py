"""Tests for the iam_role example: trust policy, inline policy and attached managed policy."""

import json
import os
import urllib.parse

import boto3
import pytest


@pytest.fixture(scope="module")
def outputs():
    with open(os.environ["LSQM_TF_OUTPUTS"], encoding="utf-8") as f:
        return {name: item["value"] for name, item in json.load(f).items()}


@pytest.fixture(scope="module")
def iam():
    return boto3.client("iam")


def as_doc(value):
    """IAM returns policy documents either decoded or URL-encoded JSON."""
    if isinstance(value, str):
        return json.loads(urllib.parse.unquote(value))
    return value


def as_list(value):
    return value if isinstance(value, list) else [value]


def test_role_properties_are_as_configured(iam, outputs):
    role = iam.get_role(RoleName=outputs["role_name"])["Role"]
    assert role["Arn"] == outputs["role_arn"]
    assert role["Path"] == "/lsqm/"
    assert role["Arn"].endswith(":role/lsqm/" + outputs["role_name"])
    assert role["Description"] == "lsqm iam_role example"
    assert role["MaxSessionDuration"] == 7200


def test_trust_policy_allows_ec2_to_assume(iam, outputs):
    role = iam.get_role(RoleName=outputs["role_name"])["Role"]
    doc = as_doc(role["AssumeRolePolicyDocument"])
    (stmt,) = as_list(doc["Statement"])
    assert stmt["Effect"] == "Allow"
    assert stmt["Principal"] == {"Service": "ec2.amazonaws.com"}
    assert as_list(stmt["Action"]) == ["sts:AssumeRole"]


def test_role_tags_are_as_configured(iam, outputs):
    tags = iam.list_role_tags(RoleName=outputs["role_name"])["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"Project": "lsqm", "Example": "iam_role"}


def test_inline_policy_is_attached_with_its_document(iam, outputs):
    names = iam.list_role_policies(RoleName=outputs["role_name"])["PolicyNames"]
    assert names == [outputs["inline_policy_name"]]
    doc = as_doc(
        iam.get_role_policy(
            RoleName=outputs["role_name"], PolicyName=outputs["inline_policy_name"]
        )["PolicyDocument"]
    )
    (stmt,) = as_list(doc["Statement"])
    assert stmt["Effect"] == "Allow"
    assert sorted(as_list(stmt["Action"])) == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert stmt["Resource"] == "*"


def test_managed_policy_is_attached(iam, outputs):
    attached = iam.list_attached_role_policies(RoleName=outputs["role_name"])
    arns = [p["PolicyArn"] for p in attached["AttachedPolicies"]]
    assert arns == [outputs["managed_policy_arn"]]
    entities = iam.list_entities_for_policy(PolicyArn=outputs["managed_policy_arn"])
    assert [r["RoleName"] for r in entities["PolicyRoles"]] == [outputs["role_name"]]


def test_managed_policy_document_is_as_configured(iam, outputs):
    policy = iam.get_policy(PolicyArn=outputs["managed_policy_arn"])["Policy"]
    assert policy["Path"] == "/lsqm/"
    assert policy["AttachmentCount"] == 1
    version = iam.get_policy_version(
        PolicyArn=outputs["managed_policy_arn"], VersionId=policy["DefaultVersionId"]
    )["PolicyVersion"]
    (stmt,) = as_list(as_doc(version["Document"])["Statement"])
    assert sorted(as_list(stmt["Action"])) == ["s3:GetObject", "s3:ListBucket"]
    assert sorted(as_list(stmt["Resource"])) == [
        "arn:aws:s3:::lsqm-iam-role-bucket",
        "arn:aws:s3:::lsqm-iam-role-bucket/*",
    ]
