"""The store: run ids sort by time, result writes are atomic."""

from __future__ import annotations

from pathlib import Path

from lsqm.records import Result, Run, Status
from lsqm.store import ArtifactStore, new_run_id


def test_run_ids_sort_by_time_and_writes_are_atomic(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    early = new_run_id(datetime(2026, 1, 1, tzinfo=UTC))
    late = new_run_id(datetime(2026, 1, 2, tzinfo=UTC))
    store = ArtifactStore(tmp_path)
    for run_id in (late, early):
        store.write_run(Run(run_id=run_id))
    assert store.run_ids() == [early, late]
    store.write_result(Result(run_id=early, arch_hash="abc", status=Status.PASSED))
    leftovers = [p for p in (store.run_dir(early) / "results").iterdir() if p.suffix != ".json"]
    assert leftovers == []
