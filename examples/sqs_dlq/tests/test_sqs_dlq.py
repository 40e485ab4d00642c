"""Tests for the sqs_dlq example: queue attributes, redrive policy and dead-lettering."""

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
def sqs():
    return boto3.client("sqs")


def attributes(sqs, url):
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]


def drain(sqs, url):
    while True:
        msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
            "Messages", []
        )
        if not msgs:
            return
        for m in msgs:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def test_work_queue_attributes_are_as_configured(sqs, outputs):
    attrs = attributes(sqs, outputs["queue_url"])
    assert attrs["QueueArn"] == outputs["queue_arn"]
    assert attrs["VisibilityTimeout"] == "45"
    assert attrs["MessageRetentionPeriod"] == "86400"
    assert attrs["MaximumMessageSize"] == "2048"
    assert attrs["DelaySeconds"] == "0"


def test_redrive_policy_points_at_dlq_with_max_receive_count_2(sqs, outputs):
    policy = json.loads(attributes(sqs, outputs["queue_url"])["RedrivePolicy"])
    assert policy["deadLetterTargetArn"] == outputs["dlq_arn"]
    assert int(policy["maxReceiveCount"]) == 2


def test_dlq_retention_is_14_days(sqs, outputs):
    attrs = attributes(sqs, outputs["dlq_url"])
    assert attrs["QueueArn"] == outputs["dlq_arn"]
    assert attrs["MessageRetentionPeriod"] == "1209600"


def test_send_receive_delete_on_work_queue(sqs, outputs):
    url = outputs["queue_url"]
    drain(sqs, url)
    sqs.send_message(QueueUrl=url, MessageBody="ok-message")
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, WaitTimeSeconds=2)["Messages"]
    assert msgs[0]["Body"] == "ok-message"
    sqs.delete_message(QueueUrl=url, ReceiptHandle=msgs[0]["ReceiptHandle"])
    again = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages", [])
    assert again == []


def test_message_received_more_than_max_receive_count_moves_to_dlq(sqs, outputs):
    url, dlq = outputs["queue_url"], outputs["dlq_url"]
    drain(sqs, url)
    drain(sqs, dlq)
    sqs.send_message(QueueUrl=url, MessageBody="poison-message")

    # Receive without deleting, making it visible again at once (VisibilityTimeout=0).
    receives = 0
    deadline = time.time() + 5
    while receives < 2 and time.time() < deadline:
        msgs = sqs.receive_message(
            QueueUrl=url,
            VisibilityTimeout=0,
            WaitTimeSeconds=1,
            AttributeNames=["ApproximateReceiveCount"],
        ).get("Messages", [])
        for m in msgs:
            assert m["Body"] == "poison-message"
            receives += 1
            assert int(m["Attributes"]["ApproximateReceiveCount"]) == receives
    assert receives == 2

    # The next receive exceeds maxReceiveCount: the message must go to the DLQ instead.
    leftover = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0, WaitTimeSeconds=1)
    assert leftover.get("Messages", []) == []

    found = []
    deadline = time.time() + 5
    while not found and time.time() < deadline:
        found = sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=1).get("Messages", [])
    assert [m["Body"] for m in found] == ["poison-message"]
    sqs.delete_message(QueueUrl=dlq, ReceiptHandle=found[0]["ReceiptHandle"])
