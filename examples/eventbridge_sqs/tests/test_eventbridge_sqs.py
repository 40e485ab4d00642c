"""Tests for the eventbridge_sqs example: rule configuration and event routing to SQS."""

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
def events():
    return boto3.client("events")


@pytest.fixture(scope="module")
def sqs():
    return boto3.client("sqs")


def receive(sqs, url, want, timeout):
    got = []
    deadline = time.time() + timeout
    while len(got) < want and time.time() < deadline:
        msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        )
        for m in msgs:
            got.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return got


def test_rule_is_enabled_with_configured_pattern(events, outputs):
    rule = events.describe_rule(Name=outputs["rule_name"])
    assert rule["Arn"] == outputs["rule_arn"]
    assert rule["State"] == "ENABLED"
    assert rule["Description"] == "Order placed events from the lsqm shop"
    assert json.loads(rule["EventPattern"]) == {
        "source": ["lsqm.shop"],
        "detail-type": ["OrderPlaced"],
    }


def test_rule_targets_the_queue(events, outputs):
    targets = events.list_targets_by_rule(Rule=outputs["rule_name"])["Targets"]
    assert [(t["Id"], t["Arn"]) for t in targets] == [("orders-queue", outputs["queue_arn"])]


def test_queue_policy_allows_events_from_this_rule(sqs, outputs):
    attrs = sqs.get_queue_attributes(QueueUrl=outputs["queue_url"], AttributeNames=["Policy"])
    (stmt,) = json.loads(attrs["Attributes"]["Policy"])["Statement"]
    assert stmt["Principal"] == {"Service": "events.amazonaws.com"}
    assert stmt["Action"] == "sqs:SendMessage"
    assert stmt["Condition"]["ArnEquals"]["aws:SourceArn"] == outputs["rule_arn"]


def test_matching_event_reaches_queue_and_others_do_not(events, sqs, outputs):
    url = outputs["queue_url"]
    receive(sqs, url, want=100, timeout=0.5)  # start from an empty queue
    resp = events.put_events(
        Entries=[
            {
                "Source": "lsqm.shop",
                "DetailType": "OrderCancelled",
                "Detail": json.dumps({"order_id": "ignored-1"}),
            },
            {
                "Source": "other.app",
                "DetailType": "OrderPlaced",
                "Detail": json.dumps({"order_id": "ignored-2"}),
            },
            {
                "Source": "lsqm.shop",
                "DetailType": "OrderPlaced",
                "Detail": json.dumps({"order_id": "A-100", "amount": 12.5}),
            },
        ]
    )
    assert resp["FailedEntryCount"] == 0

    got = receive(sqs, url, want=1, timeout=6)
    got += receive(sqs, url, want=1, timeout=1)  # anything that should not have come
    assert len(got) == 1, got
    event = got[0]
    assert event["source"] == "lsqm.shop"
    assert event["detail-type"] == "OrderPlaced"
    assert event["detail"] == {"order_id": "A-100", "amount": 12.5}
    assert event["region"] == "us-east-1"
