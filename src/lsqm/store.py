"""The artifact store: plain files in a directory (usually a git clone), written atomically.

Stages talk to each other only through here, in the typed records of :mod:`lsqm.records`.
Layout (docs/design.md, "The artifact store"):

    architectures/<hash>/...  + architecture.json   ArchitectureRecord
    apps/<hash>/test_*.py     + app.json            AppRecord
    runs/<run_id>/run.json                          Run
    runs/<run_id>/shards/<I>-of-<N>.json            Run of one shard (``validate --shard``)
    runs/<run_id>/results/<hash>.json               Result
    runs/<run_id>/index.json                        RunIndex (a row per result; a cache)
    runs/<run_id>/calls.json                        RunCalls (each trace in brief; a cache)
    runs/<run_id>/logs/<hash>/...                   terraform, pytest and emulator logs
    reductions/<hash>/reduction.json (+ main.tf, ISSUE.md)   what `lsqm reduce` confirmed
    discovery/decisions/<writer>.json               what one `mine` decided (see below)

No two writers (shards of a run on different machines, two weeks, two `mine` runs) ever
write the same file, so a git history of the store merges without conflicts: runs have
unique ids, results one file per architecture, shards and mines a file of their own, and
architectures and apps are named by their content.

The store imports no stage (terraform, discovery, generation, validation): it knows files
and records, nothing about how they are made.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from lsqm.content import content_files, content_hash
from lsqm.errors import StoreError, UsageError
from lsqm.files import atomic_write_json, atomic_write_text, read_json, utcnow
from lsqm.records import (
    INDEX_VERSION,
    AppRecord,
    ArchitectureRecord,
    Calls,
    Record,
    Result,
    ResultRow,
    Run,
    RunCalls,
    RunIndex,
    RunStatus,
    calls_of,
)

R = TypeVar("R", bound=Record)
C = TypeVar("C", RunIndex, RunCalls)


def new_run_id(now: datetime | None = None) -> str:
    """A run id that sorts by time as a string: ``20261127T043610Z-1a2b3c``."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{secrets.token_hex(3)}"


def _load(kind: type[R], path: Path) -> R:
    """Read one record; a file that is not one is a StoreError naming the file."""
    try:
        return kind.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        raise
    except (OSError, ValidationError) as exc:
        first = str(exc).splitlines()[:3]
        raise StoreError(
            f"{path} is not a valid {kind.__name__} ({' '.join(first)}); "
            "restore it from git or delete it"
        ) from None


def read_record(kind: type[R], path: Path) -> R:
    """Read one record file from anywhere (a shard's folder from another machine); a file
    that is not one is a StoreError naming it."""
    return _load(kind, path)


def _save(path: Path, record: Record) -> None:
    atomic_write_json(path, record.to_json())


class ArtifactStore:
    """Read and write architectures, apps and runs under one root directory."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    # -- architectures -------------------------------------------------------------------
    @property
    def architectures_dir(self) -> Path:
        return self.root / "architectures"

    def architecture_dir(self, arch_hash: str) -> Path:
        return self.architectures_dir / arch_hash

    def architecture_hashes(self) -> list[str]:
        if not self.architectures_dir.is_dir():
            return []
        return sorted(
            p.name for p in self.architectures_dir.iterdir() if (p / "architecture.json").is_file()
        )

    def architecture(self, arch_hash: str) -> ArchitectureRecord:
        path = self.architecture_dir(arch_hash) / "architecture.json"
        if not path.is_file():
            raise UsageError(f"no architecture {arch_hash} in {self.architectures_dir}")
        return _load(ArchitectureRecord, path)

    def add_architecture(self, source_dir: Path, record: ArchitectureRecord) -> str:
        """Copy ``source_dir`` into the store under its content hash; return the hash.

        Adding the same content again is a no-op that returns the same hash.
        """
        files = content_files(source_dir)
        arch_hash = content_hash(source_dir, files)
        dest = self.architecture_dir(arch_hash)
        if (dest / "architecture.json").is_file():
            return arch_hash
        staging = Path(tempfile.mkdtemp(dir=self._staging_root(), prefix=arch_hash))
        for path in files:
            target = staging / path.relative_to(source_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
        stored = record.model_copy(update={"hash": arch_hash, "discovered_at": utcnow()})
        _save(staging / "architecture.json", stored)
        shutil.rmtree(dest, ignore_errors=True)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging, dest)
        return arch_hash

    # -- apps ----------------------------------------------------------------------------
    def app_dir(self, arch_hash: str) -> Path:
        return self.root / "apps" / arch_hash

    def has_app(self, arch_hash: str) -> bool:
        return (self.app_dir(arch_hash) / "app.json").is_file()

    def app(self, arch_hash: str) -> AppRecord | None:
        path = self.app_dir(arch_hash) / "app.json"
        return _load(AppRecord, path) if path.is_file() else None

    def write_app(self, arch_hash: str, files: dict[str, str], record: AppRecord) -> Path:
        """Replace the app of ``arch_hash`` with ``files`` (flat names only) and ``record``."""
        staging = Path(tempfile.mkdtemp(dir=self._staging_root(), prefix=f"app-{arch_hash}"))
        for name, text in files.items():
            if Path(name).name != name or name in ("", ".", ".."):
                raise StoreError(f"refusing app file name {name!r}: names must be flat")
            (staging / name).write_text(text, encoding="utf-8")
        _save(staging / "app.json", record.model_copy(update={"created_at": utcnow()}))
        dest = self.app_dir(arch_hash)
        old = None
        if dest.exists():
            old = dest.with_name(f".{arch_hash}.old-{secrets.token_hex(3)}")
            os.replace(dest, old)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging, dest)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return dest

    # -- runs ----------------------------------------------------------------------------
    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    def run_dir(self, run_id: str) -> Path:
        if not run_id or "/" in run_id or run_id.startswith("."):
            raise UsageError(f"invalid run id {run_id!r}")
        return self.runs_dir / run_id

    def run_ids(self) -> list[str]:
        """Run ids, oldest first (ids sort by time as strings)."""
        if not self.runs_dir.is_dir():
            return []
        return sorted(p.name for p in self.runs_dir.iterdir() if (p / "run.json").is_file())

    def _run_path(self, run_id: str, shard: tuple[int, int] | None) -> Path:
        if shard is None:
            return self.run_dir(run_id) / "run.json"
        return self.run_dir(run_id) / "shards" / f"{shard[0]}-of-{shard[1]}.json"

    def has_run(self, run_id: str, shard: tuple[int, int] | None = None) -> bool:
        """Whether ``run_id`` (or its shard ``(I, N)``) has a record."""
        return self._run_path(run_id, shard).is_file()

    def run(self, run_id: str, shard: tuple[int, int] | None = None) -> Run:
        """The record of ``run_id``, or of one of its shards."""
        path = self._run_path(run_id, shard)
        if not path.is_file():
            what = f"shard {shard[0]}/{shard[1]} of run" if shard else "run"
            raise UsageError(f"no {what} {run_id} in {self.runs_dir}")
        return _load(Run, path)

    def write_run(self, run: Run) -> None:
        """``run.json``, or a shard's own record when ``run.shard`` is set."""
        shard = (run.shard.index, run.shard.count) if run.shard else None
        _save(self._run_path(run.run_id, shard), run)

    def shard_runs(self, run_id: str) -> list[Run]:
        """The records of ``run_id``'s shards in this store, by shard number."""
        folder = self.run_dir(run_id) / "shards"
        found = [_load(Run, p) for p in folder.glob("*-of-*.json")] if folder.is_dir() else []
        return sorted(found, key=lambda r: (r.shard.count, r.shard.index) if r.shard else (0, 0))

    def unmerged_run_ids(self) -> list[str]:
        """Runs that have shard records but no ``run.json`` yet (``lsqm merge`` makes it)."""
        if not self.runs_dir.is_dir():
            return []
        return sorted(
            p.name
            for p in self.runs_dir.iterdir()
            if not (p / "run.json").is_file() and any((p / "shards").glob("*-of-*.json"))
        )

    def result_hashes(self, run_id: str) -> list[str]:
        """Architectures with a result in ``run_id`` (cheap: no file is parsed)."""
        folder = self.run_dir(run_id) / "results"
        return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []

    def results(self, run_id: str) -> dict[str, Result]:
        folder = self.run_dir(run_id) / "results"
        if not folder.is_dir():
            return {}
        return {p.stem: _load(Result, p) for p in sorted(folder.glob("*.json"))}

    def result(self, run_id: str, arch_hash: str) -> Result:
        """One result of a run (the report's page workers each read their own)."""
        return _load(Result, self.run_dir(run_id) / "results" / f"{arch_hash}.json")

    def write_result(self, result: Result) -> None:
        path = self.run_dir(result.run_id) / "results" / f"{result.arch_hash}.json"
        _save(path, result)
        # After the write: a reader between the two sees the old caches only until this.
        self._index_path(result.run_id).unlink(missing_ok=True)
        self._calls_path(result.run_id).unlink(missing_ok=True)

    def run_index(self, run_id: str) -> RunIndex:
        """A row per result of ``run_id``: read from the run's index when it is current (it
        names exactly the stored results), else built from the result files — and kept when
        the run is no longer running, so the next reader gets it cheaply."""
        hashes = self._result_names(run_id)
        index = self._cached(RunIndex, self._index_path(run_id), run_id, hashes)
        if index is not None and index.version >= INDEX_VERSION:
            return index
        return self._refresh(run_id, index)[0]

    def run_calls(self, run_id: str) -> RunCalls:
        """Each result's trace in brief (``runs/<run_id>/calls.json``), current by the same
        rule as :meth:`run_index` and made with it."""
        hashes = self._result_names(run_id)
        calls = self._cached(RunCalls, self._calls_path(run_id), run_id, hashes)
        if calls is not None:
            return calls
        index = self._cached(RunIndex, self._index_path(run_id), run_id, hashes)
        return self._refresh(run_id, index if index and index.version < INDEX_VERSION else None)[1]

    def write_run_index(self, run_id: str, results: dict[str, Result] | None = None) -> RunIndex:
        """Write ``runs/<run_id>/index.json`` and ``calls.json`` when a run finishes, from
        ``results`` (the run's results, already read) or the result files."""
        index, calls = self._build_index(run_id, results)
        self._keep(index, calls)
        return index

    def _refresh(self, run_id: str, old: RunIndex | None) -> tuple[RunIndex, RunCalls]:
        """Both caches of ``run_id``: from ``old``, a current index of format 1 (its rows
        may carry their calls inline: moved out, no result file read), else from the result
        files; kept when the run is no longer running."""
        index, calls = _split(old) if old is not None else self._build_index(run_id)
        if self.run(run_id).status is not RunStatus.RUNNING:
            self._keep(index, calls)
        return index, calls

    def _keep(self, index: RunIndex, calls: RunCalls) -> None:
        """Calls first: a reader that finds the new index finds its calls beside it (each
        file is also checked on its own against the result files)."""
        _save(self._calls_path(index.run_id), calls)
        _save(self._index_path(index.run_id), index)

    def _cached(self, kind: type[C], path: Path, run_id: str, hashes: list[str]) -> C | None:
        """A cache file of ``run_id`` when it is valid and names exactly ``hashes``."""
        if not path.is_file():
            return None
        try:
            found = _load(kind, path)
        except StoreError:
            return None  # a cache: rebuilt by the caller, never an error
        current = found.run_id == run_id and sorted(found.results) == hashes
        return found if current else None

    def _build_index(
        self, run_id: str, results: dict[str, Result] | None = None
    ) -> tuple[RunIndex, RunCalls]:
        found = self.results(run_id) if results is None else results
        rows = {h: ResultRow.of(r) for h, r in found.items()}
        calls = {h: calls_of(r) for h, r in found.items()}
        return RunIndex(run_id=run_id, results=rows), RunCalls(run_id=run_id, results=calls)

    def _result_names(self, run_id: str) -> list[str]:
        """:meth:`result_hashes` without a Path per file (a run may hold thousands)."""
        try:
            with os.scandir(self.run_dir(run_id) / "results") as entries:
                return sorted(
                    e.name[:-5]
                    for e in entries
                    if e.name.endswith(".json") and not e.name.startswith(".")
                )
        except FileNotFoundError:
            return []

    def _index_path(self, run_id: str) -> Path:
        return self.run_dir(run_id) / "index.json"

    def _calls_path(self, run_id: str) -> Path:
        return self.run_dir(run_id) / "calls.json"

    def sensitivity_path(self, sensitivity_id: str) -> Path:
        """Where ``lsqm sensitivity`` keeps one measurement's report (JSON)."""
        if not sensitivity_id or "/" in sensitivity_id or sensitivity_id.startswith("."):
            raise UsageError(f"invalid sensitivity id {sensitivity_id!r}")
        return self.root / "sensitivity" / f"{sensitivity_id}.json"

    def logs_dir(self, run_id: str, arch_hash: str) -> Path:
        path = self.run_dir(run_id) / "logs" / arch_hash
        path.mkdir(parents=True, exist_ok=True)
        return path

    # -- reductions ----------------------------------------------------------------------
    def reduction_dir(self, arch_hash: str) -> Path:
        """Where ``lsqm reduce`` writes an architecture's smallest failing configuration."""
        return self.root / "reductions" / arch_hash

    def reduction(self, arch_hash: str) -> dict[str, Any] | None:
        """The architecture's ``reduction.json`` when one was confirmed (None otherwise)."""
        path = self.reduction_dir(arch_hash) / "reduction.json"
        if not path.is_file():
            return None
        data = read_json(path)
        return data if isinstance(data, dict) and data.get("confirmed") is True else None

    # -- discovery -----------------------------------------------------------------------
    # What `mine` decided about each candidate: every `mine` writes the decisions it took in
    # a file of its own (``discovery/decisions/<writer>.json``, writer ids sort by time), and
    # readers apply them in order, later decisions winning. Two writers never edit one file.
    @property
    def discovery_ledger_path(self) -> Path:
        """The single ledger file of stores written before decisions were per writer."""
        return self.root / "discovery" / "candidates.json"

    @property
    def discovery_decisions_dir(self) -> Path:
        return self.root / "discovery" / "decisions"

    def discovery_ledger(self) -> dict[str, Any]:
        """What `mine` decided about each candidate it has seen (accepted and rejected)."""
        files = [self.discovery_ledger_path]
        if self.discovery_decisions_dir.is_dir():
            files += sorted(self.discovery_decisions_dir.glob("*.json"))
        merged: dict[str, Any] = {}
        for path in files:
            if not path.is_file():
                continue
            data = read_json(path)
            candidates = data.get("candidates", {}) if isinstance(data, dict) else {}
            merged.update(candidates if isinstance(candidates, dict) else {})
        return merged

    def write_discovery_ledger(self, candidates: dict[str, Any], writer: str) -> None:
        """Write the decisions one `mine` (``writer``, an id that sorts by time) took."""
        path = self.discovery_decisions_dir / f"{writer}.json"
        atomic_write_json(path, {"version": 1, "candidates": candidates})

    # -- internals -----------------------------------------------------------------------
    def _staging_root(self) -> Path:
        """Half-built entries live here until an atomic rename; git never sees them."""
        path = self.root / ".staging"
        path.mkdir(parents=True, exist_ok=True)
        ignore = self.root / ".gitignore"
        if not ignore.exists():
            atomic_write_text(ignore, ".staging/\n")
        return path


def _split(old: RunIndex) -> tuple[RunIndex, RunCalls]:
    """An index of format 1 in today's two files: each row's inline ``calls`` (an index
    written between traces and :class:`RunCalls`; absent before traces: no trace) moves out."""
    calls: dict[str, Calls] = {}
    for arch_hash, row in old.results.items():
        inline = (row.model_extra or {}).pop("calls", None)
        calls[arch_hash] = inline if isinstance(inline, dict) and inline else None
    index = RunIndex(run_id=old.run_id, results=old.results)
    return index, RunCalls(run_id=old.run_id, results=calls)


__all__ = ["ArtifactStore", "new_run_id", "read_record"]
