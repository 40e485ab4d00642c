"""Tests for the cloudwatch_logs example: retention, stream, metric filter and log events."""

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
def logs():
    return boto3.client("logs")


def now_ms():
    return int(time.time() * 1000)


def test_log_group_has_14_day_retention(logs, outputs):
    groups = logs.describe_log_groups(logGroupNamePrefix=outputs["log_group_name"])["logGroups"]
    (group,) = [g for g in groups if g["logGroupName"] == outputs["log_group_name"]]
    assert group["retentionInDays"] == 14
    assert group["arn"].rstrip("*").rstrip(":") == outputs["log_group_arn"].rstrip("*").rstrip(":")


def test_log_stream_exists_in_group(logs, outputs):
    streams = logs.describe_log_streams(logGroupName=outputs["log_group_name"])["logStreams"]
    assert [s["logStreamName"] for s in streams] == [outputs["log_stream_name"]]


def test_metric_filter_is_as_configured(logs, outputs):
    filters = logs.describe_metric_filters(logGroupName=outputs["log_group_name"])["metricFilters"]
    (mf,) = filters
    assert mf["filterName"] == outputs["metric_filter_name"]
    assert mf["filterPattern"] == "ERROR"
    (mt,) = mf["metricTransformations"]
    assert (mt["metricName"], mt["metricNamespace"], mt["metricValue"]) == (
        "ErrorCount",
        "LSQM/CloudWatchLogs",
        "1",
    )


def test_put_then_get_log_events_in_order(logs, outputs):
    group, stream = outputs["log_group_name"], outputs["log_stream_name"]
    token = uuid.uuid4().hex[:8]  # tells this run's events from earlier runs'
    base = now_ms()
    messages = [f"INFO started {token}", f"ERROR disk full {token}", f"INFO retrying {token}"]
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": base + i, "message": m} for i, m in enumerate(messages)],
    )
    got = []
    deadline = time.time() + 5
    while len(got) < 3 and time.time() < deadline:
        events = logs.get_log_events(
            logGroupName=group,
            logStreamName=stream,
            startFromHead=True,
            startTime=base,
            endTime=base + 3,
        )["events"]
        got = [e for e in events if token in e["message"]]
        if len(got) < 3:
            time.sleep(0.2)
    assert [e["message"] for e in got] == messages
    assert [e["timestamp"] for e in got] == [base, base + 1, base + 2]


def test_filter_log_events_finds_events_of_the_stream(logs, outputs):
    group, stream = outputs["log_group_name"], outputs["log_stream_name"]
    token = uuid.uuid4().hex[:8]
    base = now_ms() + 1000
    messages = [f"INFO filter-check ok {token}", f"WARN filter-check slow {token}"]
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": base + i, "message": m} for i, m in enumerate(messages)],
    )
    found = []
    deadline = time.time() + 5
    while len(found) < 2 and time.time() < deadline:
        events = logs.filter_log_events(
            logGroupName=group, logStreamNames=[stream], startTime=base, endTime=base + 2
        )["events"]
        found = [e for e in events if token in e["message"]]
        if len(found) < 2:
            time.sleep(0.2)
    assert [e["message"] for e in found] == messages
    assert {e["logStreamName"] for e in found} == {stream}


def error_count_sum(cw, start, end):
    points = cw.get_metric_statistics(
        Namespace="LSQM/CloudWatchLogs",
        MetricName="ErrorCount",
        StartTime=start,
        EndTime=end,
        Period=60,
        Statistics=["Sum"],
    )["Datapoints"]
    return sum(p["Sum"] for p in points)


def test_metric_filter_publishes_error_count(logs, outputs):
    cw = boto3.client("cloudwatch")
    group, stream = outputs["log_group_name"], outputs["log_stream_name"]
    start = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=10)
    end = start + datetime.timedelta(minutes=20)
    before = error_count_sum(cw, start, end)
    base = now_ms() + 2000
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[
            {"timestamp": base, "message": "ERROR metric-check one"},
            {"timestamp": base + 1, "message": "ERROR metric-check two"},
        ],
    )
    after = before
    deadline = time.time() + 5
    while after < before + 2 and time.time() < deadline:
        time.sleep(0.2)
        after = error_count_sum(cw, start, end)
    assert after == before + 2
    metrics = cw.list_metrics(Namespace="LSQM/CloudWatchLogs")["Metrics"]
    assert "ErrorCount" in {m["MetricName"] for m in metrics}
