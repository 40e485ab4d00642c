"""The fault catalogue and the injector: mutations on real answer shapes, and the injector on
the recording proxy in front of a local server speaking SQS's JSON protocol, called by a
real boto3 client (which, unlike the Java SDK, does not verify MD5OfBody: a test must)."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, FlexibleChecksumError

from lsqm.trace import faults
from lsqm.trace.inject import FaultInjector
from lsqm.trace.names import OperationNames
from lsqm.trace.proxy import Answer, RecordingProxy

BODY = "hello lsqm"


def _receive_answer(*bodies: str) -> dict:
    return {
        "Messages": [
            {
                "MessageId": f"m{i}",
                "ReceiptHandle": f"r{i}",
                "MD5OfBody": hashlib.md5(b.encode()).hexdigest(),
                "Body": b,
            }
            for i, b in enumerate(bodies)
        ]
    }


def _answer(document: dict, status: int = 200) -> Answer:
    return Answer(status, "OK", [("Content-Type", "application/x-amz-json-1.0")],
                  json.dumps(document).encode())  # fmt: skip


def _by_id(fault_id: str) -> faults.Fault:
    return next(f for f in faults.catalogue() if f.id == fault_id)


def test_json_faults_change_exactly_what_they_say() -> None:
    two = _answer(_receive_answer("a", "b"))
    lost = json.loads(faults.lose("Messages")(two).body)  # type: ignore[union-attr]
    assert lost["Messages"] == []
    doubled = json.loads(faults.duplicate("Messages")(two).body)  # type: ignore[union-attr]
    assert [m["Body"] for m in doubled["Messages"]] == ["a", "a", "b"]
    swapped = json.loads(faults.reorder("Messages")(two).body)  # type: ignore[union-attr]
    assert [m["Body"] for m in swapped["Messages"]] == ["b", "a"]
    changed = json.loads(faults.change("Messages[].Body", faults.sqs_md5)(two).body)  # type: ignore[union-attr]
    assert [m["Body"] for m in changed["Messages"]] == ["x", "x"]
    assert changed["Messages"][0]["MD5OfBody"] == hashlib.md5(b"x").hexdigest()
    disabled = faults.set_value("State", "DISABLED")(_answer({"State": "ENABLED"}))
    assert json.loads(disabled.body)["State"] == "DISABLED"  # type: ignore[union-attr]


def test_a_fault_that_does_not_apply_changes_nothing() -> None:
    empty = _answer({"Messages": []})
    assert faults.lose("Messages")(empty) is None
    assert faults.reorder("Messages")(_answer({"Messages": [{"Body": "s"}, {"Body": "s"}]})) is None
    assert faults.set_value("State", "DISABLED")(_answer({"State": "DISABLED"})) is None
    assert faults.change("Messages[].Body")(_answer({"x": 1}, status=400)) is None


def test_raw_and_xml_faults_and_their_checksums() -> None:
    data = b"object bytes"
    etag = f'"{hashlib.md5(data).hexdigest()}"'
    answer = Answer(200, "OK", [("ETag", etag)], data)
    stale = faults.corrupt_body()(answer)
    fixed = faults.corrupt_body(fix_etag=True)(answer)
    assert stale is not None and fixed is not None
    assert stale.body == fixed.body == b"object bytex"
    assert dict(stale.headers)["ETag"] == etag
    assert dict(fixed.headers)["ETag"] == f'"{hashlib.md5(fixed.body).hexdigest()}"'
    xml = Answer(200, "OK", [], b"<R><Contents><Key>k</Key></Contents><Name>b</Name></R>")
    assert faults.xml_drop("Contents")(xml).body == b"<R><Name>b</Name></R>"  # type: ignore[union-attr]
    assert faults.xml_change("Name")(xml).body.endswith(b"<Name>x</Name></R>")  # type: ignore[union-attr]


def test_the_catalogue_names_each_fault_once_and_adds_errors_for_called_operations() -> None:
    catalogue = faults.catalogue([("sqs", "SendMessage")])
    ids = [f.id for f in catalogue]
    assert len(ids) == len(set(ids))
    assert "sqs.SendMessage:error_5xx" in ids and "sqs.SendMessage:throttled" in ids
    assert all(f.words for f in catalogue)
    called = {("sqs", "ReceiveMessage")}
    assert {f.operation for f in faults.exercised(catalogue, called)} == {"ReceiveMessage"}


# -- the injector on the proxy ----------------------------------------------------------
@pytest.fixture
def sqs_server() -> Iterator[str]:
    """Answers every SQS JSON call with one message whose body is BODY."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.dumps(_receive_answer(BODY)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-amz-json-1.0")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def names(cache_dir: Path) -> OperationNames:
    return OperationNames(cache_dir / "trace")


def _receive(url: str) -> list[str]:
    sqs = boto3.client("sqs", endpoint_url=url, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test",
                       config=Config(retries={"total_max_attempts": 1}))  # fmt: skip
    answer = sqs.receive_message(QueueUrl=f"{url}/000000000000/q")
    return [m["Body"] for m in answer.get("Messages", [])]


def test_only_the_tests_requests_get_the_fault_and_only_once(sqs_server: str, names) -> None:
    injector = FaultInjector(_by_id("sqs.ReceiveMessage:body_changed_md5_ok"), names)
    proxy = RecordingProxy(lambda: sqs_server, interceptor=injector)
    try:
        proxy.recording.caller = "apply"
        assert _receive(proxy.url) == [BODY]  # terraform's request: untouched
        assert injector.matched == 0
        proxy.recording.caller = "test"
        assert _receive(proxy.url) == ["hello lsqx"]  # the MD5 matches: boto3 accepts it
        assert _receive(proxy.url) == [BODY]  # one wrong answer per run
        assert (injector.matched, injector.injected) == (2, 1)
    finally:
        proxy.stop()


def test_a_stale_checksum_passes_boto3_and_errors_hit_every_call(sqs_server: str, names) -> None:
    stale = FaultInjector(_by_id("sqs.ReceiveMessage:body_changed"), names)
    proxy = RecordingProxy(lambda: sqs_server, interceptor=stale)
    proxy.recording.caller = "test"
    try:  # boto3 hands over a body whose MD5OfBody no longer matches: only a test can tell
        assert _receive(proxy.url) == ["hello lsqx"]
    finally:
        proxy.stop()
    fault = next(f for f in faults.catalogue([("sqs", "ReceiveMessage")]) if f.kind == "error_5xx")
    failing = FaultInjector(fault, names)
    proxy = RecordingProxy(lambda: sqs_server, interceptor=failing)
    proxy.recording.caller = "test"
    try:
        for _ in range(2):
            with pytest.raises(ClientError, match="InternalFailure"):
                _receive(proxy.url)
        assert failing.injected == 2
        assert [c.status for c in proxy.recording.calls()] == [500, 500]
    finally:
        proxy.stop()


# -- new faults on answers captured from LocalStack 2026.3.0 (scripts/capture_answers.py) --
ANSWERS = Path(__file__).resolve().parent.parent / "fixtures" / "answers"


def _captured(label: str) -> Answer:
    document = json.loads((ANSWERS / f"{label}.json").read_text(encoding="utf-8"))
    headers = [(k, v) for k, v in document["headers"]]
    return Answer(document["status"], "OK", headers, document["body"].encode())


def _messages(answer: Answer | None) -> list[dict]:
    assert answer is not None
    return json.loads(answer.body)["Messages"]


SWALLOWED = {
    "sns_delivery_swallowed": "sqs_receive_sns_envelope",
    "eventbridge_delivery_swallowed": "sqs_receive_eventbridge_event",
    "s3_notification_swallowed": "sqs_receive_s3_notification",
    "dlq_redrive_swallowed": "sqs_receive_dead_lettered",
}


@pytest.mark.parametrize("kind", sorted(SWALLOWED))
def test_a_swallowed_delivery_leaves_out_exactly_that_delivery_on_every_receive(kind: str) -> None:
    fault = _by_id(f"sqs.ReceiveMessage:{kind}")
    assert fault.every_call  # never delivered: no later receive may bring it
    delivered = _captured(SWALLOWED[kind])
    assert _messages(fault.mutate(delivered)) == []
    for other, label in SWALLOWED.items():  # every other delivery, and the S3 test event
        if other != kind:
            assert fault.mutate(_captured(label)) is None, (kind, label)
    assert fault.mutate(_captured("s3_test_event")) is None
    assert fault.mutate(_answer(_receive_answer("plain", '{"Type": "Other"}'))) is None


def test_reorder_only_where_order_is_promised() -> None:
    fifo = _captured("sqs_receive_fifo")
    reversed_fifo = _by_id("sqs.ReceiveMessage:fifo_reordered").mutate(fifo)
    assert [m["Body"] for m in _messages(reversed_fifo)] == ["m1", "m0"]
    standard = _answer(_receive_answer("a", "b"))  # standard queues promise no order
    assert _by_id("sqs.ReceiveMessage:fifo_reordered").mutate(standard) is None
    assert not any(f.id == "sqs.ReceiveMessage:messages_reordered" for f in faults.catalogue())
    query = _by_id("dynamodb.Query:items_reordered").mutate(_captured("dynamodb_query_two_items"))
    assert query is not None
    assert [i["sk"]["S"] for i in json.loads(query.body)["Items"]] == ["b", "a"]
    records = _by_id("kinesis.GetRecords:records_reordered").mutate(
        _captured("kinesis_getrecords_two")
    )
    assert records is not None
    assert [r["Data"] for r in json.loads(records.body)["Records"]] == ["cjE=", "cjA="]


def test_s3_body_faults_and_their_checksums_as_boto3_sees_them() -> None:
    """A stale x-amz-checksum-crc32 is refused by boto3's response validation (whatever
    the ETag); with every checksum made to match, only a test can tell."""
    from botocore.httpchecksum import Crc32Checksum

    original = _captured("s3_getobject_checksums")
    stale = _by_id("s3.GetObject:body_changed").mutate(original)
    etag_ok = _by_id("s3.GetObject:body_changed_etag_ok").mutate(original)
    all_ok = _by_id("s3.GetObject:body_changed_checksums_ok").mutate(original)
    assert stale is not None and etag_ok is not None and all_ok is not None
    assert stale.body == etag_ok.body == all_ok.body == b"lsqm objecx"
    head = {a: dict(x.headers) for a, x in (("stale", stale), ("etag", etag_ok), ("all", all_ok))}
    assert head["stale"]["ETag"] == dict(original.headers)["ETag"]
    assert (
        head["etag"]["ETag"]
        == head["all"]["ETag"]
        == f'"{hashlib.md5(b"lsqm objecx").hexdigest()}"'
    )
    assert head["etag"]["x-amz-checksum-crc32"] == dict(original.headers)["x-amz-checksum-crc32"]
    crc = Crc32Checksum()
    crc.update(b"lsqm objecx")
    assert head["all"]["x-amz-checksum-crc32"] == crc.b64digest()  # botocore's own CRC
    for refused in (stale, etag_ok):  # boto3 checks the CRC (never the ETag)
        with pytest.raises(FlexibleChecksumError):
            _get_object(refused)
    assert _get_object(all_ok) == b"lsqm objecx"


def _get_object(answer: Answer) -> bytes:
    """What boto3's get_object returns when a server answers ``answer``."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(answer.status)
            for name, value in answer.headers:
                if name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{server.server_address[1]}",
                          region_name="us-east-1", aws_access_key_id="test",
                          aws_secret_access_key="test", config=Config(retries={"max_attempts": 1},
                          s3={"addressing_style": "path"}))  # fmt: skip
        return s3.get_object(Bucket="b", Key="k", ChecksumMode="ENABLED")["Body"].read()
    finally:
        server.shutdown()
        server.server_close()


def test_crc32c_is_the_castagnoli_checksum() -> None:
    assert faults.crc32c(b"123456789") == 0xE3069283  # the standard check value
    assert faults.crc32c(b"") == 0


def test_an_api_invocation_gets_its_body_or_status_changed() -> None:
    answer = _captured("execute_api_invoke_mock")
    body = _by_id("execute-api.Invoke:body_changed").mutate(answer)
    assert body is not None and body.body == b'{"message": "pong"x' and body.status == 200
    status = _by_id("execute-api.Invoke:status_changed").mutate(answer)
    assert status is not None and status.status == 201 and status.body == answer.body
    assert faults.status_changed(replace(answer, status=404)) is None
    errors = {
        f.kind: f
        for f in faults.catalogue([("execute-api", "Invoke")])
        if f.service == "execute-api"
    }
    failed = errors["error_5xx"].mutate(answer)
    assert failed is not None and failed.status == 500


def test_a_published_message_can_be_swallowed_before_the_emulator_sees_it(names) -> None:
    """The test's Publish is answered with success and a MessageId that boto3 parses, and
    never forwarded; terraform's Publish still reaches the emulator."""
    reached: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            reached.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode())
            body = (b'<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">'
                    b"<PublishResult><MessageId>from-the-emulator</MessageId></PublishResult>"
                    b"</PublishResponse>")  # fmt: skip
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    fault = _by_id("sns.Publish:published_nowhere")
    injector = FaultInjector(fault, names)
    proxy = RecordingProxy(lambda: f"http://127.0.0.1:{server.server_address[1]}",
                           interceptor=injector)  # fmt: skip
    sns = boto3.client("sns", endpoint_url=proxy.url, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")  # fmt: skip
    topic = "arn:aws:sns:us-east-1:000000000000:t"
    try:
        proxy.recording.caller = "apply"
        assert sns.publish(TopicArn=topic, Message="m")["MessageId"] == "from-the-emulator"
        proxy.recording.caller = "test"
        for _ in range(2):  # every one of the tests' messages: none is ever delivered
            made_up = sns.publish(TopicArn=topic, Message="lost")["MessageId"]
            assert made_up != "from-the-emulator" and len(made_up) == 36
    finally:
        proxy.stop()
        server.shutdown()
        server.server_close()
    assert len(reached) == 1 and "Message=m" in reached[0]
    assert (injector.matched, injector.injected) == (2, 2)
    assert [c.status for c in proxy.recording.calls()] == [200, 200, 200]
