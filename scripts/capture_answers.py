"""Capture the real emulator answers the fault catalogue's unit tests mutate.

Starts the provisioned LocalStack host runtime, puts the recording proxy in front of it
(with an interceptor that keeps each answer, unchanged), drives boto3 and plain HTTP through
the proxy, and writes each labelled answer to ``tests/fixtures/answers/<label>.json``
(status, headers, body). Run again after a LocalStack upgrade:

    .venv/bin/python scripts/capture_answers.py
"""

from __future__ import annotations

import base64
import json
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from lsqm.config import load_settings
from lsqm.emulator.host import HostLocalStack
from lsqm.toolchain.localstack_install import ensure_localstack
from lsqm.trace.proxy import Answer, Call, RecordingProxy

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "answers"
KEPT = ("content-type", "etag", "x-amz-crc32", "content-length")


class Keeper:
    """Keeps the next answer under ``label`` (when one is set), passing it on unchanged."""

    def __init__(self) -> None:
        self.label: str | None = None
        self.kept: dict[str, Answer] = {}

    def __call__(self, call: Call, answer: Answer) -> Answer | None:
        if self.label is not None:
            self.kept[self.label] = answer
        return None


def main() -> int:
    settings = load_settings()
    emulator = HostLocalStack(ensure_localstack(settings.cache_dir, settings.localstack_version))
    emulator.start()
    keeper = Keeper()
    proxy = RecordingProxy(lambda: emulator.endpoint, interceptor=keeper)
    try:
        _drive(proxy.url, keeper)
    finally:
        proxy.stop()
        emulator.stop()
    OUT.mkdir(parents=True, exist_ok=True)
    for label, answer in sorted(keeper.kept.items()):
        headers = [
            [k, v]
            for k, v in answer.headers
            if k.lower() in KEPT or k.lower().startswith("x-amz-checksum")
        ]
        document: dict[str, Any] = {"status": answer.status, "headers": headers}
        try:
            document["body"] = answer.body.decode("utf-8")
        except UnicodeDecodeError:
            document["body_base64"] = base64.b64encode(answer.body).decode()
        (OUT / f"{label}.json").write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
        print(f"{label}: {answer.status}, {len(answer.body)} bytes")
    return 0


def _drive(url: str, keeper: Keeper) -> None:
    def client(service: str) -> Any:
        return boto3.client(
            service, endpoint_url=url, region_name="us-east-1", aws_access_key_id="test",
            aws_secret_access_key="test", config=Config(retries={"max_attempts": 1}),
        )  # fmt: skip

    def keep(label: str, probe: Any) -> Any:
        """Call ``probe`` until it answers something (asynchronous deliveries), keeping it."""
        for _ in range(30):
            keeper.label = label
            got = probe()
            keeper.label = None
            if got:
                return got
            time.sleep(0.5)
        raise RuntimeError(f"{label}: nothing arrived")

    sqs, sns, events, s3 = client("sqs"), client("sns"), client("events"), client("s3")

    def queue(name: str, **attributes: str) -> tuple[str, str]:
        q = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"]
        return q, arn["QueueArn"]

    def receive(q: str, **extra: Any) -> Any:
        return lambda: sqs.receive_message(QueueUrl=q, WaitTimeSeconds=1, **extra).get("Messages")

    # SNS -> SQS: the envelope
    q, arn = queue("sns-target")
    topic = sns.create_topic(Name="topic")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sns.publish(TopicArn=topic, Message="lsqm-published")
    keep("sqs_receive_sns_envelope", receive(q))
    # EventBridge -> SQS: the event
    q, arn = queue("events-target")
    events.put_rule(Name="rule", EventPattern=json.dumps({"source": ["lsqm.test"]}))
    events.put_targets(Rule="rule", Targets=[{"Id": "q", "Arn": arn}])
    events.put_events(Entries=[{"Source": "lsqm.test", "DetailType": "t", "Detail": "{}"}])
    keep("sqs_receive_eventbridge_event", receive(q))
    # S3 -> SQS: the notification (after the s3:TestEvent the configuration sends)
    q, arn = queue("s3-target")
    s3.create_bucket(Bucket="lsqm-bucket")
    s3.put_bucket_notification_configuration(
        Bucket="lsqm-bucket",
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    for test_event in keep("s3_test_event", receive(q)):  # configuring sends it
        sqs.delete_message(QueueUrl=q, ReceiptHandle=test_event["ReceiptHandle"])
    s3.put_object(Bucket="lsqm-bucket", Key="k", Body=b"lsqm object")
    keep("sqs_receive_s3_notification", receive(q, MaxNumberOfMessages=10))
    keep(
        "s3_getobject_checksums",
        lambda: s3.get_object(Bucket="lsqm-bucket", Key="k", ChecksumMode="ENABLED"),
    )
    # SQS redrive: a message received past maxReceiveCount moves to the dead-letter queue
    dlq, dlq_arn = queue("dead-letters")
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "1"})
    work, _ = queue("work", RedrivePolicy=redrive, VisibilityTimeout="0")
    sqs.send_message(QueueUrl=work, MessageBody="lsqm-redriven")
    for _ in range(3):
        sqs.receive_message(QueueUrl=work, WaitTimeSeconds=1)
    keep("sqs_receive_dead_lettered", receive(dlq, AttributeNames=["All"]))
    # FIFO: two messages of one group, received with their attributes
    fifo, _ = queue("ordered.fifo", FifoQueue="true")
    for i in range(2):
        sqs.send_message(QueueUrl=fifo, MessageBody=f"m{i}", MessageGroupId="g",
                         MessageDeduplicationId=f"d{i}")  # fmt: skip
    keep("sqs_receive_fifo", receive(fifo, AttributeNames=["All"], MaxNumberOfMessages=10))
    _drive_rest(client, keep, url)


def _drive_rest(client: Any, keep: Any, url: str) -> None:
    ddb, kinesis, api = client("dynamodb"), client("kinesis"), client("apigateway")
    keys = [("pk", "HASH"), ("sk", "RANGE")]
    ddb.create_table(
        TableName="t",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": k, "KeyType": t} for k, t in keys],
        AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k, _ in keys],
    )
    for sk in ("a", "b"):
        ddb.put_item(TableName="t", Item={"pk": {"S": "p"}, "sk": {"S": sk}, "v": {"N": "1"}})
    same_key = {":p": {"S": "p"}}
    query = {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": same_key}
    keep("dynamodb_query_two_items", lambda: ddb.query(TableName="t", **query)["Items"])
    kinesis.create_stream(StreamName="s", ShardCount=1)
    for _ in range(60):
        if (
            kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"][
                "StreamStatus"
            ]
            == "ACTIVE"
        ):
            break
        time.sleep(0.5)
    for data in (b"r0", b"r1"):
        kinesis.put_record(StreamName="s", Data=data, PartitionKey="p")
    shard = kinesis.list_shards(StreamName="s")["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(
        StreamName="s", ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )
    keep(
        "kinesis_getrecords_two",
        lambda: kinesis.get_records(ShardIterator=iterator["ShardIterator"])["Records"],
    )
    rest = api.create_rest_api(name="api")
    root = api.get_resources(restApiId=rest["id"])["items"][0]["id"]
    rid = api.create_resource(restApiId=rest["id"], parentId=root, pathPart="ping")["id"]
    method = {"restApiId": rest["id"], "resourceId": rid, "httpMethod": "GET"}
    api.put_method(**method, authorizationType="NONE")
    mock = {"application/json": '{"statusCode": 200}'}
    api.put_integration(**method, type="MOCK", requestTemplates=mock)
    api.put_method_response(**method, statusCode="200")
    pong = {"application/json": '{"message": "pong"}'}
    api.put_integration_response(**method, statusCode="200", responseTemplates=pong)
    api.create_deployment(restApiId=rest["id"], stageName="dev")
    invoke = f"{url}/_aws/execute-api/{rest['id']}/dev/ping"
    keep("execute_api_invoke_mock", lambda: urllib.request.urlopen(invoke, timeout=30).read())


if __name__ == "__main__":
    sys.exit(main())
