"""The reduction budget inside a probe: every stage's limit is capped by what is left, and a
probe the deadline ended is told apart from one the configuration ended."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from lsqm.config import Settings
from lsqm.records import ArchitectureRecord, Category, Result, StageRecord, Status
from lsqm.reduction.probe import _cut_short
from lsqm.store import ArtifactStore
from lsqm.validation.deploy import Job, Validation


def test_a_deadline_caps_each_stage_limit(tmp_path: Path) -> None:
    settings = Settings(artifacts_dir=tmp_path, timeout=600)
    job = Job(ArtifactStore(tmp_path), "R", settings, None, tmp_path, tmp_path)  # type: ignore[arg-type]
    validation = Validation(job, "a" * 16, ArchitectureRecord(name="x"), None, tmp_path)  # type: ignore[arg-type]
    assert validation.limit == 600 and job.destroy
    validation.job = dataclasses.replace(job, deadline=time.monotonic() + 30)
    assert 25 < validation.limit <= 30  # what is left, not the stage timeout
    validation.job = dataclasses.replace(job, deadline=time.monotonic() - 5)
    assert validation.limit == 1.0  # past it: a stage still gets a moment to fail cleanly


def test_only_a_timeout_at_the_deadline_is_cut_short() -> None:
    timed_out = Result(
        arch_hash="a", status=Status.TIMEOUT, category=Category.TIMEOUT,
        stages={"apply": StageRecord(ok=False, timed_out=True)},
    )  # fmt: skip
    failed = Result(arch_hash="a", status=Status.FAILED, category=Category.EMULATOR_UNSUPPORTED)
    now = time.monotonic()
    assert _cut_short(timed_out, deadline=now)  # it ran out of time as the budget did
    assert not _cut_short(timed_out, deadline=now + 300)  # its own stage timeout: a verdict
    assert not _cut_short(failed, deadline=now)  # finished with a verdict before the end
