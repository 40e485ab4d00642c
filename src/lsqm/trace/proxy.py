"""The recording proxy: a loopback HTTP server in front of an emulator that forwards every
request as it came (method, path and query, headers in order, body, chunked framing) and
returns the emulator's answer unchanged, noting each exchange as a :class:`Call`.

Why one proxy for every runtime instead of hooks inside each emulator: the same parser names
the calls whatever answers them (so traces compare across emulators), and a later fault
injector sits at the same place (:class:`Interceptor`). Why one listener per architecture
rather than one per worker: the next architecture is prepared (``terraform init``) while the
current one deploys, and a port of its own is the only way to tell their calls apart.

The ``Host`` header is passed on as the client sent it: emulators build queue URLs from it
(so a test's later calls come back through the proxy) and SigV4 signs it. Each client
connection gets its own keep-alive connection to the emulator.
"""

from __future__ import annotations

import contextlib
import http.client
import re
import select
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

PYTEST_PLUGIN = Path(__file__).with_name("pytest_plugin.py")  # copied beside a test run
CONTROL_PREFIX = "/_lsqm/trace/"  # the proxy's own routes; never forwarded
TEST_PATH = CONTROL_PREFIX + "test"  # POST the running test's name (empty: none)
BUFFER_LIMIT = 1024 * 1024  # request bodies up to this are buffered (and retried once)
ERROR_HEAD = 4096  # bytes of an error answer kept to read its error code
FORM_HEAD = 8192  # bytes of a form body kept to read ``Action=``
_CHUNK = 65536
_FORM = "application/x-www-form-urlencoded"
_RETRYABLE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


@dataclass
class Call:
    """One request that went through the proxy, as seen on the wire (named later)."""

    index: int
    method: str
    target: str  # path and query, as sent
    host: str
    headers: dict[str, str]  # the request headers that name the operation (lower-case keys)
    body_head: bytes  # the start of a form body (query protocols), else empty
    caller: str
    test: str | None
    status: int = 0  # 0: the emulator gave no answer
    answer_headers: dict[str, str] = field(default_factory=dict)
    error_head: bytes = b""  # the start of an error answer's body
    seconds: float = 0.0
    header_names: tuple[str, ...] = ()  # every request header's name, lower-case


_NAMING_HEADERS = ("authorization", "x-amz-target", "content-type", "x-amz-date")
_ANSWER_HEADERS = ("x-amzn-errortype", "x-amzn-query-error", "content-type")


@dataclass
class Answer:
    """An upstream answer buffered whole, as an :class:`Interceptor` sees and may replace it."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes


class Interceptor(Protocol):
    """The hook for a later fault injector: called with the request as recorded and the
    emulator's buffered answer; returns the answer to give the client instead, or None to
    pass it on unchanged. With no interceptor answers are streamed, never buffered.

    One may also have an ``instead(call) -> Answer | None`` method, asked before a buffered
    request is forwarded: an answer it returns goes to the client and the request never
    reaches the emulator (a message accepted and then lost)."""

    def __call__(self, call: Call, answer: Answer) -> Answer | None: ...


class Recording:
    """The calls one listener saw and who was making them at the time (thread-safe)."""

    def __init__(self) -> None:
        self.caller = "other"  # set by deploy before each stage
        self.test: str | None = None  # set by the tests' pytest plugin
        self._calls: list[Call] = []
        self._idle = threading.Condition()
        self._count = 0
        self._in_flight = 0

    def begin(self) -> int:
        """A call arrived: its position in the architecture's work."""
        with self._idle:
            self._count += 1
            self._in_flight += 1
            return self._count - 1

    def add(self, call: Call) -> None:
        """A call ended (its answer relayed, or none came)."""
        with self._idle:
            self._calls.append(call)
            self._in_flight -= 1
            self._idle.notify_all()

    def calls(self, wait_s: float = 2.0) -> list[Call]:
        """The calls so far, in order. A client that has its answer may be a moment ahead
        of the thread that relayed it: wait (briefly) for calls in flight to end."""
        with self._idle:
            self._idle.wait_for(lambda: self._in_flight == 0, timeout=wait_s)
            return sorted(self._calls, key=lambda c: c.index)


class RecordingProxy:
    """One listener on a free loopback port, forwarding to ``upstream()`` (read per request,
    so a restarted emulator on another port is followed)."""

    def __init__(
        self, upstream: Callable[[], str], *, interceptor: Interceptor | None = None
    ) -> None:
        self.recording = Recording()
        self._server = _Server(upstream, self.recording, interceptor)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name=f"lsqm-trace-{port}",
            daemon=True,
        )
        self._thread.start()

    def intercept(self, interceptor: Interceptor | None) -> None:
        """Give later answers to ``interceptor`` (None: relay them unchanged, streamed), so
        one listener serves a clean run and then fault runs on a stack deployed once."""
        self._server.interceptor = interceptor

    def stop(self) -> None:
        """Stop listening and drop every open client connection (safe to call twice)."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()
        self._server.drop_connections()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(
        self, upstream: Callable[[], str], recording: Recording, interceptor: Interceptor | None
    ) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream = upstream
        self.recording = recording
        self.interceptor = interceptor
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    def process_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        with self._lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        with self._lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that went away mid-answer (killed, timed out) is no error of lsqm's;
        anything else is printed as socketserver does."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]

    def drop_connections(self) -> None:
        with self._lock:
            open_now, self._open = list(self._open), set()
        for sock in open_now:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # an answer's head and body go as separate writes
    server: _Server
    _upstream: http.client.HTTPConnection | None = None
    _upstream_netloc = ""

    def log_message(self, format: str, *args: object) -> None:
        """Silent: the trace is the log."""

    def finish(self) -> None:
        super().finish()
        if self._upstream is not None:
            self._upstream.close()

    def _forward(self) -> None:
        if self.path.startswith(CONTROL_PREFIX):
            self._control()
            return
        recording = self.server.recording
        call = Call(
            index=recording.begin(),
            method=self.command,
            target=self.path,
            host=self.headers.get("Host", ""),
            headers={k: v for k in _NAMING_HEADERS if (v := self.headers.get(k)) is not None},
            body_head=b"",
            caller=recording.caller,
            test=recording.test if recording.caller == "test" else None,
            header_names=tuple(k.lower() for k in self.headers),
        )
        started = time.monotonic()
        try:
            self._exchange(call)
        finally:
            call.seconds = time.monotonic() - started
            recording.add(call)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _forward

    def _control(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if urlsplit(self.path).path == TEST_PATH:
            name = body.decode("utf-8", errors="replace").strip()
            self.server.recording.test = name or None
            self.send_response_only(204)
        else:
            self.send_response_only(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    # -- forwarding -------------------------------------------------------------------
    def _exchange(self, call: Call) -> None:
        body, streamed = self._read_body(call)
        instead = getattr(self.server.interceptor, "instead", None)
        made_up = instead(call) if instead is not None and not streamed else None
        if made_up is not None:
            call.status = made_up.status
            self._reply(call, made_up, close=False)
            return
        try:
            response = self._send(body, streamed)
        except (OSError, http.client.HTTPException):
            call.status = 0
            self._reply_bad_gateway()
            return
        call.status = response.status
        call.answer_headers = {
            k: v for k in _ANSWER_HEADERS if (v := response.getheader(k)) is not None
        }
        interceptor = self.server.interceptor
        if interceptor is not None:
            self._relay_buffered(call, response, interceptor)
        else:
            self._relay(call, response)

    def _read_body(self, call: Call) -> tuple[bytes, bool]:
        """The request body: buffered when small, else left to stream (True)."""
        length = self.headers.get("Content-Length")
        chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
        if chunked or (length and int(length) > BUFFER_LIMIT):
            return b"", True
        body = self.rfile.read(int(length)) if length else b""
        if body and _FORM in self.headers.get("Content-Type", ""):
            call.body_head = body[:FORM_HEAD]
        return body, False

    def _connection(self) -> tuple[http.client.HTTPConnection, bool]:
        """This client's connection to the emulator; whether it was used before."""
        netloc = urlsplit(self.server.upstream()).netloc
        conn = self._upstream
        if conn is not None and (netloc != self._upstream_netloc or _dropped(conn)):
            conn.close()
            conn = None
        if conn is None:
            conn = http.client.HTTPConnection(netloc, timeout=3600)
            self._upstream, self._upstream_netloc = conn, netloc
            return conn, False
        return conn, True

    def _send(self, body: bytes, streamed: bool) -> http.client.HTTPResponse:
        conn, reused = self._connection()
        try:
            self._send_on(conn, body, streamed)
            return conn.getresponse()
        except _RETRYABLE:
            conn.close()
            if not reused or streamed:
                raise
        # A kept-alive connection the emulator had closed meanwhile: once more on a new one.
        self._upstream = None
        conn, _ = self._connection()
        self._send_on(conn, body, False)
        return conn.getresponse()

    def _send_on(self, conn: http.client.HTTPConnection, body: bytes, streamed: bool) -> None:
        conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for name, value in self.headers.items():
            conn.putheader(name, value)
        if not streamed:  # headers and body in one write: no wait for a delayed ACK
            conn.endheaders(body or None)
            return
        conn.endheaders()
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self._stream_chunked(conn)
        else:
            remaining = int(self.headers.get("Content-Length") or 0)
            while remaining > 0:
                piece = self.rfile.read(min(_CHUNK, remaining))
                if not piece:
                    raise ConnectionError("the client closed its connection mid-body")
                conn.send(piece)
                remaining -= len(piece)

    def _stream_chunked(self, conn: http.client.HTTPConnection) -> None:
        """Pass a chunked body on with its framing, byte for byte."""
        while True:
            line = self.rfile.readline(65537)
            conn.send(line)
            size = int(line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while True:  # trailers, then the empty line
                    trailer = self.rfile.readline(65537)
                    conn.send(trailer)
                    if trailer in (b"\r\n", b"\n", b""):
                        return
            remaining = size + 2  # the data and its CRLF
            while remaining > 0:
                piece = self.rfile.read(min(_CHUNK, remaining))
                if not piece:
                    raise ConnectionError("the client closed its connection mid-body")
                conn.send(piece)
                remaining -= len(piece)

    def _start_answer(self, status: int, reason: str, headers: list[tuple[str, str]]) -> None:
        self.send_response_only(status, reason)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()

    def _relay(self, call: Call, response: http.client.HTTPResponse) -> None:
        headers = response.getheaders()
        self._start_answer(response.status, response.reason, headers)
        keep = call.status >= 400
        chunked = response.chunked
        delimited = chunked or response.length is not None
        while True:
            piece = response.read1(_CHUNK) if chunked else response.read(_CHUNK)
            if not piece:
                break
            if keep and len(call.error_head) < ERROR_HEAD:
                call.error_head += piece[: ERROR_HEAD - len(call.error_head)]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")
        if not delimited and self.command != "HEAD" and response.status not in (204, 304):
            self.close_connection = True  # the answer ended with the emulator's connection
        if response.will_close:
            self.close_connection = True

    def _relay_buffered(
        self, call: Call, response: http.client.HTTPResponse, interceptor: Interceptor
    ) -> None:
        answer = Answer(response.status, response.reason, response.getheaders(), response.read())
        replaced = interceptor(call, answer)
        if replaced is not None:
            answer = replaced
            call.status = answer.status
        self._reply(call, answer, close=response.will_close)

    def _reply(self, call: Call, answer: Answer, *, close: bool) -> None:
        """Give the client a whole answer (an emulator's, replaced or made up)."""
        call.error_head = answer.body[:ERROR_HEAD] if answer.status >= 400 else b""
        hop = {"transfer-encoding", "content-length"}
        headers = [(k, v) for k, v in answer.headers if k.lower() not in hop]
        if self.command != "HEAD":
            headers.append(("Content-Length", str(len(answer.body))))
        self._start_answer(answer.status, answer.reason, headers)
        if self.command != "HEAD":
            self.wfile.write(answer.body)
        if close:
            self.close_connection = True

    def _reply_bad_gateway(self) -> None:
        """The emulator did not answer: the client sees a closed connection, as it would
        have without the proxy (so terraform and the tests report an unreachable emulator)."""
        self.close_connection = True


def _dropped(conn: http.client.HTTPConnection) -> bool:
    """Whether a kept-alive connection was closed by the emulator (readable at rest = EOF)."""
    sock = conn.sock
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


_CREDENTIAL = re.compile(r"Credential=[^/,\s]+/\d{8}/[^/]+/([^/]+)/aws4_request")


def signing_service(call: Call) -> str:
    """The service a SigV4 signature names (header, or a presigned URL's X-Amz-Credential)."""
    found = _CREDENTIAL.search(call.headers.get("authorization", ""))
    if found is None and "X-Amz-Credential=" in call.target:
        scope = unquote(call.target.split("X-Amz-Credential=", 1)[1])
        found = _CREDENTIAL.search("Credential=" + scope)
    return found.group(1) if found else ""
