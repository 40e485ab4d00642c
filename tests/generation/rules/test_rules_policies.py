"""Equal documents compare equal however AWS and Terraform spell them: a policy's account
as id or root ARN, an empty Sid, a condition's boolean as JSON or text; a DynamoDB item's
number by value, a set in any order, a binary as base64 text or bytes."""

from __future__ import annotations

import base64
import json

from tests.generation.rules.checks_module import lsqm_checks as checks
from tests.generation.rules.checks_module import service

dynamodb_checks = service("dynamodb")


def test_a_policy_reads_the_same_however_aws_writes_it_back() -> None:
    written = {"Version": "2012-10-17", "Statement": {
        "Sid": "", "Effect": "Allow", "Principal": {"AWS": "123456789012"},
        "Action": ["s3:GetObject"], "Resource": "*",
        "Condition": {"Bool": {"aws:SecureTransport": False}}}}  # fmt: skip
    read_back = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
        "Action": "s3:GetObject", "Resource": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}  # fmt: skip
    assert checks.normalize_policy(json.dumps(written)) == checks.normalize_policy(read_back)
    other = {**read_back["Statement"][0], "Principal": {"AWS": "arn:aws:iam::999999999999:root"}}
    assert checks.normalize_policy({"Version": "2012-10-17", "Statement": [other]}) != (
        checks.normalize_policy(read_back)
    )
    service = {"Statement": [{"Principal": {"Service": "123456789012"}}]}  # not an account
    assert "arn:" not in json.dumps(checks.normalize_policy(service))


def test_an_item_reads_the_same_however_dynamodb_keeps_it() -> None:
    written = {"price": {"N": "1.50"}, "tags": {"SS": ["b", "a"]},
               "blob": {"B": base64.b64encode(b"lsqm").decode()},
               "nested": {"M": {"n": {"N": "010"}, "l": {"L": [{"BOOL": True}]}}}}  # fmt: skip
    read_back = {"price": {"N": "1.5"}, "tags": {"SS": ["a", "b"]}, "blob": {"B": b"lsqm"},
                 "nested": {"M": {"l": {"L": [{"BOOL": True}]}, "n": {"N": "10"}}}}  # fmt: skip

    def canonical(item: dict[str, dict[str, object]]) -> dict[str, object]:
        return {k: checks.dynamodb_value(v) for k, v in item.items()}

    assert canonical(written) == canonical(read_back)
    assert canonical({"price": {"N": "1.5"}}) != canonical({"price": {"S": "1.5"}})
    assert dynamodb_checks._wire(checks.dynamodb_value({"B": "bHNxbQ=="})) == {"B": b"lsqm"}
