"""Name a recorded call's service and operation as botocore names them, and its error code.

The service comes from the SigV4 credential scope (a signing name such as ``apigateway``
may stand for several botocore services); the operation from ``X-Amz-Target`` (JSON
protocols), ``Action=`` (query protocols, in the form body or the query string), or for REST
protocols from the method and path (and query markers such as ``?policy``) matched against
the services' request URIs, S3 path-style and virtual-host style alike.

botocore's 400-odd models take seconds to read, so what naming needs of them is read once per
botocore version into a small index file in lsqm's cache, and loaded lazily.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from lsqm.files import atomic_write_text, read_json
from lsqm.trace.proxy import Call, signing_service

_REST = ("rest-json", "rest-xml")
_QUERY = ("query", "ec2")
_ACTION = re.compile(rb"(?:^|&)Action=([A-Za-z0-9]+)")
_VERSION = re.compile(rb"(?:^|&)Version=([0-9-]+)")
_XML_CODE = re.compile(rb"<Code>([^<]+)</Code>")
_IP = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
# Invoking a deployed REST or HTTP API: LocalStack's path forms and the API's own host name
# (AWS's and LocalStack's); such calls are unsigned (or signed for execute-api) and match
# no botocore model, so they are named here: ``execute-api`` ``Invoke``.
_INVOKE_PATH = re.compile(
    r"^/(?:_aws/execute-api/[^/]+/|restapis/[^/]+/[^/]+/_user_request_(?:/|$))"
)
_INVOKE_HOST = re.compile(r"^[a-z0-9]+\.execute-api\.")
_S3_HOST = re.compile(
    r"^(?P<bucket>.+?)\.(?:s3[.-][\w.-]*amazonaws\.com|s3\.amazonaws\.com|"
    r"s3\.localhost\.localstack\.cloud|localhost\.localstack\.cloud|localhost)$"
)


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    markers: tuple[tuple[str, str | None], ...]  # query keys (and values) the URI requires
    literal: int  # characters of the URI that are not placeholders: more is more specific
    operation: str
    headers: tuple[str, ...]  # headers the operation requires (CopyObject: x-amz-copy-source)

    def score(
        self, method: str, path: str, query: dict[str, str], headers: frozenset[str]
    ) -> int | None:
        if method != self.method or not self.pattern.fullmatch(path):
            return None
        for key, value in self.markers:
            if key == "x-id" and key not in query:  # a hint some SDKs send, others not
                continue
            if key not in query or (value is not None and query[key] != value):
                return None
        if any(h not in headers for h in self.headers):
            return None
        return (len(self.markers) + len(self.headers)) * 1000 + self.literal


def _route(method: str, uri: str, operation: str, headers: list[str]) -> _Route:
    path, _, query = uri.partition("?")
    pattern, literal = "", 0
    for part in re.split(r"(\{[^}]+\})", path):
        if part.startswith("{"):
            pattern += ".+" if part.endswith("+}") else "[^/]+"
        else:
            pattern += re.escape(part)
            literal += len(part)
    if path.endswith("/") and len(path) > 1:
        pattern += "?"
    markers = tuple(
        (k, v or None) for k, v in (p.partition("=")[::2] for p in query.split("&") if p)
    )
    return _Route(method, re.compile(pattern), markers, literal, operation, tuple(headers))


class OperationNames:
    """Names calls; thread-safe. ``cache`` is where the index of botocore's models is kept."""

    def __init__(self, cache: Path | None = None) -> None:
        self.cache = cache
        self._index: dict[str, Any] | None = None
        self._lock = threading.Lock()
        self._compiled: dict[str, tuple[_Route, ...]] = {}

    def index(self) -> dict[str, Any]:
        with self._lock:
            if self._index is None:
                self._index = _load_index(self.cache)
            return self._index

    def name(self, call: Call) -> tuple[str, str]:
        """``(service, operation)``; ``""`` for what cannot be told."""
        index = self.index()
        signing = signing_service(call)
        if invocation(call):
            return "execute-api", "Invoke"
        candidates: list[str] = index["by_signing"].get(signing, [signing] if signing else [])
        target = call.headers.get("x-amz-target", "")
        if target:
            prefix, _, operation = target.rpartition(".")
            service = index["by_target"].get(prefix) or (candidates[0] if candidates else "")
            return service, operation
        split = urlsplit(call.target)
        action = _ACTION.search(call.body_head) or _ACTION.search(split.query.encode())
        if action:
            return self._query_service(candidates, call, split.query), action.group(1).decode()
        return self._rest(candidates, call, split.path, split.query)

    def _query_service(self, candidates: list[str], call: Call, query: str) -> str:
        if len(candidates) <= 1:
            return candidates[0] if candidates else ""
        version = _VERSION.search(call.body_head) or _VERSION.search(query.encode())
        services = self.index()["services"]
        for name in candidates:
            model = services.get(name, {})
            if model.get("protocol") in _QUERY and (
                version is None or model.get("api_version") == version.group(1).decode()
            ):
                return name
        return candidates[0]

    def _rest(self, candidates: list[str], call: Call, path: str, query: str) -> tuple[str, str]:
        if "s3" in candidates:
            host = call.host.rsplit(":", 1)[0] if not call.host.startswith("[") else ""
            virtual = _S3_HOST.match(host) if host and not _IP.match(host) else None
            if virtual and virtual.group("bucket") != "s3":
                path = "/" + virtual.group("bucket") + (path if path != "/" else "")
        params = dict(parse_qsl(query, keep_blank_values=True))
        headers = frozenset(call.header_names)
        best: tuple[int, str, str] | None = None
        for service in candidates:
            for route in self._routes(service):
                score = route.score(call.method, path, params, headers)
                if score is not None and (best is None or score > best[0]):
                    best = (score, service, route.operation)
        if best is not None:
            return best[1], best[2]
        return (candidates[0] if candidates else ""), ""

    def _routes(self, service: str) -> tuple[_Route, ...]:
        routes = self._compiled.get(service)
        if routes is None:
            model = self.index()["services"].get(service, {})
            routes = tuple(_route(*route) for route in model.get("routes", []))
            self._compiled[service] = routes
        return routes


def invocation(call: Call) -> bool:
    """Whether the call invokes a deployed API (through a stage) rather than AWS's API."""
    host = call.host.lower()
    return bool(_INVOKE_HOST.match(host) or _INVOKE_PATH.match(urlsplit(call.target).path))


def error_code(call: Call) -> str | None:
    """The AWS error code of an error answer: ``x-amzn-ErrorType``, JSON ``__type``/``code``,
    or XML ``<Code>``; None when there is none."""
    if call.status < 400:
        return None
    header = call.answer_headers.get("x-amzn-errortype")
    if header:
        return _bare_code(header)
    head = call.error_head.lstrip()
    if head.startswith(b"{"):
        found = re.search(rb'"(?:__type|code|Code)"\s*:\s*"([^"]+)"', head)
        if found:
            return _bare_code(found.group(1).decode("utf-8", errors="replace"))
    found = _XML_CODE.search(head)
    if found:
        return found.group(1).decode("utf-8", errors="replace").strip()
    return None


def _bare_code(text: str) -> str:
    """``com.amazonaws.sqs#QueueDoesNotExist`` or ``Code:http://...`` -> the code alone."""
    return text.split(":", 1)[0].rsplit("#", 1)[-1].strip()


def _load_index(cache: Path | None) -> dict[str, Any]:
    import botocore

    path = cache / f"botocore-{botocore.__version__}.json" if cache else None
    if path is not None and path.is_file():
        try:
            found = read_json(path)
        except (OSError, ValueError):
            found = None
        if isinstance(found, dict) and found.get("version") == botocore.__version__:
            return found
    index = build_index()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(index, separators=(",", ":")))
    return index


def build_index() -> dict[str, Any]:
    """What naming needs of every botocore service model (read once: a few seconds)."""
    import botocore
    from botocore.loaders import Loader

    loader = Loader()
    by_signing: dict[str, list[str]] = {}
    by_target: dict[str, str] = {}
    services: dict[str, Any] = {}
    for name in sorted(loader.list_available_services("service-2")):
        model = loader.load_service_model(name, "service-2")
        meta = model.get("metadata", {})
        signing = meta.get("signingName") or meta.get("endpointPrefix") or name
        protocol = meta.get("protocol", "")
        # The service named as its signer first: "apigateway" before "apigatewayv2".
        by_signing.setdefault(signing, []).append(name)
        if meta.get("targetPrefix"):
            by_target.setdefault(meta["targetPrefix"], name)
        entry: dict[str, Any] = {"protocol": protocol, "api_version": meta.get("apiVersion")}
        if protocol in _REST:
            shapes = model.get("shapes", {})
            entry["routes"] = [
                [spec["http"]["method"], spec["http"]["requestUri"], op,
                 _required_headers(shapes, spec.get("input", {}).get("shape"))]
                for op, spec in model.get("operations", {}).items()
                if "http" in spec
            ]  # fmt: skip
        services[name] = entry
    for signing, names in by_signing.items():
        names.sort(key=lambda n: (n != signing, n))
    return {
        "version": botocore.__version__,
        "by_signing": by_signing,
        "by_target": by_target,
        "services": services,
    }


def _required_headers(shapes: dict[str, Any], name: str | None) -> list[str]:
    """The headers an operation's input requires (lower-case)."""
    shape = shapes.get(name or "", {})
    members = shape.get("members", {})
    return sorted(
        str(members[m]["locationName"]).lower()
        for m in shape.get("required", [])
        if m in members and members[m].get("location") == "header"
    )
