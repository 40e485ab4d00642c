"""``lsqm reduce`` refusals, through the CLI on a real store: one sentence, exit 2, nothing
written (no emulator is started for a verdict that is not reduced)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lsqm.cli import main
from lsqm.ingest import add_local
from lsqm.records import Category, Result, Run, RunStatus, Status
from lsqm.reduction.session import refusal
from lsqm.store import ArtifactStore, new_run_id

from ..conftest import ARCHS


def _stored(tmp_path: Path, status: Status, category: Category | None) -> ArtifactStore:
    store = ArtifactStore(tmp_path / "art")
    arch = add_local(store, ARCHS / "sqs_ok", ARCHS / "sqs_ok" / "tests", "sqs_ok")
    run_id = new_run_id()
    store.write_run(Run(run_id=run_id, started_at="x", status=RunStatus.COMPLETE))
    store.write_result(
        Result(arch_hash=arch, name="sqs_ok", run_id=run_id, status=status, category=category,
               signature="terraform init: provider hashicorp/random not available offline")
    )  # fmt: skip
    return store


@pytest.mark.parametrize(
    ("status", "category", "words"),
    [
        (Status.ERROR, Category.ENVIRONMENT, "the network"),
        (Status.ERROR, Category.TERRAFORM_CONFIG, "configuration itself is wrong"),
        (Status.TIMEOUT, Category.TIMEOUT, "ran out of time"),
        (Status.PASSED, None, "nothing to reduce"),
    ],
)
def test_a_verdict_that_is_not_the_emulators_is_refused_with_the_reason(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    status: Status,
    category: Category | None,
    words: str,
) -> None:
    store = _stored(tmp_path, status, category)
    code = main(["--artifacts", str(store.root), "reduce", "sqs_ok", "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert words in err and len(err.strip().splitlines()) == 1
    assert not (store.root / "reductions").exists()


def test_the_emulators_failures_are_reduced() -> None:
    for category in (Category.EMULATOR_UNSUPPORTED, Category.EMULATOR_BEHAVIOUR,
                     Category.EMULATOR_REJECTED, Category.PROVIDER_CRASH):  # fmt: skip
        result = Result(arch_hash="a", status=Status.FAILED, category=category)
        assert refusal(result) is None


def test_an_architecture_without_a_result_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = ArtifactStore(tmp_path / "art")
    add_local(store, ARCHS / "sqs_ok", ARCHS / "sqs_ok" / "tests", "sqs_ok")
    store.write_run(Run(run_id=new_run_id(), started_at="x", status=RunStatus.COMPLETE))
    code = main(["--artifacts", str(store.root), "reduce", "sqs_ok"])
    assert code == 2 and "no result" in capsys.readouterr().err
