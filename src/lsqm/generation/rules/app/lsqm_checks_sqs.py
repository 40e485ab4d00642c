"""The checks of sqs resources (part of ``lsqm_checks``; see its docstring).

Copied verbatim into every generated app beside ``lsqm_checks.py``.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from lsqm_checks_core import (
    WAIT_S,
    Aws,
    Resource,
    expected,
    marker,
    normalize_policy,
    queue_consumer,
    values,
    wait_for,
)


# -- SQS -------------------------------------------------------------------------------
def queue_url(aws: Aws, queue_arn: str) -> str:
    parts = queue_arn.split(":")
    sqs = aws("sqs", {"values": {"arn": queue_arn}})
    return sqs.get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])[
        "QueueUrl"
    ]


def sqs_find_message(
    aws: Aws,
    queue_arn: str,
    text: str,
    timeout: float = WAIT_S,
    expect: Callable[[str], None] | None = None,
) -> str:
    """Receive from the queue until a message containing ``text`` arrives; delete it. It
    arrives whole (its MD5OfBody is its body's MD5), once per receive (no receive returns
    any message twice), and ``expect``
    (which asserts what its body must be) accepts it."""
    sqs = aws("sqs", {"values": {"arn": queue_arn}})
    url = queue_url(aws, queue_arn)

    def probe() -> str | None:
        got = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        )
        messages = got.get("Messages", [])
        ids = [m["MessageId"] for m in messages]
        assert len(ids) == len(set(ids)), f"one receive returned a message twice: {ids}"
        mine = [m for m in messages if text in m["Body"]]
        if not mine:
            return None
        assert len(mine) == 1, f"one receive returned the message {len(mine)} times"
        message = mine[0]
        assert message.get("MD5OfBody") == _md5(message["Body"]), (
            f"MD5OfBody {message.get('MD5OfBody')} is not the MD5 of the body received"
        )
        if expect is not None:
            expect(message["Body"])
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return str(message["Body"])

    return wait_for(
        f"no message containing {text!r} arrived on {queue_arn}", probe, timeout
    )


def sqs_no_message(
    aws: Aws, queue_arn: str, text: str, why: str, wait: float = 5.0
) -> None:
    """Nothing containing ``text`` arrives on the queue within ``wait`` seconds."""
    sqs = aws("sqs", {"values": {"arn": queue_arn}})
    url = queue_url(aws, queue_arn)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        got = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        )
        for message in got.get("Messages", []):
            if text in message["Body"]:
                pytest.fail(
                    f"a message containing {text!r} arrived on {queue_arn}: {why}"
                )


def sqs_send_receive_delete(aws: Aws, tf_state: Any, queue: Resource) -> None:
    """Send a message, receive it back, delete it: the queue delivers what it is given
    (unless the configuration gives its messages to another reader first)."""
    state = values(queue)
    consumer = queue_consumer(tf_state, state["arn"])
    if consumer:
        pytest.skip(f"{consumer} reads this queue; the check would race it")
    _sqs, _url, body, sent = _send_marker(aws, queue, state)
    assert sent.get("MD5OfMessageBody") == _md5(body), (
        f"SendMessage answered MD5OfMessageBody {sent.get('MD5OfMessageBody')},"
        f" not the MD5 of the body sent ({_md5(body)})"
    )
    delay = float(state.get("delay_seconds") or 0)
    sqs_find_message(
        aws, state["arn"], body, timeout=WAIT_S + delay, expect=_unchanged(body)
    )


def _send_marker(
    aws: Aws, queue: Resource, state: dict[str, Any]
) -> tuple[Any, str, str, dict[str, Any]]:
    """Send a fresh marker to the queue (a FIFO queue's in a group of its own): the client,
    the queue URL, the body sent and SendMessage's answer."""
    sqs = aws("sqs", queue)
    url = state.get("url") or state["id"]
    body = marker()
    extra = {}
    if state.get("fifo_queue"):
        extra = {"MessageGroupId": "lsqm", "MessageDeduplicationId": body}
    return sqs, url, body, sqs.send_message(QueueUrl=url, MessageBody=body, **extra)


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def _unchanged(sent: str) -> Callable[[str], None]:
    def expect(body: str) -> None:
        assert body == sent, (
            f"received body {body!r}, sent {sent!r}: changed in transit"
        )

    return expect


SQS_ATTRIBUTES = {
    "visibility_timeout_seconds": "VisibilityTimeout",
    "message_retention_seconds": "MessageRetentionPeriod",
    "delay_seconds": "DelaySeconds",
    "max_message_size": "MaximumMessageSize",
    "receive_wait_time_seconds": "ReceiveMessageWaitTimeSeconds",
    "fifo_queue": "FifoQueue",
    "content_based_deduplication": "ContentBasedDeduplication",
}


def sqs_attributes_as_configured(
    aws: Aws, queue: Resource, declared: dict[str, Any]
) -> None:
    """Queue attributes (timeouts, sizes, FIFO, redrive policy) are what was configured."""
    state = values(queue)
    url = state.get("url") or state["id"]
    got = aws("sqs", queue).get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    got = got.get("Attributes", {})
    assert got.get("QueueArn") == state["arn"], (
        f"queue ARN {got.get('QueueArn')} != state"
    )
    for key, attribute in SQS_ATTRIBUTES.items():
        if key not in declared:
            continue
        wanted = expected(queue, declared, key)
        if isinstance(wanted, bool):
            wanted = str(wanted).lower()
        assert str(got.get(attribute, "false")).lower() == str(wanted).lower(), (
            f"{attribute} of {state['name']} is {got.get(attribute)!r}, configured {wanted!r}"
        )
    if "redrive_policy" in declared:
        wanted = json.loads(expected(queue, declared, "redrive_policy") or "{}")
        actual = json.loads(got.get("RedrivePolicy") or "{}")
        assert actual.get("deadLetterTargetArn") == wanted.get("deadLetterTargetArn"), (
            f"dead-letter target of {state['name']} differs: {actual}"
        )
        assert int(actual.get("maxReceiveCount", 0)) == int(
            wanted.get("maxReceiveCount", 0)
        )


def sqs_queue_policy_as_configured(aws: Aws, policy: Resource) -> None:
    """The queue's Policy attribute is the configured document."""
    state = values(policy)
    got = aws("sqs", policy).get_queue_attributes(
        QueueUrl=state["queue_url"], AttributeNames=["Policy"]
    )
    document = got.get("Attributes", {}).get("Policy")
    assert document, f"queue {state['queue_url']} has no policy"
    assert normalize_policy(document) == normalize_policy(state["policy"]), (
        "queue policy differs"
    )


MAX_REDRIVE_RECEIVES = 10  # more receives than this is no quick check


def sqs_redrives_to_dead_letter_queue(aws: Aws, tf_state: Any, queue: Resource) -> None:
    """A message received ``maxReceiveCount`` times (and not deleted) moves to the
    dead-letter queue whole, marked with the queue it came from; SQS moves it when it is
    next received, so the check keeps receiving from the queue while it waits."""
    state = values(queue)
    policy = json.loads(state.get("redrive_policy") or "{}")
    target = policy.get("deadLetterTargetArn")
    most = int(policy.get("maxReceiveCount") or 0)
    if not target or not 1 <= most <= MAX_REDRIVE_RECEIVES:
        pytest.skip(f"no redrive policy with 1..{MAX_REDRIVE_RECEIVES} receives")
    for arn in (state["arn"], target):
        consumer = queue_consumer(tf_state, arn)
        if consumer:
            pytest.skip(f"{consumer} reads {arn}; the check would race it")
    sqs, url, body, _sent = _send_marker(aws, queue, state)
    timeout = WAIT_S + float(state.get("delay_seconds") or 0)

    def received_again() -> bool:  # visible again at once, for the next receive
        got = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=0
        )
        return any(m["Body"] == body for m in got.get("Messages", []))

    for count in range(1, most + 1):
        wait_for(
            f"receive {count} of {most} did not return the message",
            received_again,
            timeout,
        )
    dead = aws("sqs", {"values": {"arn": target}})
    dead_url = queue_url(aws, target)

    def moved() -> dict[str, Any] | None:
        received_again()  # the receive past maxReceiveCount is what moves it
        got = dead.receive_message(
            QueueUrl=dead_url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
            AttributeNames=["All"],
        )  # fmt: skip
        mine = [m for m in got.get("Messages", []) if body in m["Body"]]
        return mine[0] if mine else None

    message = wait_for(
        f"a message received {most} times never reached the dead-letter queue {target}",
        moved,
        timeout,
    )
    assert message["Body"] == body, f"it arrived as {message['Body']!r}, sent {body!r}"
    assert message.get("MD5OfBody") == _md5(body), "its MD5OfBody is not its body's MD5"
    source = (message.get("Attributes") or {}).get("DeadLetterQueueSourceArn")
    assert source == state["arn"], f"its DeadLetterQueueSourceArn is {source!r}"
    dead.delete_message(QueueUrl=dead_url, ReceiptHandle=message["ReceiptHandle"])
