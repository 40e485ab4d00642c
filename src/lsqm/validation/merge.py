"""Combine the shards of one run, validated on different machines, into one run.

Each shard (``validate --shard I/N --run-id ID``) leaves its own record
(``runs/ID/shards/I-of-N.json``), its results and its logs. :func:`merge_shards` copies
them from each source folder (a store, a run's folder, or a folder of downloaded shard
artifacts) into this store and writes ``runs/ID/run.json``, whose summary counts every
result of every shard. A shard with no record is *missing*, one that did not finish is
*unfinished*: the run is then ``incomplete`` and says so, never ``complete``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from lsqm.errors import UsageError
from lsqm.records import EmulatorInfo, Result, Run, RunStatus, ShardsMerged, summarize
from lsqm.store import ArtifactStore, read_record


@dataclass
class ShardFolder:
    """One shard's record and the run folder that holds its results and logs."""

    record: Run
    folder: Path

    @property
    def index(self) -> int:
        return self.record.shard.index if self.record.shard else 0

    @property
    def count(self) -> int:
        return self.record.shard.count if self.record.shard else 0


@dataclass
class MergeReport:
    run: Run
    copied: int = 0  # results copied into this store
    notes: list[str] = field(default_factory=list)

    @property
    def shards(self) -> ShardsMerged:
        assert self.run.shards is not None
        return self.run.shards

    @property
    def complete(self) -> bool:
        return self.run.status is RunStatus.COMPLETE

    def problems(self) -> list[str]:
        """What a user must act on: missing or unfinished shards, architectures without a
        result (one sentence each)."""
        s, run_id = self.shards, self.run.run_id
        found = []
        if s.missing:
            shards = ", ".join(f"{i}/{s.count}" for i in s.missing)
            found.append(f"run {run_id}: shard(s) {shards} missing (no record found)")
        if s.unfinished:
            shards = ", ".join(f"{i}/{s.count}" for i in s.unfinished)
            found.append(f"run {run_id}: shard(s) {shards} did not finish; resume them")
        return found + self.notes

    def to_json(self) -> dict[str, object]:
        return {
            "run_id": self.run.run_id,
            "status": self.run.status.value,
            "shards": self.shards.to_json(),
            "summary": self.run.summary.to_json(),
            "copied_results": self.copied,
            "problems": self.problems(),
        }


def find_shards(sources: list[Path]) -> list[ShardFolder]:
    """Every shard record under ``sources`` (a store, a run folder, or folders of them)."""
    found = []
    for source in sources:
        if not source.is_dir():
            raise UsageError(f"merge: {source} is not a folder")
        for path in sorted(source.glob("**/shards/*-of-*.json")):
            record = read_record(Run, path)
            if record.shard is None:
                raise UsageError(f"merge: {path} is not a shard's record (no 'shard')")
            found.append(ShardFolder(record, path.parent.parent))
    return found


def merge_shards(
    store: ArtifactStore, sources: list[Path], run_id: str | None = None
) -> MergeReport:
    """Merge the shards found in ``sources`` and in ``store`` itself into one run of
    ``store`` (``run_id``: which run, when the sources hold several)."""
    shards = find_shards([*sources, store.runs_dir] if store.runs_dir.is_dir() else sources)
    ids = sorted({s.record.run_id for s in shards})
    if run_id is not None:
        shards = [s for s in shards if s.record.run_id == run_id]
    elif len(ids) > 1:
        raise UsageError(
            f"merge: shards of several runs ({', '.join(ids)}); pick one with --run-id"
        )
    if not shards:
        where = " ".join(str(s) for s in sources) or str(store.root)
        raise UsageError(f"merge: no shard records (runs/<id>/shards/*.json) in {where}")
    run_id = shards[0].record.run_id
    counts = sorted({s.count for s in shards})
    if len(counts) > 1:
        raise UsageError(
            f"merge: shards of run {run_id} disagree on the shard count "
            f"({' and '.join(map(str, counts))}); they were not cut from one plan"
        )
    if store.has_run(run_id) and store.run(run_id).shards is None:
        raise UsageError(f"merge: run {run_id} in {store.root} was not sharded; nothing to merge")
    chosen = _one_per_shard(shards)
    report = MergeReport(run=Run(run_id=run_id))
    for shard in chosen.values():
        report.copied += _copy_in(store, shard)
    report.run = _combine(store, run_id, counts[0], chosen, report.notes)
    store.write_run(report.run)
    store.write_run_index(run_id)  # what the readers of many runs read, now whole
    return report


def _one_per_shard(shards: list[ShardFolder]) -> dict[int, ShardFolder]:
    """A shard found twice (the store and a download) counts once: the finished one, else
    the one that got further."""
    chosen: dict[int, ShardFolder] = {}
    for shard in shards:
        best = chosen.get(shard.index)
        rank = (shard.record.status is RunStatus.COMPLETE, shard.record.finished_at or "")
        if best is None or rank > (best.record.status is RunStatus.COMPLETE,
                                   best.record.finished_at or ""):  # fmt: skip
            chosen[shard.index] = shard
    return dict(sorted(chosen.items()))


def _copy_in(store: ArtifactStore, shard: ShardFolder) -> int:
    """Copy a shard's record, results and logs into ``store`` (nothing when already there)."""
    target = store.run_dir(shard.record.run_id)
    if shard.folder.resolve() == target.resolve():
        return 0
    copied = 0
    for arch_hash in shard.record.architectures:
        path = shard.folder / "results" / f"{arch_hash}.json"
        if not path.is_file():
            continue  # not validated yet (an unfinished shard)
        store.write_result(read_record(Result, path))
        copied += 1
        logs = shard.folder / "logs" / arch_hash
        if logs.is_dir():
            shutil.copytree(logs, target / "logs" / arch_hash, dirs_exist_ok=True)
    store.write_run(shard.record)
    return copied


def _combine(
    store: ArtifactStore, run_id: str, count: int, chosen: dict[int, ShardFolder], notes: list[str]
) -> Run:
    records = [s.record for s in chosen.values()]
    first = records[0]
    missing = [i for i in range(1, count + 1) if i not in chosen]
    unfinished = [i for i, s in chosen.items() if s.record.status is not RunStatus.COMPLETE]
    architectures = sorted({h for r in records for h in r.architectures})
    results = store.results(run_id)
    mine = {h: results[h] for h in architectures if h in results}
    plans = {r.shard.plan for r in records if r.shard}
    warnings = sorted({w for r in records for w in r.warnings})
    if len(plans) > 1:
        notes.append(
            f"run {run_id}: shards were planned from different stores; some architectures "
            "may have been validated twice or not at all"
        )
    selected = max((r.shard.selected for r in records if r.shard), default=0)
    if not missing and selected > len(architectures):
        notes.append(f"run {run_id}: {selected - len(architectures)} architecture(s) in no shard")
    versions = sorted({r.emulator.version for r in records if r.emulator})
    if len(versions) > 1:
        warnings.append(f"shards ran different emulator versions: {', '.join(versions)}")
    complete = not missing and not unfinished and not notes
    run = Run(
        run_id=run_id,
        started_at=min((r.started_at for r in records if r.started_at), default=""),
        finished_at=max((r.finished_at or "" for r in records), default="") if complete else None,
        status=RunStatus.COMPLETE if complete else RunStatus.INCOMPLETE,
        architectures=architectures,
        settings=first.settings,
        terraform=first.terraform,
        emulator=_emulator(records),
        emulator_restarts=sum(r.emulator_restarts for r in records),
        sandbox="bwrap" if all(r.sandbox == "bwrap" for r in records) else "none",
        warnings=[*warnings, *notes, *_shard_warnings(count, missing, unfinished)],
        summary=summarize(mine.values()),
        shards=ShardsMerged(
            count=count, merged=sorted(chosen), missing=missing, unfinished=unfinished
        ),
    )
    return run


def _emulator(records: list[Run]) -> EmulatorInfo | None:
    infos = [r.emulator for r in records if r.emulator]
    if not infos:
        return None
    notes = sorted({n for i in infos for n in i.notes})
    return infos[0].model_copy(update={"notes": notes})


def _shard_warnings(count: int, missing: list[int], unfinished: list[int]) -> list[str]:
    found = [f"shard {i}/{count} missing: its architectures have no result" for i in missing]
    return found + [f"shard {i}/{count} did not finish" for i in unfinished]
