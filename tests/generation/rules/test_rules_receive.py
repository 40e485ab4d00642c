"""What a receive check accepts, against a local server speaking SQS's JSON protocol to a
real boto3 client: its own message once, whole; never any message twice in one receive
(a duplicate of another test's message is as wrong as one of its own)."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.generation.rules.checks_module import service

sqs_checks = service("sqs")
QUEUE = "arn:aws:sqs:us-east-1:000000000000:orders"


def _message(message_id: str, body: str) -> dict[str, str]:
    md5 = hashlib.md5(body.encode()).hexdigest()
    return {"MessageId": message_id, "ReceiptHandle": message_id, "MD5OfBody": md5, "Body": body}


@pytest.fixture
def sqs_server() -> Iterator[tuple[str, list[list[dict[str, str]]]]]:
    """Answers each ReceiveMessage with the next list of messages queued in ``answers``."""
    answers: list[list[dict[str, str]]] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            operation = self.headers.get("X-Amz-Target", "").rpartition(".")[2]
            url = f"http://127.0.0.1:{self.server.server_address[1]}/000000000000/orders"
            document: dict[str, Any] = {}
            if operation == "GetQueueUrl":
                document = {"QueueUrl": url}
            elif operation == "ReceiveMessage":
                document = {"Messages": answers.pop(0) if answers else []}
            body = json.dumps(document).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-amz-json-1.0")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", answers
    server.shutdown()
    server.server_close()


def _aws(url: str) -> Any:
    client = boto3.client("sqs", endpoint_url=url, region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test",
                          config=Config(retries={"max_attempts": 1}))  # fmt: skip
    return lambda _service, _resource: client


def test_a_receive_returning_any_message_twice_fails(sqs_server) -> None:
    url, answers = sqs_server
    other, mine = _message("m1", "someone else's"), _message("m2", "lsqm-mine")
    answers.append([other, mine])
    assert sqs_checks.sqs_find_message(_aws(url), QUEUE, "lsqm-mine", timeout=5) == "lsqm-mine"
    answers.append([other, other, mine])
    with pytest.raises(AssertionError, match="returned a message twice"):
        sqs_checks.sqs_find_message(_aws(url), QUEUE, "lsqm-mine", timeout=5)
    answers.append([_message("m3", "lsqm-mine"), _message("m4", "lsqm-mine")])
    with pytest.raises(AssertionError, match="returned the message 2 times"):
        sqs_checks.sqs_find_message(_aws(url), QUEUE, "lsqm-mine", timeout=5)
