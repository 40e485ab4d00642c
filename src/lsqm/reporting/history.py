"""The runs of a store as rows, and the trends they show.

Every reader of many runs goes through :class:`RunView`: a run's record and one
:class:`~lsqm.records.ResultRow` per architecture, read from the run's index (52 files for a
year of weekly runs, not 260,000). Counts always come from the rows, so the report, ``status``
and ``compare`` cannot disagree about a run.

Pass rate is PASSED / results, as :class:`~lsqm.records.Summary` defines it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from lsqm.emulator.catalogue import CATALOGUE
from lsqm.errors import UsageError
from lsqm.records import ArchitectureRecord, ResultRow, Run, Status, Summary, summarize
from lsqm.store import ArtifactStore
from lsqm.versions import version_key


@dataclass(frozen=True)
class RunView:
    """One run as the reporting side sees it: the record, and a row per architecture."""

    run: Run
    rows: dict[str, ResultRow]
    summary: Summary

    @property
    def run_id(self) -> str:
        return self.run.run_id

    @property
    def emulator_version(self) -> str:
        return self.run.emulator_version or "unknown"

    @property
    def emulator_kind(self) -> str:
        return self.run.emulator.kind if self.run.emulator else "localstack"

    @property
    def emulator_title(self) -> str:
        """How pages name the emulator: "LocalStack", "MiniStack", "LocalEmu", "moto server",
        or the name of one the user runs."""
        spec = CATALOGUE.get(self.emulator_kind)
        return spec.title if spec else self.emulator_kind

    @property
    def pass_rate(self) -> float | None:
        return self.summary.pass_rate

    @property
    def duration_s(self) -> float | None:
        """Wall time from start to finish (None while running or when a time is missing)."""
        start, end = _when(self.run.started_at), _when(self.run.finished_at or "")
        return (end - start).total_seconds() if start and end else None


def _when(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
    except ValueError:
        return None


def load_run(store: ArtifactStore, run_id: str) -> RunView:
    run = store.run(run_id)
    rows = store.run_index(run_id).results
    return RunView(run, rows, summarize(rows.values()))


def require_runs(store: ArtifactStore) -> list[str]:
    """The store's run ids, oldest first; an empty store is a usage error."""
    ids = store.run_ids()
    if not ids:
        raise UsageError(f"no runs in {store.runs_dir}; run 'lsqm validate' first")
    return ids


def resolve_run(store: ArtifactStore, text: str) -> str:
    """A run id given in full or by a unique prefix (``20261127``)."""
    ids = require_runs(store)
    if text in ids:
        return text
    matches = [i for i in ids if i.startswith(text)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise UsageError(f"run id {text!r} is ambiguous: {', '.join(matches[:5])}")
    raise UsageError(f"no run {text!r} in {store.runs_dir}; 'lsqm status' lists the runs")


def previous_of(store: ArtifactStore, run_id: str) -> str | None:
    """The run before ``run_id`` by id (ids sort by time)."""
    earlier = [i for i in store.run_ids() if i < run_id]
    return earlier[-1] if earlier else None


@dataclass
class History:
    """Runs up to one run (oldest first), and the architectures they cover."""

    runs: list[RunView]
    architectures: dict[str, ArchitectureRecord]

    @classmethod
    def load(cls, store: ArtifactStore, upto: str | None = None) -> History:
        ids = [i for i in require_runs(store) if upto is None or i <= upto]
        runs = [load_run(store, i) for i in ids]
        stored = set(store.architecture_hashes())
        seen = {h for view in runs for h in view.rows}
        architectures = {
            h: store.architecture(h) if h in stored else ArchitectureRecord(hash=h)
            for h in sorted(seen)
        }
        return cls(runs, architectures)

    @property
    def latest(self) -> RunView:
        return self.runs[-1]

    @property
    def previous(self) -> RunView | None:
        return self.runs[-2] if len(self.runs) > 1 else None

    def view(self, run_id: str) -> RunView:
        for view in self.runs:
            if view.run_id == run_id:
                return view
        raise UsageError(f"no run {run_id!r} in this history")

    def services(self, arch_hash: str) -> list[str]:
        return self.architectures[arch_hash].services

    def resource_types(self, arch_hash: str) -> list[str]:
        return self.architectures[arch_hash].resource_types


@dataclass(frozen=True)
class Rate:
    """PASSED out of results, for one group (a service, a resource type); ``unmeasured``:
    results that failed for a reason saying nothing about the emulator (environment,
    configuration, harness, no tests) — counted in ``total`` like every result."""

    name: str
    passed: int
    total: int
    unmeasured: int = 0

    @property
    def rate(self) -> float | None:
        return self.passed / self.total if self.total else None

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "passed": self.passed,
            "total": self.total,
            "unmeasured": self.unmeasured,
            "rate": self.rate,
        }


def unmeasured(row: ResultRow) -> bool:
    """Not PASSED, for a reason that says nothing about the emulator."""
    return row.status is not Status.PASSED and not (
        row.category is not None and row.category.blames_emulator
    )


@dataclass(frozen=True)
class RunRate:
    run_id: str
    started_at: str
    emulator_version: str
    summary: Summary

    @property
    def rate(self) -> float | None:
        return self.summary.pass_rate

    def to_json(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "started_at": self.started_at,
            "emulator_version": self.emulator_version,
            "passed": self.summary.PASSED,
            "total": self.summary.total,
            "rate": self.rate,
        }


def pass_rate_by_run(history: History) -> list[RunRate]:
    return [
        RunRate(v.run_id, v.run.started_at, v.emulator_version, v.summary) for v in history.runs
    ]


def _rates(rows: Iterable[tuple[str, ResultRow]], keys: Callable[[str], list[str]]) -> list[Rate]:
    passed: Counter[str] = Counter()
    total: Counter[str] = Counter()
    lost: Counter[str] = Counter()
    for arch_hash, row in rows:
        for key in keys(arch_hash):
            total[key] += 1
            passed[key] += row.status is Status.PASSED
            lost[key] += unmeasured(row)
    return [Rate(k, passed[k], total[k], lost[k]) for k in sorted(total)]


def pass_rate_by_service(history: History, view: RunView) -> list[Rate]:
    """Per AWS service, over the run's architectures that use it."""
    return _rates(view.rows.items(), history.services)


def pass_rate_by_resource_type(history: History, view: RunView) -> list[Rate]:
    """Per Terraform resource type, over the run's architectures that declare it."""
    return _rates(view.rows.items(), history.resource_types)


@dataclass(frozen=True)
class VersionRate:
    """A LocalStack version, judged by its latest run (runs of one version may cover
    different architectures; the latest says how that version does today)."""

    version: str
    runs: int
    latest: RunRate

    def to_json(self) -> dict[str, object]:
        return {"version": self.version, "runs": self.runs, **self.latest.to_json()}


def pass_rate_by_version(history: History) -> list[VersionRate]:
    """Oldest release first; SemVer (4.14.0) and CalVer (2026.3.0) in release order."""
    by_version: dict[str, list[RunRate]] = defaultdict(list)
    for rate in pass_rate_by_run(history):
        by_version[rate.emulator_version].append(rate)
    return [
        VersionRate(v, len(by_version[v]), by_version[v][-1])
        for v in sorted(by_version, key=version_key)
    ]


@dataclass(frozen=True)
class Matrix:
    """Pass rate of each service in each of some runs (None: no architecture of the service)."""

    run_ids: list[str]
    services: list[str]
    cells: dict[str, dict[str, Rate]]

    def cell(self, service: str, run_id: str) -> Rate | None:
        return self.cells[service].get(run_id)


def service_matrix(history: History, last: int = 12) -> Matrix:
    views = history.runs[-last:]
    cells: dict[str, dict[str, Rate]] = defaultdict(dict)
    for view in views:
        for rate in pass_rate_by_service(history, view):
            cells[rate.name][view.run_id] = rate
    return Matrix([v.run_id for v in views], sorted(cells), dict(cells))


def status_history(history: History, arch_hash: str) -> list[tuple[str, ResultRow | None]]:
    """The architecture's row in every run (None where the run did not cover it)."""
    return [(v.run_id, v.rows.get(arch_hash)) for v in history.runs]
