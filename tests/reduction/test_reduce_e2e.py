"""``lsqm reduce`` on real LocalStack and real Terraform: one validate run of four
architectures, then reductions of its failures and the endings that are not reductions."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from lsqm.config import Settings
from lsqm.errors import UsageError
from lsqm.ingest import add_local
from lsqm.pipeline import stages
from lsqm.records import Result
from lsqm.store import ArtifactStore
from lsqm.validation.run import execute, plan_run

from ..conftest import ARCHS

pytestmark = pytest.mark.e2e


def _validate(settings: Settings, store: ArtifactStore, hashes: list[str]) -> dict[str, Result]:
    plan = plan_run(store, run_id=None, arch=hashes, shard=None)
    execute(settings, store, plan, on_result=lambda _r: None)
    return store.results(plan.run_id)


@pytest.fixture(scope="module")
def validated(
    tmp_path_factory: pytest.TempPathFactory, cache_dir: Path
) -> tuple[Settings, ArtifactStore, dict[str, Result], float]:
    root = tmp_path_factory.mktemp("reduce")
    settings = Settings(
        artifacts_dir=root / "artifacts", cache_dir=cache_dir, runtime="host", timeout=120
    )
    store = ArtifactStore(settings.artifacts_dir)
    # A failure that goes away: its test fails until a moment just after this run.
    healed = root / "healed"
    (healed / "tests").mkdir(parents=True)
    (healed / "main.tf").write_text((ARCHS / "wrong_assertion" / "main.tf").read_text())
    until = time.time() + 150
    (healed / "tests" / "test_later.py").write_text(
        f"import time\n\n\ndef test_fixed_later():\n    assert time.time() > {until}\n"
    )
    names = {
        "reduce_dozen": ARCHS / "reduce_dozen",
        "reduce_assertion": ARCHS / "reduce_assertion",
        "random_offline": ARCHS / "random_offline",
        "healed": healed,
    }
    hashes = {n: add_local(store, p, p / "tests", n) for n, p in names.items()}
    results = _validate(settings, store, list(hashes.values()))
    by_name = {results[h].name: results[h] for h in hashes.values()}
    return settings, store, by_name, until


def _reduce(settings: Settings, store: ArtifactStore, name: str, **kw: object):  # type: ignore[no-untyped-def]
    return stages.reduce_failure(lambda _run: settings, store, name, say=print, **kw)  # type: ignore[arg-type]


def test_a_dozen_resources_reduce_to_the_unsupported_one(validated) -> None:  # type: ignore[no-untyped-def]
    settings, store, results, _until = validated
    before = results["reduce_dozen"]
    assert (before.status.value, before.category.value) == ("FAILED", "emulator_unsupported")
    reduction = _reduce(settings, store, "reduce_dozen", budget=600)
    assert reduction.ending == "reduced", reduction.message
    assert reduction.signature == before.signature
    assert (reduction.resources_before, reduction.resources_after) == (12, 1)
    assert reduction.lines_after * 5 <= reduction.lines_before
    out = Path(reduction.out_dir)
    main = (out / "main.tf").read_text()
    assert 'resource "aws_cognito_user_pool" "users"' in main
    assert "aws_sqs_queue" not in main and "local." not in main and "var." not in main
    assert not (out / "tests").exists()  # an apply failure needs no test
    facts = json.loads((out / "reduction.json").read_text())
    assert facts["confirmed"] is True and facts["kept"] == ["aws_cognito_user_pool.users"]
    assert facts["version"] and facts["probes"] == reduction.probes
    issue = (out / "ISSUE.md").read_text()
    assert "cognito-idp" in issue and "CreateUserPool" in issue and facts["version"] in issue
    assert "localhost:4566" in issue and "terraform init" in issue
    # the reduced folder, added back as an architecture, validates to the same verdict
    again = add_local(store, out, None, "reduced_dozen")
    result = _validate(settings, store, [again])[again]
    assert (result.status, result.category, result.signature) == (
        before.status, before.category, before.signature,
    )  # fmt: skip


def test_a_test_stage_failure_keeps_the_one_test_and_what_it_touches(validated) -> None:  # type: ignore[no-untyped-def]
    settings, store, results, _until = validated
    before = results["reduce_assertion"]
    assert (before.status.value, before.category.value) == ("PARTIAL", "emulator_behaviour")
    reduction = _reduce(settings, store, "reduce_assertion", budget=600)
    assert reduction.ending == "reduced", reduction.message
    out = Path(reduction.out_dir)
    facts = json.loads((out / "reduction.json").read_text())
    assert facts["tests_kept"] == ["test_app.py::test_visibility_timeout_planted_wrong_answer"]
    assert facts["kept"] == ["aws_sqs_queue.jobs"]
    main = (out / "main.tf").read_text()
    assert 'output "queue_url"' in main and "aws_s3_bucket" not in main
    tests = (out / "tests" / "test_app.py").read_text()
    assert "def outputs" in tests and "test_bucket_is_listed" not in tests
    again = add_local(store, out, out / "tests", "reduced_assertion")
    result = _validate(settings, store, [again])[again]
    assert (result.category, result.signature) == (before.category, before.signature)
    assert result.status.value == "FAILED"  # its one test fails: PARTIAL became FAILED


def test_clear_endings(validated, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    settings, store, results, until = validated
    # a failure that no longer happens: said, and nothing written
    time.sleep(max(0.0, until - time.time() + 1))
    healed = _reduce(settings, store, "healed")
    assert healed.ending == "not_reproduced" and healed.out_dir == ""
    assert "did not reproduce" in healed.message and "PASSED" in healed.message
    assert not (store.root / "reductions" / results["healed"].arch_hash).exists()
    # a configuration that only fails for want of the network is not reduced
    assert results["random_offline"].category.value == "environment"
    with pytest.raises(UsageError, match="network"):
        _reduce(settings, store, "random_offline")
    # a budget too short for one probe: it ends before the reproduction, nothing written
    # (one that runs out later keeps the smallest confirmed configuration: test_search.py)
    out = store.root / "budget"
    t0 = time.monotonic()
    short = _reduce(settings, store, "reduce_dozen", budget=1, out=out)
    assert short.ending == "budget" and "before the failure reproduced" in short.message
    assert short.out_dir == "" and not out.exists() and short.probes == 0
    assert time.monotonic() - t0 < 60  # emulator start and stop, no deployment
