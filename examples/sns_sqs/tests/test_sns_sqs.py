"""Tests for the sns_sqs example: subscription configuration and topic -> queue delivery."""

import json
import os
import time

import boto3
import pytest


@pytest.fixture(scope="module")
def outputs():
    with open(os.environ["LSQM_TF_OUTPUTS"], encoding="utf-8") as f:
        return {name: item["value"] for name, item in json.load(f).items()}


@pytest.fixture(scope="module")
def sns():
    return boto3.client("sns")


@pytest.fixture(scope="module")
def sqs():
    return boto3.client("sqs")


def receive_all(sqs, url, want, timeout=6):
    got = []
    deadline = time.time() + timeout
    while len(got) < want and time.time() < deadline:
        msgs = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=1,
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        for m in msgs:
            got.append(m)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return got


def drain(sqs, url):
    while True:
        msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not msgs:
            return
        for m in msgs:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def test_topic_attributes_are_as_configured(sns, outputs):
    attrs = sns.get_topic_attributes(TopicArn=outputs["topic_arn"])["Attributes"]
    assert attrs["TopicArn"] == outputs["topic_arn"]
    assert attrs["DisplayName"] == "lsqm sns_sqs example"


def test_subscription_targets_queue_with_raw_delivery(sns, outputs):
    subs = sns.list_subscriptions_by_topic(TopicArn=outputs["topic_arn"])["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subs] == [("sqs", outputs["queue_arn"])]
    attrs = sns.get_subscription_attributes(SubscriptionArn=outputs["subscription_arn"])
    assert attrs["Attributes"]["RawMessageDelivery"] == "true"


def test_queue_policy_allows_only_this_topic(sqs, outputs):
    attrs = sqs.get_queue_attributes(QueueUrl=outputs["queue_url"], AttributeNames=["Policy"])
    policy = json.loads(attrs["Attributes"]["Policy"])
    (stmt,) = policy["Statement"]
    assert stmt["Effect"] == "Allow"
    assert stmt["Principal"] == {"Service": "sns.amazonaws.com"}
    assert stmt["Action"] == "sqs:SendMessage"
    assert stmt["Resource"] == outputs["queue_arn"]
    assert stmt["Condition"]["ArnEquals"]["aws:SourceArn"] == outputs["topic_arn"]


def test_published_message_arrives_raw_in_queue(sns, sqs, outputs):
    drain(sqs, outputs["queue_url"])
    payload = json.dumps({"order": 42, "status": "created"})
    sns.publish(
        TopicArn=outputs["topic_arn"],
        Message=payload,
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "order"}},
    )
    got = receive_all(sqs, outputs["queue_url"], want=1)
    assert len(got) == 1
    # Raw delivery: the body is the message itself, not an SNS JSON envelope.
    assert json.loads(got[0]["Body"]) == {"order": 42, "status": "created"}
    assert got[0]["MessageAttributes"]["kind"]["StringValue"] == "order"


def test_each_publish_is_delivered_once(sns, sqs, outputs):
    drain(sqs, outputs["queue_url"])
    for i in range(3):
        sns.publish(TopicArn=outputs["topic_arn"], Message=f"msg-{i}")
    got = receive_all(sqs, outputs["queue_url"], want=3)
    time.sleep(0.5)
    got += receive_all(sqs, outputs["queue_url"], want=1, timeout=1)
    assert sorted(m["Body"] for m in got) == ["msg-0", "msg-1", "msg-2"]
