"""The per-run index (``runs/<run>/index.json``): what readers of many runs read instead of
every result file. It must never say something the result files do not."""

from __future__ import annotations

import json
from pathlib import Path

from lsqm.records import Category, ResultRow, RunStatus, Status, call_flags
from lsqm.reporting.coverage import load_coverage
from lsqm.store import ArtifactStore

from .histories import PASSED, R1, History, failed, make_result
from .traces import T1, T2, build_traced, call, ordered


def _store(tmp_path: Path, status: RunStatus = RunStatus.COMPLETE) -> History:
    h = History(ArtifactStore(tmp_path / "store"))
    h.arch("a")
    h.arch("b")
    h.run(
        R1, "4.14.0", {"a": PASSED, "b": failed(Category.EMULATOR_ERROR, "500", flaky=True)}, status
    )
    return h


def test_built_from_results_and_kept_for_a_finished_run(tmp_path: Path) -> None:
    h = _store(tmp_path)
    path = h.store.run_dir(R1) / "index.json"
    assert not path.exists()
    index = h.store.run_index(R1)
    assert path.is_file()
    assert index.results == {
        arch_hash: ResultRow.of(result) for arch_hash, result in h.store.results(R1).items()
    }
    row = index.results[h.hashes["b"]]
    assert (row.status, row.category, row.flaky, row.failing_stage) == (
        Status.FAILED,
        Category.EMULATOR_ERROR,
        True,
        "apply",
    )
    # Read from the index now: a result file that goes bad afterwards is not parsed.
    (h.store.run_dir(R1) / "results" / f"{h.hashes['a']}.json").write_text("{")
    assert h.store.run_index(R1) == index


def test_a_written_result_drops_the_index(tmp_path: Path) -> None:
    h = _store(tmp_path)
    h.store.run_index(R1)
    rerun = make_result(R1, h.hashes["b"], "b", PASSED)
    h.store.write_result(rerun)
    assert not (h.store.run_dir(R1) / "index.json").exists()
    assert h.store.run_index(R1).results[h.hashes["b"]].status is Status.PASSED


def test_a_running_run_is_never_cached(tmp_path: Path) -> None:
    h = _store(tmp_path, RunStatus.RUNNING)
    assert len(h.store.run_index(R1).results) == 2
    assert not (h.store.run_dir(R1) / "index.json").exists()
    assert len(h.store.write_run_index(R1).results) == 2  # what validate calls when it finishes
    assert (h.store.run_dir(R1) / "index.json").is_file()


def test_a_stale_or_broken_index_is_rebuilt(tmp_path: Path) -> None:
    h = _store(tmp_path)
    path = h.store.run_dir(R1) / "index.json"
    h.store.run_index(R1)
    data = json.loads(path.read_text())
    del data["results"][h.hashes["a"]]  # e.g. a result file copied in by hand (merge)
    path.write_text(json.dumps(data))
    assert sorted(h.store.run_index(R1).results) == sorted(h.hashes.values())
    path.write_text("not json")
    assert len(h.store.run_index(R1).results) == 2
    assert json.loads(path.read_text())["version"] == 2


# -- each trace in brief, beside the index (``runs/<run>/calls.json``) ------------------------
def test_a_finished_run_writes_its_calls_beside_its_index(tmp_path: Path) -> None:
    """The new layout: the index rows carry no trace; ``calls.json`` has every result's,
    untraced ones as null, and a written result drops both files."""
    store = build_traced(tmp_path / "store").store
    folder = store.run_dir(T1)
    index = json.loads((folder / "index.json").read_text())
    assert index["version"] == 2
    assert all("calls" not in row and "fails_at" in row for row in index["results"].values())
    results = store.results(T1)
    on_disk = json.loads((folder / "calls.json").read_text())
    assert on_disk == {
        "version": 1,
        "run_id": T1,
        "results": {h: call_flags(r.trace) if r.trace else None for h, r in results.items()},
    }
    assert sum(v is None for v in on_disk["results"].values()) == 1  # "old": no trace
    rerun = next(r for r in results.values() if r.name == "old")
    store.write_result(
        rerun.model_copy(update={"trace": ordered(call("sns", "CreateTopic", "apply"))})
    )
    assert not (folder / "index.json").exists() and not (folder / "calls.json").exists()
    assert store.run_calls(T1).results[rerun.arch_hash] == {"sns.CreateTopic": "f"}
    assert (folder / "calls.json").is_file() and (folder / "index.json").is_file()


def _old_layout(store: ArtifactStore, run_id: str) -> None:
    """Rewrite ``run_id``'s caches as lsqm wrote them before ``calls.json``: an index of
    format 1 whose rows carry their calls inline, and nothing beside it."""
    folder = store.run_dir(run_id)
    calls = json.loads((folder / "calls.json").read_text())["results"]
    index = json.loads((folder / "index.json").read_text())
    index["version"] = 1
    for arch_hash, row in index["results"].items():
        row["calls"] = calls[arch_hash]
    (folder / "index.json").write_text(json.dumps(index))
    (folder / "calls.json").unlink()


def test_an_index_with_calls_inline_reads_without_the_result_files(tmp_path: Path) -> None:
    """The old layout: the calls come from the index's rows (no result file is parsed),
    and both files are rewritten in today's layout for the next reader."""
    store = build_traced(tmp_path / "store").store
    rows, calls = store.run_index(T2).results, store.run_calls(T2).results
    _old_layout(store, T2)
    for path in (store.run_dir(T2) / "results").glob("*.json"):
        path.write_text("{")  # parsing one now would raise
    assert store.run_calls(T2).results == calls
    assert store.run_index(T2).results == rows
    folder = store.run_dir(T2)
    assert json.loads((folder / "index.json").read_text())["version"] == 2
    assert "calls" not in (folder / "index.json").read_text()
    assert json.loads((folder / "calls.json").read_text())["results"] == calls
    # Read the index first this time: the same conversion.
    store2 = build_traced(tmp_path / "store2").store
    _old_layout(store2, T2)
    assert [r.to_json() for r in store2.run_index(T2).results.values()] == [
        r.to_json() for r in rows.values()
    ]
    assert store2.run_calls(T2).results == calls


def test_coverage_is_the_same_on_either_layout(tmp_path: Path) -> None:
    new = build_traced(tmp_path / "new").store
    old = build_traced(tmp_path / "old").store
    for run_id in old.run_ids():
        _old_layout(old, run_id)
    assert load_coverage(old).to_json() == load_coverage(new).to_json()
    assert load_coverage(old).operations  # traced: a real comparison, not two empty ones


def test_a_running_run_keeps_no_calls(tmp_path: Path) -> None:
    h = _store(tmp_path, RunStatus.RUNNING)
    assert len(h.store.run_calls(R1).results) == 2
    assert not (h.store.run_dir(R1) / "calls.json").exists()
