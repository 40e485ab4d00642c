"""The shapes every discovery source shares: reasons, snapshots of a repository, sources.

A *source* (local folder, git URL, GitHub repos/orgs, Terraform Registry) yields
*snapshots*: one repository (or folder tree) at one state, listed cheaply (folder digests, the
folders holding ``.tf`` files) before anything is downloaded. Each snapshot names its
*candidates* (root-module folders). Only when a candidate is new or changed does the miner
call :meth:`Snapshot.root`, which downloads or checks out the content.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from lsqm.errors import SourceError


class Code(StrEnum):
    """Why a candidate was rejected. A fixed vocabulary: add codes, never reuse one."""

    NO_AWS_RESOURCES = "no_aws_resources"
    REQUIRED_VARIABLE = "required_variable"
    REMOTE_MODULE = "remote_module"
    REMOTE_STATE = "remote_state"
    REMOTE_BACKEND = "remote_backend"  # a backend other than local needs outside state storage
    MISSING_FILE = "missing_file"
    PROVIDER_NOT_ALLOWED = "provider_not_allowed"
    EXEC_NOT_ALLOWED = "exec_not_allowed"
    SERVICE_NOT_SUPPORTED = "service_not_supported"
    PARSE_ERROR = "parse_error"
    BINARY_FILE = "binary_file"  # a .tf/.tfvars file that is not UTF-8 text
    TOO_LARGE = "too_large"
    PATH_ESCAPE = "path_escape"


@dataclass(frozen=True)
class Reason:
    code: Code
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"code": str(self.code), "detail": self.detail}


Fetch = Callable[[], Path]


@dataclass
class Snapshot:
    """One repository (or folder tree) at one state, listed but not necessarily downloaded.

    ``digests`` maps a folder (posix path relative to the repository root, ``"."`` for the
    root) to a digest of everything below it, so an unchanged folder is recognised without
    reading it (git tree SHAs for GitHub; sizes and mtimes for folders on disk).
    """

    kind: str
    url: str
    commit: str | None
    digests: dict[str, str]
    candidates: list[str]
    tf_files: int
    fetch: Fetch
    name_prefix: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    default_digest: str | None = None  # for folders not in ``digests`` (immutable versions)
    _root: Path | None = None
    _error: SourceError | None = None

    @property
    def fetched(self) -> bool:
        return self._root is not None

    def digest(self, folder: str) -> str | None:
        return self.digests.get(folder, self.default_digest)

    def root(self) -> Path:
        """The repository on disk, fetched on first use (a failure is remembered)."""
        if self._error is not None:
            raise self._error
        if self._root is None:
            try:
                self._root = self.fetch()
            except SourceError as exc:
                self._error = exc
                raise
        return self._root


class Source(Protocol):
    name: str
    kind: str

    def snapshots(self) -> Iterator[Snapshot | SourceError]:
        """Snapshots in order; a failure confined to one repository or module comes back as
        a value (the rest goes on), a failure of the whole source is raised."""
        ...


# Folders that hold modules used by others, not deployable roots.
_MODULE_PARTS = frozenset({"modules", ".terraform", ".git", "node_modules"})


def pick_candidates(tf_dirs: Iterable[str], globs: Iterable[str] = ()) -> list[str]:
    """Root-module folders among folders holding ``.tf`` files: not under a ``modules/``
    folder, and matching one of ``globs`` (all when none are given)."""
    patterns = list(globs)
    picked = []
    for folder in sorted(set(tf_dirs)):
        parts = [] if folder == "." else folder.split("/")
        if any(p in _MODULE_PARTS for p in parts):
            continue
        if patterns and not any(fnmatch.fnmatchcase(folder, g) for g in patterns):
            continue
        picked.append(folder)
    return picked


def registry_candidates(tf_dirs: Iterable[str]) -> list[str]:
    """A registry module's candidates: its root and each ``examples/*`` folder."""
    dirs = set(tf_dirs)
    examples = sorted(d for d in dirs if d.startswith("examples/") and d.count("/") == 1)
    return (["."] if "." in dirs else []) + examples
