"""``status`` (the store at a glance, the same numbers as compare) and ``clean --keep``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lsqm.cli import main
from lsqm.store import ArtifactStore

from .histories import PASSED, R1, R2, R3, R4, History


def cli(
    store: ArtifactStore, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    code = main(["--artifacts", str(store.root), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_status_json_agrees_with_compare(
    two_runs: History, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cli(two_runs.store, capsys, "status", "--format", "json")
    assert code == 0
    status = json.loads(out)
    compared = json.loads(cli(two_runs.store, capsys, "compare", "--format", "json")[1])
    assert status["architectures"] == 10 and status["runs"] == 2
    assert status["apps"] == 0 and status["apps_by_generator"] == {}
    assert status["latest_run"]["run_id"] == R2
    assert status["latest_run"]["summary"] == compared["head"]["summary"]
    assert status["latest_run"]["pass_rate"] == compared["head"]["pass_rate"] == 3 / 9
    assert status["previous_run"]["run_id"] == R1
    assert status["pass_rate_change"] == compared["pass_rate_change"]
    assert [(g["signature"], g["count"]) for g in status["top_gaps"]] == [
        ("aws_kinesis_stream:InternalFailure:501: kinesis not implemented", 1),
        ("aws_dynamodb_table:500: boom B", 1),
        ("aws_s3_bucket:500: InternalError", 1),
        ("test_two: assert", 1),
    ]
    assert status["top_gaps"][0]["weight"] == 4.0  # kinesis: 999 stars


def test_status_text(two_runs: History, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(two_runs.store, capsys, "status")
    assert code == 0
    lines = out.splitlines()
    assert "architectures  10 (0 with tests: none)" in lines
    assert f"latest run     {R2} (complete, LocalStack 2026.3.0)" in lines
    assert f"pass rate      33.3% (3/9), -22.2 pts since {R1}" in lines
    assert "top gaps" in lines
    assert lines[-4].startswith("  1. aws_kinesis_stream:InternalFailure:501")


def test_status_of_an_empty_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(ArtifactStore(tmp_path / "none"), capsys, "status", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["runs"] == 0 and data["latest_run"] is None and data["top_gaps"] == []


def _four_runs(tmp_path: Path) -> History:
    h = History(ArtifactStore(tmp_path / "store"))
    h.arch("a")
    for run_id in (R1, R2, R3, R4):
        h.run(run_id, "4.14.0", {"a": PASSED})
    return h


def test_clean_keeps_the_newest_runs_by_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    h = _four_runs(tmp_path)
    (h.store.runs_dir / "not-a-run").mkdir()  # no run.json: not a run, left alone
    code, out, _ = cli(h.store, capsys, "--dry-run", "clean", "--keep", "2", "--format", "json")
    assert code == 0
    assert json.loads(out) == {"kept": [R3, R4], "would_delete": [R1, R2], "dry_run": True}
    assert h.store.run_ids() == [R1, R2, R3, R4]
    code, out, _ = cli(h.store, capsys, "clean", "--keep", "2")
    assert code == 0
    assert out == f"deleted {R1}\ndeleted {R2}\nkept 2 run(s), deleted 2\n"
    assert h.store.run_ids() == [R3, R4]
    assert sorted(p.name for p in h.store.runs_dir.iterdir()) == [R3, R4, "not-a-run"]


def test_clean_removes_a_linked_run_as_a_link_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    h = _four_runs(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    (h.store.runs_dir / R1).rename(elsewhere)
    (h.store.runs_dir / R1).symlink_to(elsewhere)
    code, _, _ = cli(h.store, capsys, "clean", "--keep", "3")
    assert code == 0
    assert not (h.store.runs_dir / R1).exists() and (elsewhere / "run.json").is_file()


@pytest.mark.parametrize("keep", ["0", "-1", "x"])
def test_clean_needs_a_positive_keep(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], keep: str
) -> None:
    h = _four_runs(tmp_path)
    code, _, err = cli(h.store, capsys, "clean", "--keep", keep)
    assert code == 2 and "--keep" in err and "Traceback" not in err
    assert len(h.store.run_ids()) == 4


def test_status_counts_apps_by_generator(
    two_runs: History, capsys: pytest.CaptureFixture[str]
) -> None:
    from lsqm.records import AppRecord

    store = two_runs.store
    store.write_app(
        two_runs.hashes["steady"],
        {"test_a.py": "def test_a():\n    assert True\n"},
        AppRecord(generator="rules"),
    )
    store.write_app(
        two_runs.hashes["kinesis"],
        {"test_a.py": "def test_a():\n    pass\n"},
        AppRecord(generator="hand-written"),
    )
    data = json.loads(cli(store, capsys, "status", "--format", "json")[1])
    assert data["apps_by_generator"] == {"hand-written": 1, "rules": 1} and data["apps"] == 2
    assert len(data["without_tests"]) == 8
