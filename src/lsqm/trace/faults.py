"""lsqm's catalogue of wrong emulator answers: per service and operation, the faults a
test suite should notice (mutation analysis, where the mutants are answers, not code).

Each :class:`Fault` rewrites one buffered answer (:class:`~lsqm.trace.proxy.Answer`) and
says, in words a test author can act on, what a test that lets it through does not verify.
A mutation returns None when it does not apply to that answer (an empty receive has no
message to lose), so the injector waits for a call where it does. Data faults change one
answer; error faults (5xx, throttling) every matching call, since an SDK retries a single
one away and a retried error is no wrong answer.

Bodies are read by shape, not by protocol model: JSON (``{``) through a small path
language (``Messages[].Body``: the ``Body`` of each message; ``Attributes.*``: every value),
XML through the element's tag. Checksums (SQS ``MD5OfBody``, which boto3 does not verify;
S3 ``ETag``) are left stale by one variant and made to match by the other.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from lsqm.trace.proxy import Answer, Call

Mutation = Callable[[Answer], Answer | None]
Checksum = Callable[[dict[str, Any], str], None]  # fix a JSON item's checksum for a new value


@dataclass(frozen=True)
class Fault:
    """One wrong answer: ``id`` is ``service.Operation:kind`` and names it in results."""

    service: str
    operation: str
    kind: str
    words: str  # what a test that lets it through does not verify
    mutate: Mutation
    every_call: bool = False  # errors: every matching call; data: the first it applies to
    # answers the request itself, which then never reaches the emulator (a message lost)
    instead: Callable[[Call], Answer | None] | None = None

    @property
    def id(self) -> str:
        return f"{self.service}.{self.operation}:{self.kind}"


# -- JSON paths ---------------------------------------------------------------------------
def _json(answer: Answer) -> Any:
    if not answer.body.lstrip().startswith(b"{") or answer.status >= 300:
        return None
    try:
        return json.loads(answer.body)
    except ValueError:
        return None


def _with_json(answer: Answer, document: Any) -> Answer:
    body = json.dumps(document, separators=(",", ":")).encode()
    headers = [(k, v) for k, v in answer.headers if k.lower() != "x-amz-crc32"]
    crc = next((v for k, v in answer.headers if k.lower() == "x-amz-crc32"), None)
    if crc is not None:  # DynamoDB's whole-body checksum: the SDK checks it
        headers.append(("x-amz-crc32", str(zlib.crc32(body) & 0xFFFFFFFF)))
    return replace(answer, body=body, headers=headers)


def _parents(node: Any, path: str) -> list[tuple[Any, str | int]]:
    """Every (container, key) the path reaches in ``node``: ``a.b``, ``a[].b``, ``a.*``."""
    steps = path.split(".")
    found: list[tuple[Any, str | int]] = []

    def walk(current: Any, rest: list[str]) -> None:
        step = rest[0]
        each = step.endswith("[]")
        key = step[:-2] if each else step
        if key == "*":
            keys: list[Any] = list(current) if isinstance(current, dict) else []
        else:
            keys = [key] if isinstance(current, dict) and key in current else []
        for k in keys:
            if len(rest) == 1 and not each:
                found.append((current, k))
            elif each and isinstance(current[k], list):
                if len(rest) == 1:
                    found.extend((current[k], i) for i in range(len(current[k])))
                else:
                    for item in current[k]:
                        walk(item, rest[1:])
            elif len(rest) > 1:
                walk(current[k], rest[1:])

    walk(node, steps)
    return found


def _changed(value: Any) -> Any:
    """A value of the same type that differs: what an emulator that garbles data returns."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, str):
        return value[:-1] + ("x" if value[-1:] != "x" else "y") if value else "x"
    if isinstance(value, list):
        return value[:-1] if value else ["lsqm-fault"]
    if isinstance(value, dict):
        return {k: _changed(v) for k, v in value.items()} or {"lsqm": "fault"}
    return "lsqm-fault"


def change(path: str, checksum: Checksum | None = None) -> Mutation:
    """Every value at ``path`` changed (each item's checksum fixed when given)."""

    def mutate(answer: Answer) -> Answer | None:
        document = _json(answer)
        targets = _parents(document, path) if document is not None else []
        if not targets:
            return None
        for container, key in targets:
            container[key] = _changed(container[key])
            if checksum is not None and isinstance(container, dict):
                checksum(container, str(container[key]))
        return _with_json(answer, document)

    return mutate


def set_value(path: str, value: Any) -> Mutation:
    """The values at ``path`` reported as ``value`` (where they were something else)."""

    def mutate(answer: Answer) -> Answer | None:
        document = _json(answer)
        targets = [
            (c, k) for c, k in (_parents(document, path) if document else []) if c[k] != value
        ]
        if not targets:
            return None
        for container, key in targets:
            container[key] = value
        return _with_json(answer, document)

    return mutate


def drop(path: str) -> Mutation:
    """The fields at ``path`` left out of the answer."""

    def mutate(answer: Answer) -> Answer | None:
        document = _json(answer)
        targets = _parents(document, path) if document is not None else []
        if not targets:
            return None
        for container, key in sorted(targets, key=lambda t: str(t[1]), reverse=True):
            del container[key]
        return _with_json(answer, document)

    return mutate


def _list_fault(path: str, how: Callable[[list[Any]], list[Any] | None]) -> Mutation:
    def mutate(answer: Answer) -> Answer | None:
        document = _json(answer)
        targets = _parents(document, path) if document is not None else []
        done = False
        for container, key in targets:
            items = container[key]
            new = how(items) if isinstance(items, list) else None
            if new is not None:
                container[key] = new
                done = True
                for count in ("Count", "ScannedCount"):  # DynamoDB's counts agree with Items
                    if count in container and key == "Items":
                        container[count] = len(new)
        return _with_json(answer, document) if done else None

    return mutate


def lose(path: str) -> Mutation:
    """The list at ``path`` comes back empty (messages, records, items lost)."""
    return _list_fault(path, lambda items: [] if items else None)


def duplicate(path: str) -> Mutation:
    """The first element of the list at ``path`` delivered twice."""
    return _list_fault(path, lambda items: [items[0], *items] if items else None)


def reorder(path: str) -> Mutation:
    """The list at ``path`` in reverse order (where two or more elements differ)."""
    return _list_fault(path, lambda items: items[::-1] if items[::-1] != items else None)


def sqs_md5(message: dict[str, Any], body: str) -> None:
    """SQS's ``MD5OfBody`` made to match a changed body (boto3 verifies it)."""
    if "MD5OfBody" in message:
        message["MD5OfBody"] = hashlib.md5(body.encode()).hexdigest()


def drop_where(path: str, lost: Callable[[Any], bool]) -> Mutation:
    """The elements of the list at ``path`` that ``lost`` picks left out (a delivery that
    never happened, seen where the test reads it); the rest unchanged."""

    def keep(items: list[Any]) -> list[Any] | None:
        kept = [item for item in items if not lost(item)]
        return kept if len(kept) < len(items) else None

    return _list_fault(path, keep)


def _body_json(message: Any) -> Any:
    try:
        return json.loads(message.get("Body", "")) if isinstance(message, dict) else None
    except ValueError:
        return None


def sns_envelope(message: Any) -> bool:
    """An SQS message that is an SNS notification's envelope (not raw delivery)."""
    body = _body_json(message)
    return isinstance(body, dict) and body.get("Type") == "Notification" and "TopicArn" in body


def eventbridge_event(message: Any) -> bool:
    """An SQS message that is an EventBridge event delivered by a rule's target."""
    body = _body_json(message)
    return isinstance(body, dict) and {"detail-type", "source", "detail"} <= body.keys()


def s3_event(message: Any) -> bool:
    """An SQS message that is an S3 event notification (not the s3:TestEvent sent when the
    notification is configured, which terraform's apply caused)."""
    body = _body_json(message)
    records = body.get("Records") if isinstance(body, dict) else None
    return isinstance(records, list) and any(
        isinstance(r, dict) and r.get("eventSource") == "aws:s3" for r in records
    )


def dead_lettered(message: Any) -> bool:
    """An SQS message the redrive policy moved to a dead-letter queue (AWS marks it with
    ``DeadLetterQueueSourceArn``, returned when the receive asks for attributes)."""
    return isinstance(message, dict) and "DeadLetterQueueSourceArn" in (
        message.get("Attributes") or {}
    )


def reorder_fifo(answer: Answer) -> Answer | None:
    """SQS messages reversed, only where order is promised: every message a FIFO one (it
    carries a ``SequenceNumber``, returned when the receive asks for attributes)."""
    document = _json(answer)
    messages = document.get("Messages") if isinstance(document, dict) else None
    if not messages or not all(
        isinstance(m, dict) and "SequenceNumber" in (m.get("Attributes") or {}) for m in messages
    ):
        return None
    return reorder("Messages")(answer)


def sns_published_nowhere(call: Call) -> Answer | None:
    """SNS's answer to a Publish (query protocol) that the emulator never receives: a
    MessageId and success, and no subscriber ever gets the message, raw or enveloped."""
    if "x-amz-target" in call.headers:  # a JSON-protocol client: not SNS's own shape
        return None
    message_id, request_id = uuid.uuid4(), uuid.uuid4()
    body = (
        '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">'
        f"<PublishResult><MessageId>{message_id}</MessageId></PublishResult>"
        f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
        "</PublishResponse>"
    ).encode()
    headers = [("Content-Type", "text/xml"), ("x-amzn-RequestId", str(request_id))]
    return Answer(200, "OK", headers, body)


def _never(answer: Answer) -> Answer | None:
    """No answer to change: the request was answered before it was forwarded."""
    return None


# -- XML and raw bodies -----------------------------------------------------------------
def xml_change(tag: str) -> Mutation:
    """The text of the first ``<tag>`` changed."""
    pattern = re.compile(rb"(<" + tag.encode() + rb">)([^<]*)(</" + tag.encode() + rb">)")

    def mutate(answer: Answer) -> Answer | None:
        if answer.status >= 300:
            return None
        found = pattern.search(answer.body)
        if found is None:
            return None
        new = _changed(found.group(2).decode()).encode()
        body = answer.body[: found.start(2)] + new + answer.body[found.end(2) :]
        return replace(answer, body=body)

    return mutate


def xml_drop(tag: str) -> Mutation:
    """Every ``<tag>...</tag>`` left out (elements lost from a list)."""
    pattern = re.compile(rb"<" + tag.encode() + rb">.*?</" + tag.encode() + rb">", re.DOTALL)

    def mutate(answer: Answer) -> Answer | None:
        if answer.status >= 300 or not pattern.search(answer.body):
            return None
        return replace(answer, body=pattern.sub(b"", answer.body))

    return mutate


def corrupt_body(*, fix_etag: bool = False, fix_checksums: bool = False) -> Mutation:
    """A raw body (an S3 object, an API's answer) with its last byte changed; with
    ``fix_etag`` its ETag made to match, with ``fix_checksums`` also every
    ``x-amz-checksum-*`` header (what an emulator that corrupts before hashing sends)."""

    def mutate(answer: Answer) -> Answer | None:
        if answer.status >= 300 or not answer.body:
            return None
        last = answer.body[-1:]
        body = answer.body[:-1] + (b"x" if last != b"x" else b"y")
        headers = [
            _fixed_header(k, v, body, etag=fix_etag, checksums=fix_checksums)
            for k, v in answer.headers
        ]
        return replace(answer, body=body, headers=headers)

    return mutate


def _fixed_header(
    name: str, value: str, body: bytes, *, etag: bool, checksums: bool
) -> tuple[str, str]:
    lower = name.lower()
    if etag and lower == "etag" and "-" not in value:
        return name, f'"{hashlib.md5(body).hexdigest()}"'
    if checksums and lower.startswith("x-amz-checksum-"):
        digest = _checksum(lower.removeprefix("x-amz-checksum-"), body)
        if digest is not None:
            return name, base64.b64encode(digest).decode()
    return name, value


def _checksum(algorithm: str, body: bytes) -> bytes | None:
    """The digest S3 sends in ``x-amz-checksum-<algorithm>`` (None: one not computed here,
    left as it was: a multipart object's composite checksum, CRC64NVME)."""
    if algorithm == "crc32":
        return (zlib.crc32(body) & 0xFFFFFFFF).to_bytes(4, "big")
    if algorithm == "crc32c":
        return crc32c(body).to_bytes(4, "big")
    if algorithm in ("sha1", "sha256"):
        return hashlib.new(algorithm, body).digest()
    return None


def _crc32c_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C = _crc32c_table()


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), S3's default checksum; small bodies only, so a table will do."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC32C[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def status_changed(answer: Answer) -> Answer | None:
    """A success answered with another success status (200 -> 201, else 200): what a
    test that only checks "2xx" lets through."""
    if not 200 <= answer.status < 300:
        return None
    status = 201 if answer.status == 200 else 200
    return replace(answer, status=status, reason="Created" if status == 201 else "OK")


# -- errors -------------------------------------------------------------------------------
def error(status: int, code: str) -> Mutation:
    """The answer replaced by an AWS error (JSON or XML, as the emulator's answer was)."""

    def mutate(answer: Answer) -> Answer | None:
        message = f"lsqm injected {code}"
        headers = [
            (k, v)
            for k, v in answer.headers
            if k.lower() in ("x-amzn-requestid", "x-amz-request-id", "date", "server")
        ]
        if answer.body.lstrip().startswith(b"{") or _json_content(answer):
            body = json.dumps({"__type": code, "message": message}).encode()
            headers += [("Content-Type", "application/x-amz-json-1.0")]
            headers += [("x-amzn-ErrorType", code)]
        else:
            body = (
                f"<ErrorResponse><Error><Type>Receiver</Type><Code>{code}</Code>"
                f"<Message>{message}</Message></Error></ErrorResponse>"
            ).encode()
            headers += [("Content-Type", "text/xml")]
        reason = "Internal Server Error" if status >= 500 else "Bad Request"
        return Answer(status, reason, headers, body)

    return mutate


def _json_content(answer: Answer) -> bool:
    return any(k.lower() == "content-type" and "json" in v for k, v in answer.headers)


# -- the catalogue ------------------------------------------------------------------------
def _f(
    service: str, operation: str, kind: str, words: str, mutate: Mutation, every: bool = False
) -> Fault:
    return Fault(service, operation, kind, words, mutate, every)


_DATA: tuple[Fault, ...] = (
    # SQS: messages lost, duplicated, reordered, changed in transit, attributes dropped
    _f("sqs", "ReceiveMessage", "message_lost", "no test fails when a sent message never arrives", lose("Messages")),
    _f("sqs", "ReceiveMessage", "message_duplicated", "no test notices a message delivered twice", duplicate("Messages")),
    _f("sqs", "ReceiveMessage", "fifo_reordered", "no test checks that a FIFO queue's messages arrive in the order sent", reorder_fifo),
    _f("sqs", "ReceiveMessage", "body_changed", "no test compares a received body with what was sent, nor checks its MD5OfBody (boto3 does not)", change("Messages[].Body")),
    _f("sqs", "ReceiveMessage", "body_changed_md5_ok", "no test compares a received body for equality with what was sent", change("Messages[].Body", sqs_md5)),
    _f("sqs", "ReceiveMessage", "attributes_dropped", "no test reads back the message attributes it sent", drop("Messages[].MessageAttributes")),
    # Asynchronous deliveries swallowed: the proxy sees only the tests' requests, not the
    # emulator's own SNS -> SQS, EventBridge -> SQS, S3 -> SQS or redrive moves, so a
    # delivery that never happened is modelled where the test reads it: every receive
    # leaves out exactly the delivered message (the sender was answered with success).
    Fault("sns", "Publish", "published_nowhere", "no test checks that a message published to the topic reaches its subscribers", _never, True, sns_published_nowhere),
    _f("sqs", "ReceiveMessage", "sns_delivery_swallowed", "no test checks that a message published to the topic reaches the subscribed queue", drop_where("Messages", sns_envelope), True),
    _f("sqs", "ReceiveMessage", "eventbridge_delivery_swallowed", "no test checks that an event matching the rule reaches its SQS target", drop_where("Messages", eventbridge_event), True),
    _f("sqs", "ReceiveMessage", "s3_notification_swallowed", "no test checks that a bucket's event notification reaches its queue", drop_where("Messages", s3_event), True),
    _f("sqs", "ReceiveMessage", "dlq_redrive_swallowed", "no test checks that a message received maxReceiveCount times is moved to the dead-letter queue", drop_where("Messages", dead_lettered), True),
    _f("sqs", "GetQueueAttributes", "attributes_changed", "no test compares the queue's attributes with the configuration", change("Attributes.*")),
    # SNS
    _f("sns", "GetTopicAttributes", "attributes_changed", "no test compares the topic's attributes with the configuration", xml_change("value")),
    _f("sns", "GetSubscriptionAttributes", "attributes_changed", "no test compares the subscription's attributes with the configuration", xml_change("value")),
    # S3
    _f("s3", "GetObject", "body_changed", "no test compares an object read back with what was put, nor its ETag", corrupt_body()),
    _f("s3", "GetObject", "body_changed_etag_ok", "no test compares an object read back with what was put, nor its x-amz-checksum-* (ETag made to match)", corrupt_body(fix_etag=True)),
    _f("s3", "GetObject", "body_changed_checksums_ok", "no test compares an object read back byte for byte with what was put (ETag and checksums made to match)", corrupt_body(fix_etag=True, fix_checksums=True)),
    _f("s3", "ListObjectsV2", "objects_lost", "no test checks that a put object is listed", xml_drop("Contents")),
    _f("s3", "GetBucketVersioning", "status_changed", "no test reads back the bucket's versioning status", xml_drop("Status")),
    _f("s3", "GetBucketEncryption", "algorithm_changed", "no test compares the bucket's encryption with the configuration", xml_change("SSEAlgorithm")),
    _f("s3", "GetBucketPolicy", "policy_changed", "no test compares the bucket policy with the configuration", change("Statement")),
    # DynamoDB
    _f("dynamodb", "GetItem", "item_lost", "no test fails when a written item cannot be read back", drop("Item")),
    _f("dynamodb", "GetItem", "value_changed", "no test compares an item read back with what was written", change("Item.*")),
    _f("dynamodb", "Query", "items_lost", "no test checks that a query returns the items written", lose("Items")),
    _f("dynamodb", "Query", "item_duplicated", "no test checks a query's results against what was written", duplicate("Items")),
    _f("dynamodb", "Query", "items_reordered", "no test checks that a query returns items in sort-key order", reorder("Items")),
    _f("dynamodb", "Scan", "items_lost", "no test checks that a scan returns the items written", lose("Items")),
    _f("dynamodb", "DescribeTable", "key_schema_changed", "no test compares the table's key schema with the configuration", change("Table.KeySchema[].AttributeName")),
    _f("dynamodb", "DescribeTable", "status_changed", "no test checks the table is ACTIVE", set_value("Table.TableStatus", "CREATING")),
    # API Gateway: invoking a deployed stage (unsigned; named by trace.names), then the
    # control plane
    _f("execute-api", "Invoke", "body_changed", "no test compares an API's answer with the body its integration returns", corrupt_body()),
    _f("execute-api", "Invoke", "status_changed", "no test compares an API's status code with the one its integration selects", status_changed),
    _f("apigateway", "GetMethod", "integration_changed", "no test compares the method's integration with the configuration", change("methodIntegration.type")),
    _f("apigateway", "GetRestApi", "name_changed", "no test compares the API's name with the configuration", change("name")),
    # EventBridge
    _f("events", "DescribeRule", "rule_disabled", "no test checks the rule is enabled as configured", set_value("State", "DISABLED")),
    _f("events", "DescribeRule", "pattern_changed", "no test compares the rule's event pattern with the configuration", change("EventPattern")),
    _f("events", "ListTargetsByRule", "targets_lost", "no test checks the rule's targets", lose("Targets")),
    _f("events", "PutEvents", "entry_failed", "no test checks PutEvents' per-entry results", set_value("FailedEntryCount", 1)),
    # Step Functions
    _f("stepfunctions", "DescribeExecution", "output_changed", "no test compares an execution's output with the definition's", change("output")),
    _f("stepfunctions", "DescribeExecution", "status_changed", "no test checks how an execution ended", set_value("status", "FAILED")),
    _f("stepfunctions", "DescribeStateMachine", "definition_changed", "no test compares the state machine's definition with the configuration", change("definition")),
    _f("stepfunctions", "StartSyncExecution", "output_changed", "no test compares a synchronous execution's output with the definition's", change("output")),
    # CloudWatch Logs
    _f("logs", "GetLogEvents", "events_lost", "no test checks that a written log event is read back", lose("events")),
    _f("logs", "GetLogEvents", "message_changed", "no test compares a log event read back with what was written", change("events[].message")),
    _f("logs", "FilterLogEvents", "events_lost", "no test checks that a written log event is found", lose("events")),
    _f("logs", "DescribeLogGroups", "retention_changed", "no test compares the log group's retention with the configuration", change("logGroups[].retentionInDays")),
    # CloudWatch alarms
    _f("cloudwatch", "DescribeAlarms", "threshold_changed", "no test compares the alarm's threshold with the configuration", xml_change("Threshold")),
    _f("cloudwatch", "DescribeAlarms", "state_changed", "no test checks the alarm's state after setting it", xml_change("StateValue")),
    # SSM and Secrets Manager
    _f("ssm", "GetParameter", "value_changed", "no test compares the parameter's value with the configuration", change("Parameter.Value")),
    _f("ssm", "GetParameter", "type_changed", "no test compares the parameter's type with the configuration", set_value("Parameter.Type", "StringList")),
    _f("secretsmanager", "GetSecretValue", "value_changed", "no test compares the secret's value with what was stored", change("SecretString")),
    # Kinesis
    _f("kinesis", "GetRecords", "records_lost", "no test checks that a put record is read back", lose("Records")),
    _f("kinesis", "GetRecords", "data_changed", "no test compares a record read back with what was put", change("Records[].Data")),
    _f("kinesis", "GetRecords", "record_duplicated", "no test notices a record delivered twice", duplicate("Records")),
    _f("kinesis", "GetRecords", "records_reordered", "no test checks that a shard's records come back in the order put", reorder("Records")),
    _f("kinesis", "DescribeStreamSummary", "shards_changed", "no test compares the stream's shard count with the configuration", change("StreamDescriptionSummary.OpenShardCount")),
    # Lambda
    _f("lambda", "Invoke", "payload_changed", "no test compares the function's answer with what it returns", corrupt_body()),
    _f("lambda", "GetFunction", "runtime_changed", "no test compares the function's runtime with the configuration", change("Configuration.Runtime")),
    # KMS and IAM
    _f("kms", "Decrypt", "plaintext_changed", "no test compares decrypted data with what was encrypted", change("Plaintext")),
    _f("kms", "DescribeKey", "state_changed", "no test checks the key's state", set_value("KeyMetadata.KeyState", "Disabled")),
    _f("iam", "GetRole", "trust_changed", "no test compares the role's trust policy with the configuration", xml_change("AssumeRolePolicyDocument")),
)  # fmt: skip

_ERRORS: tuple[tuple[str, int, str, str], ...] = (
    ("error_5xx", 500, "InternalFailure", "an emulator error on {op} goes unnoticed"),
    ("throttled", 400, "ThrottlingException", "throttling on {op} goes unnoticed"),
)


def catalogue(operations: Iterable[tuple[str, str]] = ()) -> list[Fault]:
    """The data faults, then an error and a throttling fault for each of ``operations``
    (every operation the tests call can fail), in a stable order."""
    faults = list(_DATA)
    for service, operation in sorted(set(operations)):
        for kind, status, code, words in _ERRORS:
            op = f"{service}.{operation}"
            faults.append(
                Fault(service, operation, kind, words.format(op=op), error(status, code), True)
            )
    return faults


def exercised(faults: Iterable[Fault], called: set[tuple[str, str]]) -> list[Fault]:
    """The faults whose operation the tests called (the others are "not exercised")."""
    return [f for f in faults if (f.service, f.operation) in called]
