"""Tests for the cloudwatch_alarm example: alarm configuration, metrics and notifications."""

import datetime
import json
import os
import time
import uuid

import boto3
import pytest


@pytest.fixture(scope="module")
def outputs():
    with open(os.environ["LSQM_TF_OUTPUTS"], encoding="utf-8") as f:
        return {name: item["value"] for name, item in json.load(f).items()}


@pytest.fixture(scope="module")
def cw():
    return boto3.client("cloudwatch")


def alarm(cw, name):
    (a,) = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    return a


def test_alarm_configuration_is_as_declared(cw, outputs):
    a = alarm(cw, outputs["alarm_name"])
    assert a["AlarmArn"] == outputs["alarm_arn"]
    assert a["AlarmDescription"] == "Backlog above 100 jobs for two minutes"
    assert (a["Namespace"], a["MetricName"]) == ("LSQM/CloudWatchAlarm", "Backlog")
    assert a["Dimensions"] == [{"Name": "Queue", "Value": "jobs"}]
    assert a["Statistic"] == "Average"
    assert a["Period"] == 60
    assert a["EvaluationPeriods"] == 2
    assert a["Threshold"] == 100.0
    assert a["ComparisonOperator"] == "GreaterThanThreshold"
    assert a["TreatMissingData"] == "notBreaching"
    assert a["ActionsEnabled"] is True
    assert a["AlarmActions"] == [outputs["topic_arn"]]
    assert a["OKActions"] == [outputs["topic_arn"]]


def test_alarm_tags_are_as_declared(cw, outputs):
    tags = cw.list_tags_for_resource(ResourceARN=outputs["alarm_arn"])["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {
        "Project": "lsqm",
        "Example": "cloudwatch_alarm",
    }


def test_put_metric_data_then_read_statistics(cw):
    now = datetime.datetime.now(datetime.UTC).replace(second=0, microsecond=0)
    # a dimension unique to this run keeps the statistics independent of earlier runs
    dims = [{"Name": "Queue", "Value": "jobs"}, {"Name": "Run", "Value": uuid.uuid4().hex}]
    cw.put_metric_data(
        Namespace="LSQM/CloudWatchAlarm",
        MetricData=[
            {"MetricName": "Backlog", "Dimensions": dims, "Timestamp": now, "Value": v}
            for v in (10.0, 20.0, 30.0)
        ],
    )
    points = []
    deadline = time.time() + 5
    while not points and time.time() < deadline:
        points = cw.get_metric_statistics(
            Namespace="LSQM/CloudWatchAlarm",
            MetricName="Backlog",
            Dimensions=dims,
            StartTime=now - datetime.timedelta(minutes=1),
            EndTime=now + datetime.timedelta(minutes=1),
            Period=60,
            Statistics=["Average", "Maximum", "SampleCount"],
        )["Datapoints"]
        if not points:
            time.sleep(0.2)
    (p,) = points
    assert (p["Average"], p["Maximum"], p["SampleCount"]) == (20.0, 30.0, 3.0)


def test_set_alarm_state_changes_state_and_notifies_topic(cw, outputs):
    sqs = boto3.client("sqs")
    name = outputs["alarm_name"]
    cw.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="lsqm test: forced")
    assert alarm(cw, name)["StateValue"] == "ALARM"
    assert alarm(cw, name)["StateReason"] == "lsqm test: forced"

    found = None
    deadline = time.time() + 6
    while found is None and time.time() < deadline:
        for m in sqs.receive_message(
            QueueUrl=outputs["queue_url"], MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", []):
            sqs.delete_message(QueueUrl=outputs["queue_url"], ReceiptHandle=m["ReceiptHandle"])
            envelope = json.loads(m["Body"])
            assert envelope["TopicArn"] == outputs["topic_arn"]
            body = json.loads(envelope["Message"])
            if body.get("AlarmName") == name and body.get("NewStateValue") == "ALARM":
                found = body
    assert found is not None, "no ALARM notification reached the topic's queue"
    assert found["NewStateReason"] == "lsqm test: forced"


def test_alarm_history_records_state_update(cw, outputs):
    name = outputs["alarm_name"]
    cw.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="lsqm test: back to ok")
    assert alarm(cw, name)["StateValue"] == "OK"
    items = cw.describe_alarm_history(AlarmName=name, HistoryItemType="StateUpdate")[
        "AlarmHistoryItems"
    ]
    summaries = [i["HistorySummary"] for i in items]
    assert any("to OK" in s for s in summaries), summaries
