"""``lsqm sensitivity``: how many wrong emulator answers the tests let through (mutation
analysis where the mutants are answers; catalogue in :mod:`lsqm.trace.faults`).

Per architecture: one clean control run through the recording proxy, whose trace says
which operations the tests call; then one run per fault of those operations, each with
exactly one fault injected into the tests' answers (:class:`~lsqm.trace.inject.FaultInjector`),
on one warm emulator reset between runs. A fault is *caught* when the verdict leaves
PASSED, *survived* when it stays PASSED though the fault was injected, *not applicable*
when its call was made but no answer had what it changes (an empty receive), and *not
exercised* when the tests never made its call. The score is caught / (caught + survived).
A caught fault blamed on anything but the emulator (``emulator_*``) is a classification bug.

Results go to ``<store>/sensitivity/<id>.json`` (layout in docs/design.md); the runs' logs
to ``runs/<id>/logs/<hash>/`` (the last run's), never a ``run.json``, so no run lists them.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lsqm import sandbox
from lsqm.config import Settings
from lsqm.emulator import emulator_factory, resolve_runtime
from lsqm.emulator.interface import Emulator
from lsqm.errors import UsageError
from lsqm.files import atomic_write_json, utcnow
from lsqm.messages import Say, quiet
from lsqm.records import Result, Status
from lsqm.store import ArtifactStore, new_run_id
from lsqm.toolchain.terraform_install import ensure_terraform
from lsqm.trace.faults import Fault, catalogue
from lsqm.trace.inject import TEST_CALLER, FaultInjector
from lsqm.trace.names import OperationNames
from lsqm.validation.deploy import Job, scratch_root, validate_one

CAUGHT, SURVIVED, NOT_APPLICABLE = "caught", "survived", "not_applicable"


@dataclass
class FaultOutcome:
    id: str
    service: str
    operation: str
    kind: str
    outcome: str  # caught | survived | not_applicable
    words: str  # what the tests do not verify, when it survived
    status: str
    category: str | None
    signature: str
    seconds: float
    classification_bug: bool = False  # caught, but not blamed on the emulator
    terraform_ok: bool = True  # every terraform stage succeeded (the fault left them alone)


@dataclass
class Score:
    caught: int = 0
    exercised: int = 0  # caught + survived

    @property
    def value(self) -> float | None:
        return round(self.caught / self.exercised, 3) if self.exercised else None

    def to_json(self) -> dict[str, Any]:
        return {"caught": self.caught, "exercised": self.exercised, "score": self.value}


@dataclass
class ArchSensitivity:
    arch_hash: str
    name: str
    generator: str
    control: dict[str, Any]  # status, category, seconds of the clean run
    faults: list[FaultOutcome] = field(default_factory=list)
    not_exercised: list[str] = field(default_factory=list)
    note: str | None = None  # why it was not measured (the control run did not pass)

    def score(self) -> Score:
        return tally(self.faults)

    def by_service(self) -> dict[str, Score]:
        services: dict[str, list[FaultOutcome]] = defaultdict(list)
        for outcome in self.faults:
            services[outcome.service].append(outcome)
        return {s: tally(o) for s, o in sorted(services.items())}

    def to_json(self) -> dict[str, Any]:
        return {
            "arch_hash": self.arch_hash,
            "name": self.name,
            "generator": self.generator,
            "control": self.control,
            "note": self.note,
            "score": self.score().to_json(),
            "by_service": {s: v.to_json() for s, v in self.by_service().items()},
            "surviving": [
                {"id": f.id, "words": f.words} for f in self.faults if f.outcome == SURVIVED
            ],
            "faults": [asdict(f) for f in self.faults],
            "not_exercised": self.not_exercised,
        }


def tally(outcomes: Iterable[FaultOutcome]) -> Score:
    score = Score()
    for outcome in outcomes:
        if outcome.outcome in (CAUGHT, SURVIVED):
            score.exercised += 1
            score.caught += outcome.outcome == CAUGHT
    return score


def judge(fault: Fault, injector: FaultInjector, result: Result, seconds: float) -> FaultOutcome:
    """What one fault run says about the tests (a pure function of the run's facts)."""
    if injector.injected == 0:
        outcome = NOT_APPLICABLE
    elif result.status == Status.PASSED:
        outcome = SURVIVED
    else:
        outcome = CAUGHT
    category = str(result.category) if result.category else None
    bug = outcome == CAUGHT and not (category or "").startswith("emulator_")
    return FaultOutcome(
        fault.id, fault.service, fault.operation, fault.kind, outcome,
        fault.words if outcome == SURVIVED else "", str(result.status), category,
        result.signature, round(seconds, 2), bug,
        all(s.ok for name, s in result.stages.items() if name != "test"),
    )  # fmt: skip


def called_by_tests(result: Result) -> set[tuple[str, str]]:
    """The operations the tests called in a run (its trace)."""
    return {(t.service, t.operation) for t in result.trace if t.caller == TEST_CALLER}


def summary(archs: list[ArchSensitivity]) -> dict[str, Any]:
    """Scores per generator and over everything, and the classification bugs found."""
    generators: dict[str, list[FaultOutcome]] = defaultdict(list)
    for arch in archs:
        generators[arch.generator].extend(arch.faults)
    every = [f for arch in archs for f in arch.faults]
    return {
        "score": tally(every).to_json(),
        "by_generator": {g: tally(o).to_json() for g, o in sorted(generators.items())},
        "classification_bugs": [
            {"arch_hash": a.arch_hash, "fault": f.id, "category": f.category}
            for a in archs
            for f in a.faults
            if f.classification_bug
        ],
    }


def measure(
    settings: Settings,
    store: ArtifactStore,
    arch_hashes: list[str],
    *,
    say: Say = quiet,
    faults_limit: int | None = None,
    only: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Run the control and fault runs for ``arch_hashes`` on one emulator; store and return
    the report (``faults_limit``: at most this many faults per architecture; ``only``: just
    these fault ids)."""
    known = set(store.architecture_hashes())
    missing = [h for h in arch_hashes if h not in known]
    if missing:
        raise UsageError(f"unknown architecture(s): {', '.join(missing)}; see 'lsqm status'")
    if not settings.trace:
        raise UsageError("sensitivity needs the operation trace: unset trace: false")
    sid = "sensitivity-" + new_run_id()
    started = utcnow()
    toolchain = ensure_terraform(settings)
    base_sandbox, _ = sandbox.choose(settings.sandbox)
    names = OperationNames(settings.cache_dir / "trace")
    scratch = Path(tempfile.mkdtemp(prefix="lsqm-sens-", dir=scratch_root()))
    logs = store.run_dir(sid) / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    archs: list[ArchSensitivity] = []
    emulator: Emulator | None = None
    try:
        emulator = emulator_factory(settings, resolve_runtime(settings), logs, scratch)(0)
        emulator.start()

        def job(injector: FaultInjector | None = None) -> Job:
            return Job(
                store, sid, settings, toolchain, settings.cache_dir / "provider-schemas",
                scratch, base_sandbox, names=names, interceptor=injector,
            )  # fmt: skip

        for n, arch_hash in enumerate(arch_hashes):
            if n:
                emulator.reset_or_restart()
            archs.append(_one(arch_hash, store, emulator, job, say, faults_limit, only))
    finally:
        if emulator is not None:
            emulator.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    report = {
        "id": sid,
        "started_at": started,
        "finished_at": utcnow(),
        "architectures": [a.to_json() for a in archs],
        **summary(archs),
    }
    atomic_write_json(store.sensitivity_path(sid), report)
    return report


def _one(
    arch_hash: str,
    store: ArtifactStore,
    emulator: Emulator,
    job: Any,
    say: Say,
    faults_limit: int | None,
    only: frozenset[str],
) -> ArchSensitivity:
    record = store.architecture(arch_hash)
    app = store.app(arch_hash)
    t0 = time.monotonic()
    control = validate_one(job(), arch_hash, emulator)
    arch = ArchSensitivity(
        arch_hash, record.name, app.generator if app else "hand-written",
        {"status": str(control.status), "category": control.category and str(control.category),
         "seconds": round(time.monotonic() - t0, 2)},
    )  # fmt: skip
    say(f"{record.name} ({arch_hash[:8]}) control: {control.status}")
    if control.status != Status.PASSED:
        arch.note = f"the control run did not pass ({control.status}): nothing to measure"
        return arch
    called = called_by_tests(control)
    every = catalogue(called)
    run = [f for f in every if (f.service, f.operation) in called and (not only or f.id in only)]
    arch.not_exercised = [f.id for f in every if (f.service, f.operation) not in called]
    for fault in run[:faults_limit] if faults_limit is not None else run:
        emulator.reset_or_restart()
        injector = FaultInjector(fault, job().names)
        t1 = time.monotonic()
        result = validate_one(job(injector), arch_hash, emulator)
        outcome = judge(fault, injector, result, time.monotonic() - t1)
        arch.faults.append(outcome)
        say(f"  {fault.id}: {outcome.outcome} ({result.status} {result.category or ''})")
    return arch
