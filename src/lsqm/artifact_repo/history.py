"""What enters git history: the store's ``.gitignore`` and logs cut to a size."""

from __future__ import annotations

import os
from pathlib import Path

from lsqm.artifact_repo.git import StoreGit
from lsqm.files import atomic_write_text

IGNORED = (".staging/", "*.full")  # the store's .gitignore: half-built entries, whole logs


def ensure_gitignore(root: Path) -> None:
    """The store's ``.gitignore`` holds :data:`IGNORED` (other lines are kept)."""
    path = root / ".gitignore"
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    missing = [line for line in IGNORED if line not in lines]
    if missing:
        atomic_write_text(path, "\n".join([*lines, *missing]) + "\n")


def cap_logs(git: StoreGit, cap: int) -> list[str]:
    """Cut every new or changed log under ``runs/*/logs/`` bigger than ``cap`` bytes; the
    store-relative paths of those cut."""
    paths = git.lines("ls-files", "-z", "--others", "--modified", "--exclude-standard", "runs")
    capped = []
    for rel in paths:
        parts = rel.split("/")
        path = git.root / rel
        if len(parts) > 3 and parts[2] == "logs" and path.is_file() and path.stat().st_size > cap:
            cap_log(path, cap)
            capped.append(rel)
    return capped


def cap_log(path: Path, cap: int) -> None:
    """Keep a log's first quarter and last three quarters of ``cap`` bytes (whole lines) and
    say in between what was cut; the whole log moves to ``<name>.full``."""
    data = path.read_bytes()
    head_end = data.rfind(b"\n", 0, cap // 4) + 1
    tail_start = len(data) - (cap - cap // 4 - 512)
    tail_start = data.find(b"\n", tail_start) + 1 or tail_start
    middle = data[head_end:tail_start]
    lines = middle.count(b"\n")
    errors = sum(1 for line in middle.splitlines() if b"error" in line.lower())
    note = (
        f"\n[lsqm: {len(middle):,} bytes ({lines:,} lines, {errors:,} of them mentioning an "
        f"error) cut here to keep git history small; the whole log is {path.name}.full beside "
        "this file on the machine that ran it]\n\n"
    ).encode()
    full = path.with_name(path.name + ".full")
    os.replace(path, full)
    atomic_write_text(path, (data[:head_end] + note + data[tail_start:]).decode("utf-8", "replace"))
