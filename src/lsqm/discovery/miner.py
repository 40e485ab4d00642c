"""`mine`: walk the sources, decide each candidate, store what is kept, remember everything.

Order of work per candidate, cheapest first: seen already in this run (same URL and folder)?
unchanged since a previous decision (ledger fingerprint)? Only then fetch, parse and decide;
an accepted candidate is staged (its folder plus the local modules it calls, relative layout
kept) and stored under its content hash, which also catches the same content found twice.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsqm.content import content_hash
from lsqm.discovery.dedup import Ledger
from lsqm.discovery.filter import Decision, Policy, evaluate
from lsqm.discovery.interface import Code, Reason, Snapshot, Source
from lsqm.errors import RateLimitExhausted, SourceError, UnsafeArchive
from lsqm.records import ArchitectureRecord
from lsqm.records import Source as SourceRecord
from lsqm.store import ArtifactStore


@dataclass
class SourceCounts:
    candidates: int = 0
    accepted: int = 0
    rejected: int = 0


@dataclass
class Summary:
    """What one `mine` did; ``to_json`` is the ``--format json`` output."""

    candidates_seen: int = 0
    accepted: int = 0  # newly stored architectures
    unchanged_accepted: int = 0  # accepted before, unchanged, not looked at again
    duplicates: int = 0  # same folder twice in this run, or content already stored
    rejected: int = 0  # decided (or remembered) as rejected
    rejected_remembered: int = 0  # ... of which unchanged since a previous run
    by_reason: Counter[str] = field(default_factory=Counter)
    tf_files_parsed: int = 0
    snapshots: int = 0
    fetched: int = 0
    new_hashes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    budget_exhausted: bool = False
    limit_reached: bool = False
    elapsed_s: float = 0.0
    per_source: dict[str, SourceCounts] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "candidates_seen": self.candidates_seen,
            "accepted": self.accepted,
            "unchanged_accepted": self.unchanged_accepted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "rejected_remembered": self.rejected_remembered,
            "rejected_by_reason": dict(sorted(self.by_reason.items())),
            "tf_files_parsed": self.tf_files_parsed,
            "repositories": self.snapshots,
            "fetched": self.fetched,
            "new_architectures": self.new_hashes,
            "errors": self.errors,
            "budget_exhausted": self.budget_exhausted,
            "limit_reached": self.limit_reached,
            "elapsed_s": round(self.elapsed_s, 3),
            "sources": {k: vars(v) for k, v in self.per_source.items()},
        }


Progress = Callable[[str, Summary], None]


@dataclass
class Miner:
    store: ArtifactStore
    policy: Policy
    limit: int | None = None
    dry_run: bool = False
    progress: Progress = lambda _msg, _summary: None
    summary: Summary = field(default_factory=Summary)

    def __post_init__(self) -> None:
        self.ledger = Ledger(self.store, self.policy.fingerprint())
        self._seen: set[str] = set()

    def run(self, sources: Iterable[Source]) -> Summary:
        start = time.monotonic()
        try:
            for source in sources:
                if self._limit_hit():
                    break
                self._mine_source(source)
        finally:
            if not self.dry_run:
                self.ledger.save()
            self.summary.elapsed_s = time.monotonic() - start
        return self.summary

    def _limit_hit(self) -> bool:
        hit = self.limit is not None and self.summary.accepted >= self.limit
        self.summary.limit_reached = self.summary.limit_reached or hit
        return hit

    def _mine_source(self, source: Source) -> None:
        counts = self.summary.per_source.setdefault(source.name, SourceCounts())
        self.progress(f"source {source.name} ({source.kind})", self.summary)
        try:
            for item in source.snapshots():
                if isinstance(item, SourceError):
                    self._error(source, item)
                    continue
                self.summary.snapshots += 1
                for folder in item.candidates:
                    if self._limit_hit():
                        return
                    self._candidate(source, item, folder, counts)
                if not self.dry_run:
                    self.ledger.save()  # keep decisions even if a later repository fails
        except RateLimitExhausted as exc:
            self.summary.budget_exhausted = True
            self._error(source, exc, "; what was found so far is kept")
        except SourceError as exc:
            self._error(source, exc)

    def _error(self, source: Source, exc: SourceError, suffix: str = "") -> None:
        message = f"{source.name}: {exc}{suffix}"
        self.summary.errors.append(message)
        self.progress(f"error: {message}", self.summary)

    def _candidate(self, source: Source, snap: Snapshot, folder: str, counts: SourceCounts) -> None:
        s = self.summary
        key = f"{snap.url}#{folder}"
        if key in self._seen:
            s.duplicates += 1
            return
        self._seen.add(key)
        s.candidates_seen += 1
        counts.candidates += 1
        entry = self.ledger.unchanged(snap, folder)
        if entry is not None:
            if entry.accepted:
                s.unchanged_accepted += 1
            else:
                s.rejected += 1
                s.rejected_remembered += 1
                counts.rejected += 1
                s.by_reason.update({r["code"] for r in entry.reasons})
            return
        try:
            fetched_before = snap.fetched
            root = snap.root()
            s.fetched += 0 if fetched_before else 1
        except UnsafeArchive as exc:
            self._reject(snap, folder, [Reason(Code.PATH_ESCAPE, str(exc))], None, [], counts)
            return
        except SourceError as exc:
            self._error(source, exc)
            return
        decision = evaluate(root / folder if folder != "." else root, root, self.policy)
        s.tf_files_parsed += decision.tf_files
        deps = [decision.rel(m) for m in decision.module_dirs]
        if not decision.accepted:
            digest = content_digest(decision)
            self._reject(snap, folder, decision.reasons, digest, deps, counts)
            return
        self._accept(source, snap, folder, decision, deps, counts)

    def _reject(
        self,
        snap: Snapshot,
        folder: str,
        reasons: list[Reason],
        digest: str | None,
        deps: list[str],
        counts: SourceCounts,
    ) -> None:
        self.summary.rejected += 1
        counts.rejected += 1
        self.summary.by_reason.update({str(r.code) for r in reasons})
        self.ledger.record(
            snap, folder, accepted=False, content_hash=None, content_digest=digest,
            reasons=[r.to_json() for r in reasons], deps=deps,
        )  # fmt: skip
        codes = ", ".join(sorted({str(r.code) for r in reasons}))
        self.progress(f"rejected {snap.name_prefix}/{folder}: {codes}", self.summary)

    def _accept(
        self,
        source: Source,
        snap: Snapshot,
        folder: str,
        decision: Decision,
        deps: list[str],
        counts: SourceCounts,
    ) -> None:
        staging_parent = self.store.root / ".staging"
        staging_parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=staging_parent, prefix="mine-"))
        try:
            entry_dir = stage(decision, staging)
            if self.dry_run:
                arch_hash = content_hash(staging)
                new = arch_hash not in self.ledger.stored
            else:
                meta = _metadata(source, snap, folder, decision, entry_dir)
                arch_hash = self.store.add_architecture(staging, meta)  # no-op when stored
                new = arch_hash not in self.ledger.stored
                self.ledger.stored.add(arch_hash)
            if not new:
                self.summary.duplicates += 1
                self.progress(f"duplicate {snap.name_prefix}/{folder} = {arch_hash}", self.summary)
            else:
                self.summary.accepted += 1
                counts.accepted += 1
                if not self.dry_run:
                    self.summary.new_hashes.append(arch_hash)
                verb = "would accept" if self.dry_run else "accepted"
                self.progress(f"{verb} {snap.name_prefix}/{folder} -> {arch_hash}", self.summary)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        self.ledger.record(
            snap, folder, accepted=True, content_hash=arch_hash, reasons=[], deps=deps
        )


def _base(decision: Decision) -> Path:
    """The folder that holds the candidate, every local module it calls and every file kept."""
    parents = {p.parent for p in decision.files}
    return Path(os.path.commonpath([decision.folder, *decision.module_dirs, *parents]))


def stage(decision: Decision, dest: Path) -> str:
    """Copy a kept candidate into ``dest`` with its modules, relative layout kept; return the
    root module's folder inside ``dest`` (``"."`` unless modules live above it)."""
    base = _base(decision)
    for logical, real in decision.files.items():
        target = dest / logical.relative_to(base)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(real, target)  # staging is read once by the store's own copy, then removed
        except OSError:
            shutil.copyfile(real, target)
    return decision.folder.relative_to(base).as_posix() or "."


def content_digest(decision: Decision) -> str | None:
    """A digest of the exact bytes of a rejected candidate's readable files (not normalised:
    cheap, and a reformatted rejected candidate decided again costs nothing but time)."""
    if not decision.files:
        return None
    base = _base(decision)
    digest = hashlib.sha256()
    try:
        for logical in sorted(decision.files):
            data = decision.files[logical].read_bytes()
            rel = logical.relative_to(base).as_posix()
            digest.update(rel.encode() + b"\0" + hashlib.sha256(data).digest())
    except OSError:
        return None
    return digest.hexdigest()[:16]


def _metadata(
    source: Source, snap: Snapshot, folder: str, decision: Decision, entry_dir: str
) -> ArchitectureRecord:
    inv = decision.inventory
    return ArchitectureRecord(
        name=snap.name_prefix if folder == "." else f"{snap.name_prefix}/{folder}",
        source=SourceRecord(
            kind=snap.kind, name=source.name, url=snap.url, path=folder, commit=snap.commit
        ),
        root=entry_dir,
        services=inv.services,
        unsupported_services=sorted(decision.unsupported),  # outside the emulator's list
        resource_types=inv.resource_types,
        data_types=inv.data_types,
        providers=inv.providers,
        local_modules=[decision.rel(m) for m in decision.module_dirs],
        origin=dict(snap.extra),
    )
