"""The fault catalogue and the injector: mutations on real answer shapes, and the injector on
the recording proxy in front of a local server speaking SQS's JSON protocol, called by a
real boto3 client (which, unlike the Java SDK, does not verify MD5OfBody: a test must)."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

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
    stale = faults.corrupt_body(fix_checksums=False)(answer)
    fixed = faults.corrupt_body(fix_checksums=True)(answer)
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
