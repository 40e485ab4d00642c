"""The per-run index (``runs/<run>/index.json``): what readers of many runs read instead of
every result file. It must never say something the result files do not."""

from __future__ import annotations

import json
from pathlib import Path

from lsqm.records import Category, ResultRow, RunStatus, Status
from lsqm.store import ArtifactStore

from .histories import PASSED, R1, History, failed, make_result


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
    assert json.loads(path.read_text())["version"] == 1
