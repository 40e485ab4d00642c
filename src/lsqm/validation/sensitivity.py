"""``lsqm sensitivity``: how many wrong emulator answers the tests let through (mutation
analysis where the mutants are answers; catalogue in :mod:`lsqm.trace.faults`).

Per architecture, on one warm emulator: deploy once (:class:`~lsqm.validation.stack.DeployedStack`),
run the tests clean (the control: its trace says which operations the tests call), then once
per fault of those operations with exactly one fault armed on the proxy
(:class:`~lsqm.trace.inject.FaultInjector`), then destroy. Every run is judged by validate's
verdict code. A fault is *caught* when the verdict leaves PASSED, *survived* when it stays
PASSED though the fault was injected, *not applicable* when its call was made but no answer had
what it changes (an empty receive), and *not exercised* when the tests never made its call.
The score is caught / (caught + survived). A caught fault blamed on anything but the emulator
(``emulator_*``) is a classification bug.

Tests may change the stack, so no fault is measured on a stack the tests no longer pass on.
Right after the control the tests run clean again: when they do not pass twice on one stack,
each fault gets a stack of its own (deployed anew). Otherwise every fault run follows a run
that passed on the same stack (the control, a survived fault, or a clean rerun): after a
caught fault the tests run clean again, and when that fails the stack drifted, the fault run
that left it so is named, and the architecture is deployed anew before the next fault. A
fault run stops at its first failing test (pytest ``-x``): whether the fault is caught is the
same either way, and the rest would only wait on retries. At the end the tests run clean once
more and terraform plans again with the last fault still armed: the stack is as configured,
and terraform's requests were left alone.

Results go to ``<store>/sensitivity/<id>.json`` (layout in docs/design.md); each run's logs to
``runs/<id>/logs/<hash>/`` (the control), ``faults/<fault>/`` and ``clean/<n>/``, never a
``run.json``, so no run lists them.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
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
from lsqm.trace.proxy import Answer, Call
from lsqm.validation.deploy import Job, scratch_root
from lsqm.validation.stack import DeployedStack

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
    clean_after: str | None = None  # the status of the clean run after it (when caught)
    clean_seconds: float = 0.0  # how long that clean run took


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
class StackLog:
    """What happened to an architecture's deployed stack over its runs (the guard that no
    fault is measured on a stack its tests no longer pass on)."""

    deploys: int = 0
    repeatable: bool | None = None  # the tests passed twice on one stack (else: one per fault)
    clean_runs: int = 0  # clean runs after the control
    drifted_after: list[str] = field(default_factory=list)  # fault runs that left it failing
    unmeasured: list[str] = field(default_factory=list)  # faults left: it could not be redeployed
    final_clean: bool | None = None  # the tests passed clean at the end (None: not repeatable)
    replan: str | None = None  # unchanged | changed | failed: terraform's plan at the end
    armed_at_replan: str | None = None  # the fault armed while terraform planned again
    touched: dict[str, int] = field(default_factory=dict)  # answers changed, per caller
    # the armed fault's calls made by others (terraform's replan), answered unchanged
    untouched: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0  # the whole session: deploys, every run, destroy


@dataclass
class ArchSensitivity:
    arch_hash: str
    name: str
    generator: str
    control: dict[str, Any]  # status, category, seconds of the clean run
    faults: list[FaultOutcome] = field(default_factory=list)
    not_exercised: list[str] = field(default_factory=list)
    note: str | None = None  # why it was not measured (the control run did not pass)
    stack: StackLog = field(default_factory=lambda: StackLog())

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
            "stack": asdict(self.stack),
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
        all(s.ok for name, s in result.stages.items() if name != "test" and not s.skipped),
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
    workers: int = 1,
) -> dict[str, Any]:
    """Measure ``arch_hashes`` (``workers`` architectures at once, one emulator each); store
    and return the report (``faults_limit``: at most this many faults per architecture;
    ``only``: just these fault ids)."""
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
    factory = emulator_factory(settings, resolve_runtime(settings), logs, scratch)
    job = Job(
        store, sid, settings, toolchain, settings.cache_dir / "provider-schemas",
        scratch, base_sandbox, names=names,
    )  # fmt: skip
    todo = list(enumerate(arch_hashes))
    lock = threading.Lock()
    found: dict[int, ArchSensitivity] = {}

    def worker(index: int) -> None:
        emulator: Emulator | None = None
        try:
            emulator = factory(index)
            emulator.start()
            first = True
            while True:
                with lock:
                    if not todo:
                        return
                    n, arch_hash = todo.pop(0)
                if not first:
                    emulator.reset_or_restart()
                first = False
                found[n] = _one(job, arch_hash, emulator, say, faults_limit, only)
        finally:
            if emulator is not None:
                emulator.stop()

    try:
        count = max(1, min(workers, len(arch_hashes)))
        with ThreadPoolExecutor(count, thread_name_prefix="lsqm-sensitivity") as pool:
            for done in [pool.submit(worker, i) for i in range(count)]:
                done.result()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    archs = [found[n] for n in sorted(found)]
    report = {
        "id": sid,
        "started_at": started,
        "finished_at": utcnow(),
        "workers": count,
        "architectures": [a.to_json() for a in archs],
        **summary(archs),
    }
    atomic_write_json(store.sensitivity_path(sid), report)
    return report


class _Armed:
    """One fault armed on the proxy: the injector, who got a changed answer, and who else
    (terraform) made the fault's call and got the emulator's own answer."""

    def __init__(self, injector: FaultInjector) -> None:
        self.injector = injector
        self.callers: Counter[str] = Counter()
        self.untouched: Counter[str] = Counter()

    def __call__(self, call: Call, answer: Answer) -> Answer | None:
        replaced = self.injector(call, answer)
        if replaced is not None:
            self.callers[call.caller] += 1
        elif call.caller != TEST_CALLER:
            fault = self.injector.fault
            if self.injector.names.name(call) == (fault.service, fault.operation):
                self.untouched[call.caller] += 1
        return replaced

    def instead(self, call: Call) -> Answer | None:
        """The injector's own answer to a request it keeps from the emulator."""
        made_up = self.injector.instead(call)
        if made_up is not None:
            self.callers[call.caller] += 1
        return made_up


def fault_folder(fault_id: str) -> str:
    """A fault's log folder name: ``sqs.ReceiveMessage:message_lost`` ->
    ``sqs.ReceiveMessage.message_lost`` (no ``:`` in the store's paths); a fault on a call
    that could not be named (``.:error_5xx``) -> ``unnamed.error_5xx``."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", fault_id.replace(":", "."))
    return "unnamed." + name.lstrip(".") if name.startswith(".") else name


def _one(
    job: Job,
    arch_hash: str,
    emulator: Emulator,
    say: Say,
    faults_limit: int | None,
    only: frozenset[str],
) -> ArchSensitivity:
    store = job.store
    record = store.architecture(arch_hash)
    app = store.app(arch_hash)
    logs = store.logs_dir(job.run_id, arch_hash)
    t0 = time.monotonic()
    stack = DeployedStack(job, arch_hash, emulator)
    arch = ArchSensitivity(arch_hash, record.name, app.generator if app else "hand-written", {})
    try:
        control = stack.deploy() or stack.test(logs, first=True)
        arch.stack.deploys = 1
        arch.control = {
            "status": str(control.status),
            "category": control.category and str(control.category),
            "seconds": round(control.duration_s, 2),
        }
        say(f"{record.name} ({arch_hash[:8]}) control: {control.status}")
        if control.status != Status.PASSED:
            arch.note = f"the control run did not pass ({control.status}): nothing to measure"
            return arch
        called = called_by_tests(control)
        every = catalogue(called)
        run = [
            f for f in every if (f.service, f.operation) in called and (not only or f.id in only)
        ]
        arch.not_exercised = [f.id for f in every if (f.service, f.operation) not in called]
        if run := run[:faults_limit] if faults_limit is not None else run:
            _faults(job, stack, arch, run, say)
    finally:
        stack.close()
        arch.stack.seconds = round(time.monotonic() - t0, 2)
    return arch


def _faults(
    job: Job, stack: DeployedStack, arch: ArchSensitivity, faults: list[Fault], say: Say
) -> None:
    """Run ``faults`` on the deployed stack, never on one the tests no longer pass on."""
    assert job.names is not None
    logs = job.store.logs_dir(job.run_id, arch.arch_hash)
    # The tests pass twice on one stack, or each fault gets a stack of its own.
    repeatable = arch.stack.repeatable = _clean(stack, arch, logs).status == Status.PASSED
    if not repeatable:
        say("  the tests do not pass twice on one stack: deployed anew for each fault")
    touched: Counter[str] = Counter()
    last: _Armed | None = None
    fresh, clean_ok = False, True  # the stack is newly deployed; the latest run passed
    for k, fault in enumerate(faults):
        if not (repeatable and clean_ok) and not fresh and not _redeploy(stack, arch, say):
            arch.stack.unmeasured = [f.id for f in faults[k:]]
            arch.note = f"could not deploy again: {len(arch.stack.unmeasured)} fault(s) unmeasured"
            last = None  # no stack left to plan
            break
        armed = last = _Armed(FaultInjector(fault, job.names))
        stack.intercept(armed)
        try:
            # Stopped at the first failing test: caught or not is the same either way.
            result = stack.test(logs / "faults" / fault_folder(fault.id), first_failure=True)
        finally:
            stack.intercept(None)
        fresh = False
        touched.update(armed.callers)
        outcome = judge(fault, armed.injector, result, result.duration_s)
        outcome.terraform_ok = outcome.terraform_ok and set(armed.callers) <= {TEST_CALLER}
        arch.faults.append(outcome)
        say(f"  {fault.id}: {outcome.outcome} ({result.status} {result.category or ''})")
        clean_ok = result.status == Status.PASSED
        if clean_ok or not repeatable:
            continue
        clean = _clean(stack, arch, logs)
        outcome.clean_after, outcome.clean_seconds = str(clean.status), clean.duration_s
        clean_ok = clean.status == Status.PASSED
        if not clean_ok:  # deployed again before the next fault
            arch.stack.drifted_after.append(fault.id)
            say(f"  the tests no longer pass clean after {fault.id}")
    if last and repeatable and clean_ok and arch.faults[-1].clean_after is None:
        clean_ok = _clean(stack, arch, logs).status == Status.PASSED
    arch.stack.final_clean = clean_ok if repeatable else None
    if last is not None:
        # Plan again with the last fault armed: the stack is as configured (or the tests
        # changed it), and terraform's requests were left alone.
        stack.intercept(last)
        try:
            code = stack.replan()
        finally:
            stack.intercept(None)
        touched.update(last.callers)
        arch.stack.replan = _REPLAN.get(-1 if code is None else code, "failed")
        arch.stack.armed_at_replan = last.injector.fault.id
        arch.stack.untouched = dict(sorted(last.untouched.items()))
    arch.stack.touched = dict(sorted(touched.items()))


def _redeploy(stack: DeployedStack, arch: ArchSensitivity, say: Say) -> bool:
    """Destroy, reset the emulator, deploy again; whether it deployed."""
    stack.close()
    stack.emulator.reset_or_restart()
    arch.stack.deploys += 1
    failed = stack.deploy()
    if failed is not None:
        say(f"  could not deploy again: {failed.status} {failed.category or ''}")
    return failed is None


_REPLAN = {0: "unchanged", 2: "changed"}


def _clean(stack: DeployedStack, arch: ArchSensitivity, logs: Path) -> Result:
    """The tests once more with no fault armed: does the stack still pass?"""
    arch.stack.clean_runs += 1
    return stack.test(logs / "clean" / str(arch.stack.clean_runs))
