"""The typed records: files written by earlier versions stay readable, newer fields survive
a read and a rewrite, and bad files are named, not tracebacks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from lsqm.errors import StoreError
from lsqm.records import (
    Category,
    Result,
    RunStatus,
    StageRecord,
    Status,
    TestCounts,
    summarize,
)
from lsqm.store import ArtifactStore

from .conftest import FIXTURES

# A store written by lsqm 0.1.0 (commit 5ea9573) validating two fixture architectures.
OLD_STORE = FIXTURES / "store_0_1"
OLD_RUN = "20261202T073727Z-72133f"


@pytest.fixture
def old_store(tmp_path: Path) -> ArtifactStore:
    shutil.copytree(OLD_STORE, tmp_path / "store")
    return ArtifactStore(tmp_path / "store")


def test_a_store_written_by_0_1_reads_as_typed_records(old_store: ArtifactStore) -> None:
    run = old_store.run(OLD_RUN)
    assert run.status is RunStatus.COMPLETE
    assert run.emulator is not None and run.emulator.version == "2026.3.0"
    assert run.terraform.providers == {"hashicorp/aws": "3.39.0"}
    results = old_store.results(OLD_RUN)
    by_name = {r.name: r for r in results.values()}
    wrong = by_name["wrong_assertion"]
    assert (wrong.status, wrong.category) == (Status.PARTIAL, Category.EMULATOR_BEHAVIOUR)
    assert wrong.tests == TestCounts(total=2, passed=1, failed=1)
    assert wrong.stages["test"] == StageRecord(ok=False, seconds=1.22, exit_code=1)
    assert wrong.failing_stage == "test"
    assert wrong.provider is not None and wrong.provider.process == "shared"
    assert wrong.test_cases == []  # 0.1 did not keep per-test results
    bad = by_name["invalid_hcl"]
    assert (bad.status, bad.category) == (Status.ERROR, Category.TERRAFORM_CONFIG)
    assert bad.failing_stage == "init" and bad.stages["apply"].skipped
    # The summary it wrote is the one the records compute.
    assert summarize(results.values()) == run.summary
    architecture = old_store.architecture(wrong.arch_hash)
    assert architecture.services == ["sqs"] and architecture.source.kind == "local"
    app = old_store.app(wrong.arch_hash)
    assert app is not None and app.hand_written and app.metrics["tests"] == 2


def test_fields_a_newer_version_adds_survive_a_rewrite(old_store: ArtifactStore) -> None:
    result = next(iter(old_store.results(OLD_RUN).values()))
    data = result.to_json() | {"from_the_future": {"x": 1}}
    newer = Result.model_validate(data)
    old_store.write_result(newer)
    again = old_store.results(OLD_RUN)[result.arch_hash]
    assert again.to_json()["from_the_future"] == {"x": 1}
    assert again.status == result.status


def test_a_broken_result_is_named_not_a_traceback(old_store: ArtifactStore) -> None:
    path = old_store.run_dir(OLD_RUN) / "results" / "382badf2c9294cc4.json"
    path.write_text(json.dumps({"arch_hash": "382badf2c9294cc4", "status": "MAYBE"}))
    with pytest.raises(StoreError, match=r"382badf2c9294cc4.json is not a valid Result"):
        old_store.results(OLD_RUN)


def test_statuses_and_categories_are_the_documented_vocabulary() -> None:
    assert [s.value for s in Status] == ["PASSED", "PARTIAL", "FAILED", "TIMEOUT", "ERROR"]
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for category in Category:
        assert f"`{category.value}`" in readme, category


def test_semver_and_calver_sort_together() -> None:
    from lsqm.versions import is_prerelease, sort_versions

    mixed = ["2026.3.0", "4.14.0", "unknown", "3.8.1", "4.2.0", "2026.10.1", "4.14.1.dev23"]
    assert sort_versions(mixed) == [
        "3.8.1", "4.2.0", "4.14.0", "4.14.1.dev23", "2026.3.0", "2026.10.1", "unknown",
    ]  # fmt: skip
    assert is_prerelease("4.14.1.dev23") and not is_prerelease("2026.3.0")
