"""When a delivery check expects a message on a queue: only where AWS would deliver it.

SNS, EventBridge and S3 deliver to a queue only where the queue's policy lets the service
send for that source; a disabled or a scheduled rule matches no event; a notification only
fires for the events it names. The logic is pure: it reads the Terraform state."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.generation.rules.checks_module import lsqm_checks as checks
from tests.generation.rules.checks_module import service

events_checks = service("events")
s3_checks = service("s3")

QUEUE = "arn:aws:sqs:us-east-1:000000000000:orders"
URL = "http://127.0.0.1:4566/000000000000/orders"
TOPIC = "arn:aws:sns:us-east-1:000000000000:events"
SNS = "sns.amazonaws.com"


def allow(principal: Any, condition: dict[str, Any] | None = None, **extra: Any) -> str:
    statement = {"Effect": "Allow", "Principal": principal, "Action": "sqs:SendMessage",
                 "Resource": QUEUE, **({"Condition": condition} if condition else {}), **extra}  # fmt: skip
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def state(*resources: tuple[str, dict[str, Any]]) -> SimpleNamespace:
    """A Terraform state as the generated tests' ``State`` holds it."""
    return SimpleNamespace(
        resources=[{"type": t, "address": f"{t}.x", "values": v} for t, v in resources]
    )


def queue(**extra: Any) -> tuple[str, dict[str, Any]]:
    return ("aws_sqs_queue", {"arn": QUEUE, "url": URL, "id": URL, "policy": "", **extra})


def policy(document: str) -> tuple[str, dict[str, Any]]:
    return ("aws_sqs_queue_policy", {"queue_url": URL, "policy": document})


@pytest.mark.parametrize(
    ("document", "verdict"),
    [
        (allow({"Service": SNS}, {"ArnEquals": {"aws:SourceArn": TOPIC}}), "allow"),
        (allow({"Service": [SNS, "events.amazonaws.com"]}), "allow"),
        (allow("*", {"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:*:ev*"}}), "allow"),
        (allow({"AWS": "*"}, {"StringEquals": {"aws:SourceAccount": "000000000000"}}), "allow"),
        (allow({"Service": SNS}, {"ArnEquals": {"aws:SourceArn": TOPIC + "-other"}}), "deny"),
        (allow({"Service": "events.amazonaws.com"}), "deny"),
        (allow({"AWS": "arn:aws:iam::000000000000:root"}), "deny"),  # an account, not SNS
        (allow({"Service": SNS}, {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}), "unknown"),
        (allow({"Service": SNS}, {"ArnEquals": {"aws:SourceVpc": "vpc-1"}}), "unknown"),
        (allow({"Service": SNS}, Effect="Deny"), "deny"),
        (json.dumps({"Statement": {"Effect": "Allow", "Principal": {"Service": SNS},
                                   "NotAction": "sqs:DeleteQueue", "Resource": "*"}}), "unknown"),
    ],
)  # fmt: skip
def test_the_queue_policy_decides_whether_a_service_may_send(document: str, verdict: str) -> None:
    context = {"aws:sourcearn": TOPIC, "aws:sourceaccount": "000000000000"}
    assert checks.policy_verdict(document, SNS, "sqs:SendMessage", QUEUE, context) == verdict


def test_a_delivery_is_expected_only_where_aws_would_make_it() -> None:
    allowed = allow({"Service": SNS}, {"ArnEquals": {"aws:SourceArn": TOPIC}})
    assert checks.delivery_blocker(state(queue(), policy(allowed)), QUEUE, SNS, TOPIC) is None
    assert checks.delivery_blocker(state(queue(policy=allowed)), QUEUE, SNS, TOPIC) is None

    no_policy = checks.delivery_blocker(state(queue()), QUEUE, SNS, TOPIC)
    assert no_policy is not None and "no queue policy" in no_policy
    managed_key = state(queue(kms_master_key_id="alias/aws/sqs"), policy(allowed))
    assert "AWS managed" in str(checks.delivery_blocker(managed_key, QUEUE, SNS, TOPIC))
    elsewhere = checks.delivery_blocker(state(), QUEUE, SNS, TOPIC)
    assert elsewhere is not None and "not in this configuration" in elsewhere
    mapping = ("aws_lambda_event_source_mapping", {"event_source_arn": QUEUE})
    consumed = checks.delivery_blocker(state(queue(), policy(allowed), mapping), QUEUE, SNS, TOPIC)
    assert "aws_lambda_event_source_mapping.x reads" in str(consumed)


@pytest.mark.parametrize(
    ("rule", "pattern", "silence"),
    [
        ({"is_enabled": False}, {"source": ["a"]}, "disabled"),
        ({"state": "DISABLED"}, {"source": ["a"]}, "disabled"),  # provider 5.x spells it so
        ({"schedule_expression": "rate(1 hour)"}, None, "scheduled (rate(1 hour))"),
        ({"is_enabled": True}, {"source": ["a"]}, None),
    ],
)
def test_a_disabled_or_scheduled_rule_matches_no_put_event(
    rule: dict[str, Any], pattern: Any, silence: str | None
) -> None:
    assert events_checks._rule_silence(rule, pattern) == silence


def test_events_are_built_to_match_the_pattern_or_not_at_all() -> None:
    entry = checks.event_matching(
        {"source": ["shop"], "detail": {"kind": [{"prefix": "order"}], "id": [{"suffix": "-1"}]}},
        "m",
    )
    assert entry is not None and entry["Source"] == "shop"
    assert json.loads(entry["Detail"]) == {"kind": "orderm", "id": "m-1", "lsqm_marker": "m"}
    assert checks.event_matching({"source": [{"anything-but": "x"}]}, "m") is None
    assert checks.event_matching({"source": ["a"], "account": ["1"]}, "m") is None


@pytest.mark.parametrize(
    ("events", "action"),
    [
        (["s3:ObjectCreated:*"], "create"),
        (["s3:ObjectCreated:Put", "s3:ObjectRemoved:*"], "create"),
        (["s3:ObjectRemoved:*"], "remove"),
        (["s3:ObjectRemoved:Delete"], "remove"),
        (["s3:ObjectRemoved:DeleteMarkerCreated"], None),
        (["s3:ObjectRestore:Completed"], None),
    ],
)
def test_an_s3_notification_is_caused_by_one_of_the_events_it_names(
    events: list[str], action: str | None
) -> None:
    assert s3_checks._s3_trigger(events) == action


def test_filters_s3_encodes_in_event_keys_are_not_guessed() -> None:
    assert checks.S3_PLAIN_KEY.fullmatch("uploads/2026/images-.jpg")
    assert not checks.S3_PLAIN_KEY.fullmatch("year=2026/")
    assert not checks.S3_PLAIN_KEY.fullmatch("my files/")


DENY_INSECURE = {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                 "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                 "Condition": {"Bool": {"aws:SecureTransport": False}}}  # fmt: skip


def deny_put(condition: dict[str, Any] | None) -> dict[str, Any]:
    statement = {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
                 "Resource": "arn:aws:s3:::b/*"}  # fmt: skip
    return {**statement, **({"Condition": condition} if condition else {})}


def bucket_policy(*statements: dict[str, Any]) -> SimpleNamespace:
    document = json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
    return state(("aws_s3_bucket_policy", {"bucket": "b", "policy": document}))


@pytest.mark.parametrize(
    ("statements", "terms"),
    [
        ([], {}),
        ([DENY_INSECURE], {}),  # an AWS client uses HTTPS
        ([deny_put({"NumericLessThan": {"s3:TlsVersion": 1.2}})], {}),
        ([DENY_INSECURE,
          deny_put({"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}),
          deny_put({"Null": {"s3:x-amz-server-side-encryption": True}})],
         {"ServerSideEncryption": "aws:kms"}),
        ([deny_put({"Null": {"s3:x-amz-server-side-encryption": "true"}})],
         {"ServerSideEncryption": "AES256"}),
        ([deny_put({"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms",
                                        "s3:x-amz-server-side-encryption-aws-kms-key-id": "k"}})],
         {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "k"}),
    ],
)  # fmt: skip
def test_a_put_carries_what_the_bucket_policy_demands(
    statements: list[dict[str, Any]], terms: dict[str, str]
) -> None:
    assert checks.s3_put_terms(bucket_policy(*statements), "b", "k") == terms


@pytest.mark.parametrize(
    "statement",
    [
        deny_put(None),  # no put at all
        deny_put({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),  # beyond this check
        {**deny_put(None), "NotPrincipal": {"AWS": "arn:aws:iam::1:role/ci"}},
    ],
)
def test_a_put_the_bucket_policy_would_deny_is_not_expected(statement: dict[str, Any]) -> None:
    assert isinstance(checks.s3_put_terms(bucket_policy(statement), "b", "k"), str)


def test_an_s3_event_on_the_queue_is_the_bucket_s_record_for_the_key() -> None:
    """The body LocalStack 2026.3.0 put on a queue for a PutObject of ``k`` into
    ``lsqm-bucket`` (tests/fixtures/answers), accepted as is and refused when changed."""
    answers = Path(__file__).resolve().parents[2] / "fixtures" / "answers"
    captured = json.loads((answers / "sqs_receive_s3_notification.json").read_text())
    body = json.loads(captured["body"])["Messages"][0]["Body"]
    s3_checks._s3_event("lsqm-bucket", "k", "create")(body)
    for wrong in (
        body[:-1] + "x",  # changed in transit
        body.replace('"key": "k"', '"key": "other"'),
        body.replace("ObjectCreated:Put", "ObjectRemoved:Delete"),
    ):
        with pytest.raises((AssertionError, ValueError)):
            s3_checks._s3_event("lsqm-bucket", "k", "create")(wrong)
    with pytest.raises(AssertionError):
        s3_checks._s3_event("other-bucket", "k", "create")(body)
