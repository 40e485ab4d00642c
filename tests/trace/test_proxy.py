"""The recording proxy over real HTTP: a local server stands in for the emulator and keeps
what reached it, so what the proxy changed (nothing) can be compared byte for byte."""

from __future__ import annotations

import http.client
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lsqm.trace.proxy import TEST_PATH, Answer, Call, RecordingProxy

BIG = bytes(range(256)) * 20_000  # 5 MB: larger than the proxy buffers


@dataclass
class Seen:
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes  # as it came on the wire (chunked framing included)
    connection: int  # which client connection of the upstream it came on


@dataclass
class Upstream:
    server: ThreadingHTTPServer
    seen: list[Seen] = field(default_factory=list)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"


def _raw_body(handler: BaseHTTPRequestHandler) -> bytes:
    if "chunked" in handler.headers.get("Transfer-Encoding", ""):
        raw = b""
        while True:
            line = handler.rfile.readline()
            raw += line
            size = int(line.split(b";")[0], 16)
            if size == 0:
                while (trailer := handler.rfile.readline()) not in (b"\r\n", b""):
                    raw += trailer
                return raw + trailer
            raw += handler.rfile.read(size + 2)
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    state: dict[str, Upstream] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _any(self) -> None:
            body = _raw_body(self)
            state["u"].seen.append(
                Seen(self.command, self.path, list(self.headers.items()), body,
                     id(self.connection))
            )  # fmt: skip
            if self.path == "/chunked":
                self.send_response_only(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.send_header("X-Custom", "a")
                self.send_header("X-Custom", "b")
                self.end_headers()
                for part in (b"hello ", b"chunked ", b"world"):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                self.wfile.write(b"0\r\n\r\n")
            elif self.path == "/big":
                self.send_response_only(200)
                self.send_header("Content-Length", str(len(BIG)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(BIG)
            elif self.path == "/close":
                self.send_response_only(200)
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(b"until the end")
                self.close_connection = True
            elif self.path.startswith("/error"):
                payload = b'{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"no"}'
                self.send_response_only(400, "Bad Request")
                self.send_header("Content-Type", "application/x-amz-json-1.0")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            else:
                payload = b"echo:" + body
                self.send_response_only(200)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _any

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state["u"] = Upstream(server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state["u"]
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxy(upstream: Upstream) -> Iterator[RecordingProxy]:
    recorder = RecordingProxy(lambda: upstream.url)
    yield recorder
    recorder.stop()


def _raw_exchange(url: str, request: bytes) -> bytes:
    """Send raw bytes, read the answer until the server closes (the request says close)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(request)
        answer = b""
        while piece := sock.recv(65536):
            answer += piece
    return answer


def test_requests_reach_the_emulator_as_sent(upstream: Upstream, proxy: RecordingProxy) -> None:
    port = proxy.url.rsplit(":", 1)[1]
    request = (
        b"PUT /bucket/key%20x?tagging&b=2 HTTP/1.1\r\n"
        b"Host: bucket.s3.localhost.localstack.cloud:" + port.encode() + b"\r\n"
        b"X-Amz-Meta-Odd:  spaced value\r\n"
        b"x-lower: 1\r\nX-Dup: a\r\nX-Dup: b\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"
    )
    answer = _raw_exchange(proxy.url, request)
    seen = upstream.seen[0]
    assert (seen.method, seen.path) == ("PUT", "/bucket/key%20x?tagging&b=2")
    assert seen.headers == [
        ("Host", f"bucket.s3.localhost.localstack.cloud:{port}"),
        ("X-Amz-Meta-Odd", "spaced value"),
        ("x-lower", "1"),
        ("X-Dup", "a"),
        ("X-Dup", "b"),
        ("Transfer-Encoding", "chunked"),
        ("Connection", "close"),
    ]
    assert seen.body == b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"
    assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b"echo:" + seen.body)


def test_answers_come_back_unchanged_and_connections_are_reused(
    upstream: Upstream, proxy: RecordingProxy
) -> None:
    conn = http.client.HTTPConnection(proxy.url.removeprefix("http://"))
    conn.request("GET", "/chunked")
    chunked = conn.getresponse()
    assert chunked.read() == b"hello chunked world"
    assert chunked.msg.get_all("X-Custom") == ["a", "b"]
    conn.request("PUT", "/upload", body=BIG)  # streamed through, not buffered
    assert conn.getresponse().read() == b"echo:" + BIG
    conn.request("GET", "/big")
    assert conn.getresponse().read() == BIG
    conn.request("HEAD", "/big")
    head = conn.getresponse()
    assert head.getheader("Content-Length") == str(len(BIG)) and head.read() == b""
    conn.request("POST", "/error/1", body=b"Action=GetQueueUrl&QueueName=q",
                 headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    error = conn.getresponse()
    assert error.status == 400 and b"QueueDoesNotExist" in error.read()
    conn.close()
    # One client connection, one upstream connection, kept alive throughout.
    assert len({s.connection for s in upstream.seen}) == 1
    assert upstream.seen[1].body == BIG
    calls = proxy.recording.calls()
    assert [(c.method, c.target, c.status) for c in calls] == [
        ("GET", "/chunked", 200),
        ("PUT", "/upload", 200),
        ("GET", "/big", 200),
        ("HEAD", "/big", 200),
        ("POST", "/error/1", 400),
    ]
    assert calls[-1].body_head == b"Action=GetQueueUrl&QueueName=q"
    assert b"QueueDoesNotExist" in calls[-1].error_head
    assert calls[0].error_head == b""  # only error answers are kept


def test_an_answer_delimited_by_close_and_a_restarted_upstream(
    upstream: Upstream, proxy: RecordingProxy
) -> None:
    conn = http.client.HTTPConnection(proxy.url.removeprefix("http://"))
    conn.request("GET", "/close")
    assert conn.getresponse().read() == b"until the end"
    conn.close()
    conn = http.client.HTTPConnection(proxy.url.removeprefix("http://"))
    conn.request("GET", "/after")  # a new upstream connection, opened as needed
    assert conn.getresponse().read() == b"echo:"
    conn.close()


def test_callers_and_tests_are_attributed(upstream: Upstream, proxy: RecordingProxy) -> None:
    conn = http.client.HTTPConnection(proxy.url.removeprefix("http://"))
    proxy.recording.caller = "apply"
    conn.request("GET", "/a")
    conn.getresponse().read()
    proxy.recording.caller = "test"
    conn.request("POST", TEST_PATH, body=b"test_receive[x]")
    told = conn.getresponse()
    assert (told.status, told.read()) == (204, b"")
    conn.request("GET", "/b")
    conn.getresponse().read()
    conn.request("POST", TEST_PATH, body=b"")
    conn.getresponse().read()
    conn.request("GET", "/c")
    conn.getresponse().read()
    conn.close()
    calls = proxy.recording.calls()
    assert [(c.target, c.caller, c.test) for c in calls] == [
        ("/a", "apply", None),
        ("/b", "test", "test_receive[x]"),
        ("/c", "test", None),
    ]
    assert all(s.path != TEST_PATH for s in upstream.seen)  # control calls stay here


def test_an_interceptor_may_replace_an_answer(upstream: Upstream) -> None:
    """The hook a fault injector will use: it sees the request and the buffered answer."""
    seen: list[Call] = []

    def interceptor(call: Call, answer: Answer) -> Answer | None:
        seen.append(call)
        if call.target == "/replace":
            return Answer(503, "Slow Down", [("X-Injected", "1")], b"busy")
        return None

    recorder = RecordingProxy(lambda: upstream.url, interceptor=interceptor)
    try:
        conn = http.client.HTTPConnection(recorder.url.removeprefix("http://"))
        conn.request("GET", "/replace")
        replaced = conn.getresponse()
        assert (replaced.status, replaced.getheader("X-Injected"), replaced.read()) == (
            503, "1", b"busy",
        )  # fmt: skip
        conn.request("GET", "/chunked")
        assert conn.getresponse().read() == b"hello chunked world"
        conn.close()
    finally:
        recorder.stop()
    assert [c.target for c in seen] == ["/replace", "/chunked"]
    assert [c.status for c in recorder.recording.calls()] == [503, 200]


def test_no_emulator_means_a_closed_connection_and_a_call_without_answer() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"  # bound, not listening
        recorder = RecordingProxy(lambda: dead)
        try:
            conn = http.client.HTTPConnection(recorder.url.removeprefix("http://"))
            conn.request("GET", "/x")
            with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
                conn.getresponse()
        finally:
            recorder.stop()
    assert [c.status for c in recorder.recording.calls()] == [0]
