"""The checks of sns resources (part of ``lsqm_checks``; see its docstring).

Copied verbatim into every generated app beside ``lsqm_checks.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from lsqm_checks_core import Aws, Resource, delivery_blocker, expected, marker, values
from lsqm_checks_sqs import sqs_find_message


# -- SNS -------------------------------------------------------------------------------
def sns_publish(aws: Aws, topic: Resource) -> None:
    """Publishing to the topic is accepted and returns a message id."""
    state = values(topic)
    extra = {}
    if state.get("fifo_topic"):
        extra = {"MessageGroupId": "lsqm", "MessageDeduplicationId": marker()}
    got = aws("sns", topic).publish(TopicArn=state["arn"], Message=marker(), **extra)
    assert got.get("MessageId"), "publish returned no MessageId"


def sns_topic_as_configured(
    aws: Aws, topic: Resource, declared: dict[str, Any]
) -> None:
    """The topic's attributes (ARN, display name, FIFO) are what was configured."""
    state = values(topic)
    got = aws("sns", topic).get_topic_attributes(TopicArn=state["arn"])["Attributes"]
    assert got.get("TopicArn") == state["arn"]
    assert got.get("Owner") == state["arn"].split(":")[4], (
        f"owner is {got.get('Owner')}"
    )
    wanted = (
        expected(topic, declared, "display_name")
        if "display_name" in declared
        else state.get("display_name")
    )  # unset: AWS reports an empty display name
    assert got.get("DisplayName", "") == (wanted or ""), (
        f"display name is {got.get('DisplayName')!r}, configured {wanted!r}"
    )
    if "fifo_topic" in declared:
        wanted = str(bool(expected(topic, declared, "fifo_topic"))).lower()
        assert str(got.get("FifoTopic", "false")).lower() == wanted


def sns_delivers_to_queue(aws: Aws, tf_state: Any, subscription: Resource) -> None:
    """A message published to the topic arrives on the subscribed SQS queue, where AWS
    would deliver it (the queue's policy lets the topic send)."""
    state = values(subscription)
    if state.get("filter_policy"):
        pytest.skip("a filter policy decides delivery; delivery is not exercised")
    topic_arn = state["topic_arn"]
    blocker = delivery_blocker(
        tf_state, state["endpoint"], "sns.amazonaws.com", topic_arn
    )
    if blocker:
        pytest.skip(blocker)
    text = marker()
    topic = {"values": {"arn": state["topic_arn"]}}
    extra = {}
    if state["topic_arn"].endswith(".fifo"):
        extra = {"MessageGroupId": "lsqm", "MessageDeduplicationId": text}
    sent = aws("sns", topic).publish(TopicArn=state["topic_arn"], Message=text, **extra)
    raw = str(state.get("raw_message_delivery")).lower() == "true"
    sqs_find_message(
        aws, state["endpoint"], text, expect=_delivered(text, sent["MessageId"], raw)
    )


def _delivered(text: str, message_id: str, raw: bool) -> Callable[[str], None]:
    """What SNS puts on the queue: the message itself with raw delivery, else its JSON
    envelope, whose Message and MessageId are the published ones."""

    def expect(body: str) -> None:
        if raw:
            assert body == text, f"raw delivery arrived as {body!r}, published {text!r}"
            return
        envelope = json.loads(body)
        assert envelope.get("Message") == text, (
            f"the envelope's Message is {envelope.get('Message')!r}, published {text!r}"
        )
        assert envelope.get("MessageId") == message_id, (
            f"the envelope's MessageId {envelope.get('MessageId')} != {message_id}"
        )

    return expect


def sns_subscription_as_configured(aws: Aws, subscription: Resource) -> None:
    """The subscription's protocol and endpoint are what was configured."""
    state = values(subscription)
    got = aws("sns", subscription).get_subscription_attributes(
        SubscriptionArn=state["arn"]
    )
    attributes = got["Attributes"]
    for key, name in (
        ("arn", "SubscriptionArn"),
        ("topic_arn", "TopicArn"),
        ("protocol", "Protocol"),
        ("endpoint", "Endpoint"),
    ):
        assert attributes.get(name) == state[key], (
            f"{name} is {attributes.get(name)!r}, configured {state[key]!r}"
        )
    raw = str(bool(state.get("raw_message_delivery"))).lower()  # unset: false
    assert str(attributes.get("RawMessageDelivery", "false")).lower() == raw, (
        f"RawMessageDelivery is {attributes.get('RawMessageDelivery')!r}, configured {raw}"
    )
