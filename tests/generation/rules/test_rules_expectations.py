"""Expectations the checks derive from the configuration, not from habit: a role is assumed
only where its trust policy admits the caller; a function's own error is its code's business;
an attribute the configuration leaves unset is not expected to read back empty; a read API
gets a qualifier only where the configuration has one."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.generation.rules.checks_module import lsqm_checks as checks

ACCOUNT = "000000000000"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"


def trust(principal: Any, condition: dict[str, Any] | None = None, effect: str = "Allow") -> str:
    statement = {"Effect": effect, "Principal": principal, "Action": "sts:AssumeRole",
                 **({"Condition": condition} if condition else {})}  # fmt: skip
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@pytest.mark.parametrize(
    ("document", "admits"),
    [
        (trust({"Service": "ec2.amazonaws.com"}), False),  # AWS: AccessDenied for the caller
        (trust({"AWS": ROOT}), True),
        (trust({"AWS": ACCOUNT}), True),
        (trust({"AWS": "*"}), True),
        (trust({"AWS": f"arn:aws:iam::{ACCOUNT}:role/ci"}), False),  # another principal
        (trust({"AWS": "arn:aws:iam::111122223333:root"}), False),  # another account
        (trust({"AWS": ROOT}, {"StringEquals": {"sts:ExternalId": "x-1"}}), "x-1"),
        (trust({"AWS": ROOT}, {"Bool": {"aws:MultiFactorAuthPresent": "true"}}), False),
        (trust({"AWS": ROOT}, effect="Deny"), False),
    ],
)
def test_a_role_is_assumed_only_where_its_trust_policy_admits_the_caller(
    document: str, admits: bool | str
) -> None:
    assert checks.trust_admits(document, ROOT, ACCOUNT) == admits


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        (b'{"errorMessage": "KeyError: Records", "errorType": "KeyError"}', None),
        (b'{"errorMessage": "Task timed out after 3.00 seconds"}', None),
        (b"Internal failure", "not JSON"),
        (b'{"message": "boom"}', "no errorMessage"),
    ],
)
def test_a_function_error_is_the_codes_but_must_be_reported_as_aws_does(
    payload: bytes, problem: str | None
) -> None:
    found = checks.invoke_error_problem(payload)
    assert (found is None) if problem is None else (problem in str(found))


def test_an_attribute_left_unset_has_no_expected_value() -> None:
    alarm = {"values": {"metric_name": "", "threshold": 0, "namespace": "AWS/EC2"}}
    assert checks.expected(alarm, {}, "metric_name") is None  # unset: the API reports none
    assert checks.expected(alarm, {}, "namespace") == "AWS/EC2"
    assert checks.expected(alarm, {"metric_name": checks.FROM_STATE}, "metric_name") == ""
    assert checks.expected(alarm, {"metric_name": "CPU"}, "metric_name") == "CPU"


def test_a_read_gets_a_qualifier_only_where_the_configuration_has_one() -> None:
    params = {"FunctionName": "function_name", "Qualifier": "qualifier?"}
    plain = {"function_name": "f", "qualifier": ""}
    assert checks.read_arguments(plain, params) == {"FunctionName": "f"}
    live = {"function_name": "f", "qualifier": "live"}
    assert checks.read_arguments(live, params) == {"FunctionName": "f", "Qualifier": "live"}
    assert checks.read_arguments({"id": "i-1"}, {"InstanceIds": ["id"]}) == {"InstanceIds": ["i-1"]}


def test_an_encrypt_with_a_key_aws_would_refuse_expects_its_refusal() -> None:
    assert checks.KMS_REFUSALS["Disabled"] == "DisabledException"
    assert checks.KMS_REFUSALS["PendingDeletion"] == "KMSInvalidStateException"
    assert "Enabled" not in checks.KMS_REFUSALS
