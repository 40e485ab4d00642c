"""What changed between two runs, architecture by architecture.

Every architecture in either run lands in exactly one bucket, checked in this order:

    added / removed   in only one of the runs
    unchanged         same status, category and signature
    flaky             a flip where either side was flaky (``validate --rerun-failures`` saw
                      its verdict change): never a regression
    environment       either side is ``environment``: says nothing about the emulator
    regressions       PASSED -> not PASSED, and the new category blames the emulator
    fixes             not PASSED -> PASSED, and the old category blamed the emulator
    not_emulator      to or from PASSED for a reason that is not the emulator (harness,
                      configuration, no tests): worth a look, neither a regression nor a fix
    changed           not PASSED on both sides, with another status, category or signature

Two runs on different LocalStack versions compare exactly like two runs in time; the
comparison says which version each ran and whether the head is an upgrade.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lsqm.records import Category, ResultRow, Status
from lsqm.reporting.history import RunView
from lsqm.versions import version_key

BUCKETS = ("regressions", "fixes", "flaky", "environment", "not_emulator", "changed")


def _blames(row: ResultRow) -> bool:
    return row.category is not None and row.category.blames_emulator


@dataclass(frozen=True)
class Change:
    arch_hash: str
    base: ResultRow
    head: ResultRow

    @property
    def name(self) -> str:
        return self.head.name or self.base.name or self.arch_hash

    def to_json(self) -> dict[str, Any]:
        return {
            "arch_hash": self.arch_hash,
            "name": self.name,
            "base": verdict_json(self.base),
            "head": verdict_json(self.head),
        }


@dataclass(frozen=True)
class Entry:
    """An architecture that is in one of the two runs only."""

    arch_hash: str
    row: ResultRow

    @property
    def name(self) -> str:
        return self.row.name or self.arch_hash

    def to_json(self) -> dict[str, Any]:
        return {"arch_hash": self.arch_hash, "name": self.name, **verdict_json(self.row)}


def verdict_json(row: ResultRow) -> dict[str, Any]:
    return {
        "status": row.status.value,
        "category": row.category.value if row.category else None,
        "signature": row.signature,
        "flaky": row.flaky,
    }


@dataclass
class Comparison:
    base: RunView
    head: RunView
    regressions: list[Change] = field(default_factory=list)
    fixes: list[Change] = field(default_factory=list)
    flaky: list[Change] = field(default_factory=list)
    environment: list[Change] = field(default_factory=list)
    not_emulator: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    added: list[Entry] = field(default_factory=list)
    removed: list[Entry] = field(default_factory=list)
    unchanged: int = 0

    def bucket(self, name: str) -> list[Change]:
        if name not in BUCKETS:
            raise KeyError(name)
        bucket: list[Change] = getattr(self, name)
        return bucket

    @property
    def version_change(self) -> tuple[str, str, str] | None:
        """(base version, head version, "upgrade" | "downgrade" | "other") when they differ;
        runs on two emulators give their labels and "another emulator"."""
        old, new = self.base.emulator_version, self.head.emulator_version
        if self.base.emulator_kind != self.head.emulator_kind:
            return (
                f"{self.base.emulator_kind} {old}",
                f"{self.head.emulator_kind} {new}",
                "another emulator",
            )
        if old == new:
            return None
        a, b = version_key(old), version_key(new)
        direction = "other"
        if a[0] == b[0] == 0:  # both real releases: ordered
            direction = "upgrade" if a < b else "downgrade"
        return old, new, direction

    @property
    def pass_rate_change(self) -> float | None:
        old, new = self.base.pass_rate, self.head.pass_rate
        return None if old is None or new is None else new - old

    @property
    def common(self) -> tuple[int, int, int]:
        """(architectures in both runs, PASSED among them in base, in head): a change of the
        pass rate that is only architectures coming and going shows here as no change."""
        both = self.base.rows.keys() & self.head.rows.keys()
        passed = Status.PASSED
        return (
            len(both),
            sum(self.base.rows[h].status is passed for h in both),
            sum(self.head.rows[h].status is passed for h in both),
        )

    def to_json(self) -> dict[str, Any]:
        common, base_passed, head_passed = self.common
        version = self.version_change
        return {
            "base": _run_json(self.base),
            "head": _run_json(self.head),
            "version_change": {"from": version[0], "to": version[1], "direction": version[2]}
            if version
            else None,
            "pass_rate_change": self.pass_rate_change,
            "common": {
                "architectures": common,
                "base_passed": base_passed,
                "head_passed": head_passed,
            },
            **{name: [c.to_json() for c in self.bucket(name)] for name in BUCKETS},
            "added": [e.to_json() for e in self.added],
            "removed": [e.to_json() for e in self.removed],
            "unchanged": self.unchanged,
            "counts": self.counts(),
        }

    def counts(self) -> dict[str, int]:
        return {
            **{name: len(self.bucket(name)) for name in BUCKETS},
            "added": len(self.added),
            "removed": len(self.removed),
            "unchanged": self.unchanged,
        }


def _run_json(view: RunView) -> dict[str, Any]:
    return {
        "run_id": view.run_id,
        "emulator_version": view.emulator_version,
        "summary": view.summary.to_json(),
        "pass_rate": view.pass_rate,
    }


def _same(a: ResultRow, b: ResultRow) -> bool:
    return (a.status, a.category, a.signature) == (b.status, b.category, b.signature)


def _bucket_of(base: ResultRow, head: ResultRow) -> str:
    if base.flaky or head.flaky:
        return "flaky"
    if Category.ENVIRONMENT in (base.category, head.category):
        return "environment"
    if base.status is Status.PASSED:
        return "regressions" if _blames(head) else "not_emulator"
    if head.status is Status.PASSED:
        return "fixes" if _blames(base) else "not_emulator"
    return "changed"


def compare(base: RunView, head: RunView) -> Comparison:
    result = Comparison(base, head)
    for arch_hash in sorted(base.rows.keys() | head.rows.keys()):
        old, new = base.rows.get(arch_hash), head.rows.get(arch_hash)
        if old is None and new is not None:
            result.added.append(Entry(arch_hash, new))
        elif new is None and old is not None:
            result.removed.append(Entry(arch_hash, old))
        elif old is not None and new is not None:
            if _same(old, new):
                result.unchanged += 1
            else:
                result.bucket(_bucket_of(old, new)).append(Change(arch_hash, old, new))
    for name in BUCKETS:
        result.bucket(name).sort(key=lambda c: (c.name, c.arch_hash))
    result.added.sort(key=lambda e: (e.name, e.arch_hash))
    result.removed.sort(key=lambda e: (e.name, e.arch_hash))
    return result
