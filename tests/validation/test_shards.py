"""Shards: cut by expected seconds so they finish together, planned alike on every machine
from the same store, and merged into one run that counts every shard — a missing one is
reported, never taken for success."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from lsqm.cli import main
from lsqm.errors import UsageError
from lsqm.ingest import add_local
from lsqm.records import ArchitectureRecord, Result, Run, RunStatus, Status
from lsqm.store import ArtifactStore, new_run_id
from lsqm.validation import cost
from lsqm.validation.merge import merge_shards
from lsqm.validation.run import plan_run

from ..conftest import ARCHS
from ..helpers import EXAMPLES


def _examples(store: ArtifactStore, names: list[str]) -> dict[str, str]:
    return {n: add_local(store, EXAMPLES / n, EXAMPLES / n / "tests", n) for n in names}


def test_a_first_run_starts_with_what_declares_slow_resources(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "a")
    names = ["kms_key", "sqs_dlq", "kinesis_stream", "iam_role", "ssm_parameters"]
    hashes = _examples(store, names)
    plan = plan_run(store, run_id=None, arch=None, shard=None)
    order = {h: n for n, h in hashes.items()}
    # kinesis waits ~40 s for ACTIVE and deletion in aws 3.39, KMS schedules deletion
    assert [order[h] for h in plan.todo[:2]] == ["kinesis_stream", "kms_key"]
    kinesis = store.architecture(hashes["kinesis_stream"])
    assert cost.estimate(kinesis) > 3 * cost.estimate(store.architecture(hashes["sqs_dlq"]))


def test_durations_from_earlier_runs_come_before_estimates(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "a")
    hashes = _examples(store, ["kinesis_stream", "sqs_dlq"])
    earlier = new_run_id()
    store.write_run(Run(run_id=earlier))
    store.write_result(Result(run_id=earlier, arch_hash=hashes["sqs_dlq"],
                              status=Status.PASSED, duration_s=300.0))  # fmt: skip
    plan = plan_run(store, run_id=None, arch=None, shard=None)
    assert plan.todo == [hashes["sqs_dlq"], hashes["kinesis_stream"]]


def test_parts_are_balanced_deterministic_and_cover_everything_once() -> None:
    rng = random.Random(7)
    costs = {f"{i:016x}": rng.choice([3.0, 8.0, 12.0, 45.0, 90.0]) for i in range(200)}
    for count in (2, 3, 8):
        parts = cost.partition(costs, costs, count)
        flat = [h for part in parts for h in part]
        assert sorted(flat) == sorted(costs)
        loads = [sum(costs[h] for h in part) for part in parts]
        assert max(loads) - min(loads) <= max(costs.values())  # LPT bound
        shuffled = dict(sorted(costs.items(), key=lambda _kv: rng.random()))
        assert cost.partition(shuffled, shuffled, count) == parts  # input order is irrelevant
    by_hash = [[h for i, h in enumerate(sorted(costs)) if i % 2 == k] for k in range(2)]
    hash_loads = [sum(costs[h] for h in part) for part in by_hash]
    cost_loads = [sum(costs[h] for h in part) for part in cost.partition(costs, costs, 2)]
    assert max(cost_loads) - min(cost_loads) < max(hash_loads) - min(hash_loads)


def test_a_shard_keeps_its_own_record_and_resumes_its_own_architectures(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "a")
    _examples(store, ["kinesis_stream", "sqs_dlq", "kms_key", "iam_role"])
    plans = [plan_run(store, run_id="R1", arch=None, shard=(i, 2)) for i in (1, 2)]
    assert sorted(plans[0].todo + plans[1].todo) == store.architecture_hashes()
    assert plans[0].shard and plans[1].shard and plans[0].shard.plan == plans[1].shard.plan
    first = plans[0]
    store.write_run(Run(run_id="R1", shard=first.shard, architectures=first.todo))
    store.write_result(Result(run_id="R1", arch_hash=first.todo[0], status=Status.PASSED))
    assert not store.has_run("R1") and store.has_run("R1", (1, 2))
    assert store.run_ids() == [] and store.unmerged_run_ids() == ["R1"]
    # history changes (another run ends) would re-cut the parts; a resumed shard does not
    other = new_run_id()
    store.write_run(Run(run_id=other))
    store.write_result(Result(run_id=other, arch_hash=first.todo[-1], status=Status.PASSED,
                              duration_s=900.0))  # fmt: skip
    resumed = plan_run(store, run_id="R1", arch=None, shard=(1, 2))
    assert resumed.resumed and resumed.done == first.todo[:1]
    assert sorted(resumed.todo) == sorted(first.todo[1:])


def _shard_clone(root: Path, seed: ArtifactStore, run_id: str, index: int, count: int,
                 statuses: dict[str, Status], finished: bool = True) -> ArtifactStore:  # fmt: skip
    """A store as a shard's machine leaves it: a copy of the seed, the shard's record and
    its results and logs."""
    shutil.copytree(seed.root, root)
    store = ArtifactStore(root)
    plan = plan_run(store, run_id=run_id, arch=None, shard=(index, count))
    record = Run(run_id=run_id, shard=plan.shard, architectures=plan.todo, started_at="t0",
                 status=RunStatus.COMPLETE if finished else RunStatus.INTERRUPTED)  # fmt: skip
    for arch_hash in plan.todo[: None if finished else 1]:
        store.write_result(Result(run_id=run_id, arch_hash=arch_hash, status=statuses[arch_hash]))
        (store.logs_dir(run_id, arch_hash) / "apply.log").write_text("applied\n")
    store.write_run(record)
    return store


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[ArtifactStore, dict[str, Status]]:
    seed = ArtifactStore(tmp_path / "seed")
    hashes = _examples(seed, ["kinesis_stream", "sqs_dlq", "kms_key", "iam_role", "s3_bucket"])
    statuses = dict(zip(sorted(hashes.values()), [Status.PASSED, Status.FAILED, Status.PASSED,
                                                  Status.ERROR, Status.PASSED], strict=True))  # fmt: skip
    return seed, statuses


def test_merge_counts_every_shard(
    tmp_path: Path, seeded: tuple[ArtifactStore, dict[str, Status]]
) -> None:
    seed, statuses = seeded
    clones = [_shard_clone(tmp_path / f"m{i}", seed, "R1", i, 3, statuses) for i in (1, 2, 3)]
    target = ArtifactStore(tmp_path / "merged")
    shutil.copytree(seed.root, target.root)
    report = merge_shards(target, [c.root for c in clones])
    run = target.run("R1")
    assert run.status is RunStatus.COMPLETE and report.problems() == []
    assert run.shards and (run.shards.merged, run.shards.missing) == ([1, 2, 3], [])
    assert (run.summary.total, run.summary.PASSED, run.summary.FAILED, run.summary.ERROR) == (
        5, 3, 1, 1)  # fmt: skip
    assert sorted(target.results("R1")) == sorted(statuses)
    assert all((target.run_dir("R1") / "logs" / h / "apply.log").is_file() for h in statuses)
    assert target.run_ids() == ["R1"]
    again = merge_shards(target, [c.root for c in clones])  # idempotent
    assert again.run.to_json() == run.to_json()


def test_a_missing_or_unfinished_shard_is_reported_not_success(
    tmp_path: Path,
    seeded: tuple[ArtifactStore, dict[str, Status]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    seed, statuses = seeded
    one = _shard_clone(tmp_path / "m1", seed, "R1", 1, 3, statuses)
    two = _shard_clone(tmp_path / "m2", seed, "R1", 2, 3, statuses, finished=False)
    target = tmp_path / "merged"
    shutil.copytree(seed.root, target)
    code = main(["--artifacts", str(target), "merge", str(one.root), str(two.root),
                 "--format", "json"])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 1
    data = json.loads(out)
    assert data["status"] == "incomplete"
    assert data["shards"]["missing"] == [3] and data["shards"]["unfinished"] == [2]
    assert "shard(s) 3/3 missing" in err and "2/3 did not finish" in err
    run = ArtifactStore(target).run("R1")
    assert run.status is RunStatus.INCOMPLETE
    assert "shard 3/3 missing: its architectures have no result" in run.warnings
    assert run.summary.total < len(statuses)


def test_merge_refuses_what_cannot_be_one_run(
    tmp_path: Path, seeded: tuple[ArtifactStore, dict[str, Status]]
) -> None:
    seed, statuses = seeded
    a = _shard_clone(tmp_path / "a", seed, "R1", 1, 2, statuses)
    b = _shard_clone(tmp_path / "b", seed, "R1", 1, 3, statuses)
    c = _shard_clone(tmp_path / "c", seed, "R2", 2, 2, statuses)
    target = ArtifactStore(tmp_path / "t")
    with pytest.raises(UsageError, match="disagree on the shard count"):
        merge_shards(target, [a.root, b.root])
    with pytest.raises(UsageError, match="shards of several runs"):
        merge_shards(target, [a.root, c.root])
    with pytest.raises(UsageError, match="no shard records"):
        merge_shards(target, [seed.root])
    plain = ArtifactStore(tmp_path / "plain")
    plain.write_run(Run(run_id="R1"))
    with pytest.raises(UsageError, match="was not sharded"):
        merge_shards(plain, [a.root])


def test_shards_planned_from_different_stores_are_flagged(
    tmp_path: Path, seeded: tuple[ArtifactStore, dict[str, Status]]
) -> None:
    seed, statuses = seeded
    one = _shard_clone(tmp_path / "m1", seed, "R1", 1, 2, statuses)
    drifted = ArtifactStore(tmp_path / "drift")
    shutil.copytree(seed.root, drifted.root)
    drifted.add_architecture(EXAMPLES / "ssm_parameters", ArchitectureRecord(name="late"))
    extra = {**statuses, **dict.fromkeys(drifted.architecture_hashes(), Status.PASSED)}
    two = _shard_clone(tmp_path / "m2", drifted, "R1", 2, 2, extra)
    report = merge_shards(ArtifactStore(tmp_path / "t"), [one.root, two.root])
    assert report.run.status is RunStatus.INCOMPLETE
    assert any("planned from different stores" in p for p in report.problems())


def test_a_shard_with_nothing_to_do_still_records_itself(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cache_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("LSQM_CACHE_DIR", str(cache_dir))
    store = ArtifactStore(tmp_path / "a")
    _examples(store, ["sqs_dlq"])
    args = ["--artifacts", str(store.root), "validate", "--run-id", "R1", "--runtime", "host"]
    assert main([*args, "--shard", "2/2"]) == 0, capsys.readouterr().err
    record = store.run("R1", (2, 2))
    assert record.architectures == [] and record.status is RunStatus.COMPLETE
    assert record.shard is not None and record.shard.selected == 1


def test_status_names_a_run_that_has_shards_but_no_merge(tmp_path: Path) -> None:
    from lsqm.commands.status import status_lines
    from lsqm.pipeline import stages
    from lsqm.records import Run, ShardInfo

    store = ArtifactStore(tmp_path / "store")
    store.write_run(Run(run_id="20261206T000000Z-shards", shard=ShardInfo(index=1, count=2)))
    view = stages.status(store)
    assert view.unmerged_runs == ["20261206T000000Z-shards"]
    assert view.to_json()["unmerged_runs"] == ["20261206T000000Z-shards"]
    assert any("lsqm merge" in line for line in status_lines(view))


def test_a_run_starts_with_what_took_longest_last_time(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "artifacts")
    fast, slow, new = (
        add_local(store, ARCHS / name, ARCHS / name / "tests", name)
        for name in ("sqs_ok", "cognito", "empty_tests")
    )
    earlier = new_run_id()
    store.write_run(Run(run_id=earlier))
    for arch_hash, seconds in ((fast, 3.0), (slow, 44.0)):
        store.write_result(
            Result(run_id=earlier, arch_hash=arch_hash, status=Status.PASSED, duration_s=seconds)
        )
    plan = plan_run(store, run_id=None, arch=None, shard=None)
    # history first; no history: an estimate from what it declares (one SQS queue: ~7 s)
    assert plan.todo == [slow, new, fast]
    # Shards are cut by expected seconds: the 44 s one alone, the two short ones together.
    halves = [plan_run(store, run_id=None, arch=None, shard=(i, 2)).todo for i in (1, 2)]
    assert halves == [[slow], [new, fast]]
