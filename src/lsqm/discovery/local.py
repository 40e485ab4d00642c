"""The ``local`` source: folders on disk (also the default, the bundled examples).

A folder tree is listed with one walk that records, per folder, a digest of the names, sizes
and modification times below it; a second `mine` over an unchanged tree compares digests and
reads no file.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lsqm.content import IGNORED_NAMES
from lsqm.discovery.interface import Snapshot, pick_candidates
from lsqm.errors import SourceError


@dataclass
class TreeListing:
    digests: dict[str, str]
    tf_dirs: dict[str, int]  # folder -> number of .tf files directly in it

    @property
    def tf_files(self) -> int:
        return sum(self.tf_dirs.values())


def scan_tree(root: Path) -> TreeListing:
    """Digest every folder under ``root`` from metadata only (symlinks are not followed)."""
    digests: dict[str, str] = {}
    tf_dirs: dict[str, int] = {}

    def walk(folder: str, rel: str) -> str:
        h = hashlib.blake2b(digest_size=12)
        tf = 0
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            entries = []
        for entry in entries:
            if entry.name in IGNORED_NAMES:
                continue
            if entry.is_symlink():
                h.update(f"L\0{entry.name}\0{os.readlink(entry.path)}\0".encode())
                if entry.name.endswith(".tf"):
                    tf += 1
            elif entry.is_dir(follow_symlinks=False):
                child = entry.name if rel == "." else f"{rel}/{entry.name}"
                h.update(f"D\0{entry.name}\0{walk(entry.path, child)}\0".encode())
            elif entry.is_file(follow_symlinks=False):
                st = entry.stat(follow_symlinks=False)
                h.update(f"F\0{entry.name}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
                if entry.name.endswith(".tf"):
                    tf += 1
        if tf:
            tf_dirs[rel] = tf
        digests[rel] = h.hexdigest()
        return digests[rel]

    walk(str(root), ".")
    return TreeListing(digests, tf_dirs)


def snapshot_of_tree(
    root: Path, *, kind: str, url: str, commit: str | None, globs: list[str], name_prefix: str
) -> Snapshot:
    listing = scan_tree(root)
    return Snapshot(
        kind=kind,
        url=url,
        commit=commit,
        digests=listing.digests,
        candidates=pick_candidates(listing.tf_dirs, globs),
        tf_files=listing.tf_files,
        fetch=lambda: root,
        name_prefix=name_prefix,
    )


@dataclass
class LocalSource:
    name: str
    path: Path
    paths: list[str] = field(default_factory=list)
    kind: str = "local"

    def snapshots(self) -> Iterator[Snapshot | SourceError]:
        root = Path(os.path.abspath(self.path))
        if not root.is_dir():
            raise SourceError(f"source {self.name}: folder {self.path} does not exist")
        yield snapshot_of_tree(
            root, kind=self.kind, url=str(root), commit=None, globs=self.paths,
            name_prefix=root.name,
        )  # fmt: skip
