"""Where the store lives: ``ARTIFACT_REPO`` (or the setting) as a git remote."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from lsqm.config import Settings
from lsqm.errors import UsageError

_OWNER_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_SCP_LIKE = re.compile(r"^[\w.-]+@[\w.-]+:")


@dataclass(frozen=True)
class Remote:
    """Where the store lives. ``url`` is what git is given: it never carries credentials."""

    url: str
    uses_token: bool  # http(s): git may ask for a user name and password

    def __str__(self) -> str:
        return self.url


def resolve_remote(value: str, github_url: str = "https://github.com") -> tuple[Remote, str | None]:
    """The remote ``value`` names (a URL, a path, or owner/name on GitHub), and a password
    found inside the URL (taken out: git would write it to ``.git/config``)."""
    value = value.strip()
    if "://" in value:
        parts = urlsplit(value)
        embedded = parts.password
        if embedded is not None:
            host = parts.hostname or ""
            netloc = f"{parts.username}@{host}" if parts.username else host
            netloc += f":{parts.port}" if parts.port else ""
            value = urlunsplit(parts._replace(netloc=netloc))
        return Remote(value, parts.scheme in ("http", "https")), embedded
    if _SCP_LIKE.match(value):
        return Remote(value, False), None
    path = Path(value).expanduser()
    if path.exists() or value.startswith((".", "/", "~")):
        return Remote(str(path.resolve()), False), None
    if _OWNER_NAME.match(value):
        name = value.removesuffix(".git")
        return Remote(f"{github_url.rstrip('/')}/{name}.git", True), None
    raise UsageError(
        f"artifact repository {value!r} is not a URL, an existing path or owner/name on GitHub"
    )


def configured_remote(settings: Settings) -> Remote | None:
    """The configured remote, or None for a local store."""
    if not settings.artifact_repo:
        return None
    return resolve_remote(settings.artifact_repo, settings.github_url)[0]


def same_remote(a: str, b: str) -> bool:
    def norm(url: str) -> str:
        if "://" in url:
            parts = urlsplit(url)
            url = urlunsplit(parts._replace(netloc=parts.hostname or "", scheme=parts.scheme))
        return url.rstrip("/").removesuffix(".git")

    return norm(a) == norm(b)
