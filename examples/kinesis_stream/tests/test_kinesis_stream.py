"""Tests for the kinesis_stream example: stream configuration and put/get of records."""

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
def kinesis():
    return boto3.client("kinesis")


def read_all(kinesis, stream, shard_id, want, timeout=6):
    it = kinesis.get_shard_iterator(
        StreamName=stream, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = []
    deadline = time.time() + timeout
    while len(records) < want and time.time() < deadline:
        resp = kinesis.get_records(ShardIterator=it, Limit=100)
        records.extend(resp["Records"])
        it = resp["NextShardIterator"]
        if len(records) < want:
            time.sleep(0.2)
    return records


def test_stream_is_active_with_configured_shards_and_retention(kinesis, outputs):
    s = kinesis.describe_stream_summary(StreamName=outputs["stream_name"])
    summary = s["StreamDescriptionSummary"]
    assert summary["StreamARN"] == outputs["stream_arn"]
    assert summary["StreamStatus"] == "ACTIVE"
    assert summary["OpenShardCount"] == 1
    assert summary["RetentionPeriodHours"] == 24


def test_stream_tags_are_as_configured(kinesis, outputs):
    tags = kinesis.list_tags_for_stream(StreamName=outputs["stream_name"])["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"Project": "lsqm", "Example": "kinesis_stream"}


def test_put_records_then_read_them_back_in_order(kinesis, outputs):
    stream = outputs["stream_name"]
    payloads = [json.dumps({"click": i, "page": f"/p/{i}"}).encode() for i in range(5)]
    seqs = []
    for i, data in enumerate(payloads):
        resp = kinesis.put_record(StreamName=stream, Data=data, PartitionKey=f"user-{i}")
        seqs.append(resp["SequenceNumber"])
        shard_id = resp["ShardId"]
    assert len(set(seqs)) == 5

    records = read_all(kinesis, stream, shard_id, want=5)
    ours = [r for r in records if r["SequenceNumber"] in seqs]
    assert [r["Data"] for r in ours] == payloads
    assert [r["PartitionKey"] for r in ours] == [f"user-{i}" for i in range(5)]
    assert [int(r["SequenceNumber"]) for r in ours] == sorted(int(s) for s in seqs)


def test_put_records_batch_reports_no_failures(kinesis, outputs):
    resp = kinesis.put_records(
        StreamName=outputs["stream_name"],
        Records=[{"Data": b"batch-%d" % i, "PartitionKey": "batch"} for i in range(3)],
    )
    assert resp["FailedRecordCount"] == 0
    assert all("SequenceNumber" in r for r in resp["Records"])
