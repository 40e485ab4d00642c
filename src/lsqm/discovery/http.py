"""A polite JSON-over-HTTP client for the GitHub and Terraform Registry APIs.

- Conditional requests: every JSON answer is cached on disk with its ETag; the next run sends
  ``If-None-Match`` and a ``304`` (free against GitHub's budget) returns the cached body.
- Rate limits: ``X-RateLimit-Remaining``/``-Reset`` (primary) and ``Retry-After`` or a 403/429
  without it (secondary) are waited out when the wait fits ``max_wait``; otherwise
  :class:`RateLimitExhausted` says when the budget returns, and the caller keeps what it found.
- 5xx and transport errors are retried with exponential backoff.
httpx errors never leave this module: they become :class:`SourceError`.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import httpx

from lsqm.errors import RateLimitExhausted, SourceError
from lsqm.files import atomic_write_json
from lsqm.messages import Say, quiet

SECONDARY_DEFAULT_WAIT_S = 60.0


def _lsqm_version() -> str:
    try:
        return version("lsqm")
    except PackageNotFoundError:
        return "dev"


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]
    from_cache: bool = False

    def next_url(self) -> str | None:
        """The ``rel="next"`` target of a ``Link`` header (GitHub pagination)."""
        for part in self.headers.get("link", "").split(","):
            section = part.split(";")
            if len(section) >= 2 and any(s.strip() == 'rel="next"' for s in section[1:]):
                return section[0].strip().strip("<>")
        return None


@dataclass
class HttpStats:
    requests: int = 0
    not_modified: int = 0
    retries: int = 0
    waited_s: float = 0.0
    downloads: int = 0


@dataclass
class ApiClient:
    base_url: str
    cache_dir: Path
    token: str | None = None
    retries: int = 4
    backoff_s: float = 1.0
    max_wait_s: float = 120.0
    timeout_s: float = 30.0
    headers: dict[str, str] = field(default_factory=dict)
    label: str = "API"
    sleep: Callable[[float], None] = time.sleep
    say: Say = quiet
    stats: HttpStats = field(default_factory=HttpStats)
    _client: httpx.Client | None = None

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            headers = {"User-Agent": f"lsqm/{_lsqm_version()}", **self.headers}
            if self.token:
                headers["Authorization"] = f"Bearer {self.token}"
            self._client = httpx.Client(
                headers=headers, timeout=self.timeout_s, follow_redirects=True
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        return self.base_url.rstrip("/") + "/" + path_or_url.lstrip("/")

    # -- JSON with ETags -----------------------------------------------------------------
    def get_json(self, path_or_url: str, params: dict[str, Any] | None = None) -> Reply:
        url = self.url(path_or_url)
        if params:  # httpx.URL(url, params=...) replaces a query the URL already has
            url = str(httpx.URL(url).copy_merge_params(params))
        cached = self._cache_read(url)
        extra = {"If-None-Match": cached["etag"]} if cached and cached.get("etag") else {}
        response = self._send("GET", url, extra)
        if response.status_code == 304 and cached:
            self.stats.not_modified += 1
            return Reply(304, cached["body"], cached.get("headers", {}), from_cache=True)
        if response.status_code == 404:
            raise SourceError(f"{self.label}: {_redact_url(url)} was not found (404)")
        if response.status_code >= 400:
            raise SourceError(
                f"{self.label}: {_redact_url(url)} answered {response.status_code}: "
                + response.text[:200]
            )
        try:
            body = response.json()
        except ValueError:
            raise SourceError(f"{self.label}: {_redact_url(url)} did not answer JSON") from None
        keep = {k: v for k, v in response.headers.items() if k.lower() in ("link",)}
        if response.headers.get("etag"):
            self._cache_write(url, response.headers["etag"], body, keep)
        return Reply(response.status_code, body, {k.lower(): v for k, v in keep.items()})

    def paginate(self, path: str, params: dict[str, Any] | None = None) -> Iterator[Any]:
        """Each page's body, following ``Link: <...>; rel="next"``."""
        reply = self.get_json(path, params)
        yield reply.body
        seen = {self.url(path)}
        while (nxt := reply.next_url()) and nxt not in seen:
            seen.add(nxt)
            reply = self.get_json(nxt)
            yield reply.body

    def head_or_get(self, path_or_url: str) -> httpx.Response:
        """A plain GET without caching (the Registry's download endpoint answers 204)."""
        response = self._send("GET", self.url(path_or_url), {})
        if response.status_code >= 400:
            raise SourceError(
                f"{self.label}: {_redact_url(str(response.url))} answered {response.status_code}"
            )
        return response

    # -- downloads -----------------------------------------------------------------------
    def download(self, path_or_url: str, dest: Path, max_bytes: int) -> None:
        """Stream a file to ``dest`` (atomically), refusing more than ``max_bytes``."""
        url = self.url(path_or_url)
        dest.parent.mkdir(parents=True, exist_ok=True)
        for attempt in range(self.retries + 1):
            fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".dl-")
            try:
                with os.fdopen(fd, "wb") as out, self.client.stream("GET", url) as response:
                    self.stats.requests += 1
                    if response.status_code >= 500 and attempt < self.retries:
                        self._backoff(attempt)
                        continue
                    if response.status_code >= 400:
                        raise SourceError(
                            f"{self.label}: download {_redact_url(url)} answered "
                            f"{response.status_code}"
                        )
                    size = 0
                    for chunk in response.iter_bytes():
                        size += len(chunk)
                        if size > max_bytes:
                            raise SourceError(
                                f"{self.label}: {_redact_url(url)} is larger than {max_bytes} bytes"
                            )
                        out.write(chunk)
                os.replace(tmp, dest)
                self.stats.downloads += 1
                return
            except httpx.HTTPError as exc:
                if attempt >= self.retries:
                    raise SourceError(f"{self.label}: download failed: {exc}") from None
                self._backoff(attempt)
            finally:
                Path(tmp).unlink(missing_ok=True)
        raise SourceError(f"{self.label}: download of {_redact_url(url)} kept failing")

    # -- the retry loop ------------------------------------------------------------------
    def _send(self, method: str, url: str, extra: dict[str, str]) -> httpx.Response:
        attempt = 0
        waits = 0
        while True:
            try:
                self.stats.requests += 1
                response = self.client.request(method, url, headers=extra)
            except httpx.HTTPError as exc:
                if attempt >= self.retries:
                    raise SourceError(f"{self.label}: {_redact_url(url)}: {exc}") from None
                self._backoff(attempt)
                attempt += 1
                continue
            if response.status_code >= 500:
                if attempt >= self.retries:
                    raise SourceError(
                        f"{self.label}: {_redact_url(url)} answered {response.status_code} "
                        f"{self.retries + 1} times; try again later"
                    )
                self._backoff(attempt)
                attempt += 1
                continue
            wait = self._rate_limit_wait(response)
            if wait is None:
                return response
            waits += 1
            if wait > self.max_wait_s or waits > 5:
                reset = datetime.fromtimestamp(time.time() + wait, UTC).strftime("%H:%M:%S UTC")
                raise RateLimitExhausted(
                    f"{self.label} rate limit reached; the budget returns at {reset} "
                    f"(in {wait:.0f}s, more than the {self.max_wait_s:.0f}s allowed to wait)"
                    + ("" if self.token else "; a token raises the budget")
                )
            self.say(f"{self.label} rate limit: waiting {wait:.0f}s")
            self.stats.waited_s += wait
            self.sleep(wait)

    def _rate_limit_wait(self, response: httpx.Response) -> float | None:
        """Seconds to wait before retrying, when ``response`` is a rate-limit refusal."""
        if response.status_code not in (403, 429):
            return None
        headers = response.headers
        retry_after = headers.get("retry-after")
        if retry_after is not None:
            try:
                return max(float(retry_after), 0.0)
            except ValueError:
                return SECONDARY_DEFAULT_WAIT_S
        if headers.get("x-ratelimit-remaining") == "0":
            try:
                reset = float(headers.get("x-ratelimit-reset", "0"))
            except ValueError:
                reset = 0.0
            return max(reset - time.time(), 0.0) + 1.0
        text = response.text.lower()
        if response.status_code == 429 or "rate limit" in text:
            return SECONDARY_DEFAULT_WAIT_S
        return None  # a real 403 (forbidden): the caller reports it

    def _backoff(self, attempt: int) -> None:
        delay = self.backoff_s * (2**attempt)
        self.stats.retries += 1
        self.stats.waited_s += delay
        self.sleep(delay)

    # -- the ETag cache ------------------------------------------------------------------
    def _cache_path(self, url: str) -> Path:
        return self.cache_dir / (hashlib.sha256(url.encode()).hexdigest()[:32] + ".json")

    def _cache_read(self, url: str) -> dict[str, Any] | None:
        path = self._cache_path(url)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and data.get("url") == url else None

    def _cache_write(self, url: str, etag: str, body: Any, headers: dict[str, str]) -> None:
        lowered = {k.lower(): v for k, v in headers.items()}
        atomic_write_json(
            self._cache_path(url), {"url": url, "etag": etag, "body": body, "headers": lowered}
        )


def _redact_url(url: str) -> str:
    """URLs carry no secrets here (tokens travel in headers), but strip userinfo anyway."""
    parsed = httpx.URL(url)
    return str(parsed.copy_with(userinfo=b"")) if parsed.userinfo else url
