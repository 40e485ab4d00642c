"""Content hashing that ignores formatting and comments (so a re-indented or re-commented
architecture is the same architecture), without breaking ``http://`` inside strings."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

HCL_SUFFIXES = (".tf", ".tfvars", ".hcl")

# Files and folders that belong to lsqm or to a previous terraform run, never to the content.
IGNORED_NAMES = frozenset(
    {
        ".terraform",
        ".git",
        "architecture.json",
        "terraform.tfstate",
        "terraform.tfstate.backup",
        ".terraform.lock.hcl",
        "__pycache__",
    }
)


def strip_hcl(text: str) -> str:
    """HCL text without comments and with whitespace runs collapsed; strings kept verbatim."""
    out: list[str] = []
    i, n = 0, len(text)
    pending_space = False
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            if pending_space and out:
                out.append(" ")
            pending_space = False
            out.append(text[i : j + 1])
            i = j + 1
        elif c == "#" or text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
            pending_space = True
        elif text.startswith("<<", i) and _heredoc_marker(text, i):
            marker, body_start = _heredoc_marker(text, i)  # type: ignore[misc]
            end = _heredoc_end(text, body_start, marker)
            if pending_space and out:
                out.append(" ")
            pending_space = False
            out.append(text[i:end])
            i = end
        elif c.isspace():
            pending_space = True
            i += 1
        else:
            if pending_space and out:
                out.append(" ")
            pending_space = False
            out.append(c)
            i += 1
    return "".join(out)


def _heredoc_marker(text: str, i: int) -> tuple[str, int] | None:
    j = i + 2
    if j < len(text) and text[j] == "-":
        j += 1
    k = j
    while k < len(text) and (text[k].isalnum() or text[k] == "_"):
        k += 1
    if k == j or k >= len(text) or text[k] not in "\r\n":
        return None
    return text[j:k], k + 1


def _heredoc_end(text: str, start: int, marker: str) -> int:
    pos = start
    while pos < len(text):
        nl = text.find("\n", pos)
        line = text[pos : len(text) if nl < 0 else nl]
        if line.strip() == marker:
            return len(text) if nl < 0 else nl
        if nl < 0:
            return len(text)
        pos = nl + 1
    return len(text)


def content_files(root: Path) -> list[Path]:
    """Files that make up an architecture, sorted, excluding lsqm and terraform leftovers."""
    files = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part in IGNORED_NAMES for part in rel.parts):
            continue
        if path.is_file() and not path.is_symlink():
            files.append(path)
    return files


def content_hash(root: Path, files: Iterable[Path] | None = None) -> str:
    """16 hex chars of SHA-256 over relative paths and normalised contents."""
    digest = hashlib.sha256()
    for path in files if files is not None else content_files(root):
        rel = path.relative_to(root).as_posix()
        data = path.read_bytes()
        if path.suffix in HCL_SUFFIXES:
            data = strip_hcl(data.decode("utf-8", errors="replace")).encode()
        digest.update(rel.encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()[:16]
