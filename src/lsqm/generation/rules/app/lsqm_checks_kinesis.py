"""The checks of kinesis resources (part of ``lsqm_checks``; see its docstring).

Copied verbatim into every generated app beside ``lsqm_checks.py``.
"""

from __future__ import annotations

from typing import Any

from lsqm_checks_core import Aws, Resource, expected, marker, values, wait_for


# -- Kinesis ---------------------------------------------------------------------------
def kinesis_put_get(aws: Aws, stream: Resource) -> None:
    """A record put on the stream is read back from its shard as put, once."""
    state = values(stream)
    kinesis = aws("kinesis", stream)
    name = state["name"]

    def active() -> bool:
        summary = kinesis.describe_stream_summary(StreamName=name)[
            "StreamDescriptionSummary"
        ]
        if summary["StreamStatus"] == "ACTIVE":
            _open_shards_as_in_state(summary, state)
        return summary["StreamStatus"] in ("ACTIVE", "UPDATING")

    wait_for(f"stream {name} did not become ACTIVE", active)
    data = marker().encode()
    put = kinesis.put_record(StreamName=name, Data=data, PartitionKey="lsqm")
    iterator = kinesis.get_shard_iterator(
        StreamName=name,
        ShardId=put["ShardId"],
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        StartingSequenceNumber=put["SequenceNumber"],
    )["ShardIterator"]

    def read() -> bool:
        """AWS may answer a read with no records (retried); a record read at the put's
        sequence number must be the one put, once."""
        records = kinesis.get_records(ShardIterator=iterator, Limit=10)["Records"]
        if not records:
            return False
        first = records[0]
        assert first["SequenceNumber"] == put["SequenceNumber"], (
            f"the first record read is {first['SequenceNumber']}, put {put['SequenceNumber']}"
        )
        assert first["Data"] == data, (
            f"the record read is {first['Data']!r}, put {data!r}"
        )
        numbers = [r["SequenceNumber"] for r in records]
        assert len(numbers) == len(set(numbers)), f"a record was read twice: {numbers}"
        return True

    wait_for(f"the record put on {name} was not returned by get_records", read)


def _open_shards_as_in_state(summary: dict[str, Any], state: dict[str, Any]) -> None:
    """Every summary of an ACTIVE provisioned stream (the readiness poll included) has the
    shard count terraform recorded: on AWS it changes only by a reshard, which no check
    asks for (an UPDATING stream is not compared)."""
    mode = (summary.get("StreamModeDetails") or {}).get("StreamMode", "PROVISIONED")
    if mode == "PROVISIONED" and state.get("shard_count"):
        assert summary["OpenShardCount"] == int(state["shard_count"]), (
            f"{summary['OpenShardCount']} open shards, terraform made {state['shard_count']}"
        )


def kinesis_stream_as_configured(
    aws: Aws, stream: Resource, declared: dict[str, Any]
) -> None:
    """Shard count and retention are what was configured."""
    state = values(stream)
    got = aws("kinesis", stream).describe_stream_summary(StreamName=state["name"])
    summary = got["StreamDescriptionSummary"]
    assert summary["StreamARN"] == state["arn"], f"stream ARN {summary['StreamARN']}"
    mode = (summary.get("StreamModeDetails") or {}).get("StreamMode", "PROVISIONED")
    if mode == "PROVISIONED" and expected(stream, declared, "shard_count"):
        wanted = int(expected(stream, declared, "shard_count"))
        assert summary["OpenShardCount"] == wanted, (
            f"{summary['OpenShardCount']} open shards"
        )
    if "retention_period" in declared:
        wanted = int(expected(stream, declared, "retention_period"))
        assert summary["RetentionPeriodHours"] == wanted, "retention period differs"
