"""A validation run: workers, one emulator each, over a queue of architectures.

Each result is written the moment it is known, so a run killed at any point keeps what it
finished and ``--run-id`` resumes it. Ctrl-C kills every child process group (terraform,
pytest, LocalStack) and marks the run interrupted.
"""

from __future__ import annotations

import contextlib
import queue
import shutil
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from lsqm import proc, sandbox
from lsqm.config import Settings
from lsqm.emulator import check_reachable, describe_target, emulator_factory, resolve_runtime
from lsqm.emulator.interface import Emulator
from lsqm.errors import EmulatorError, UsageError
from lsqm.files import utcnow
from lsqm.messages import Say, quiet
from lsqm.records import (
    Attempt,
    Category,
    EmulatorInfo,
    Result,
    Run,
    RunSettings,
    RunStatus,
    ShardInfo,
    TerraformInfo,
    summarize,
)
from lsqm.store import ArtifactStore, new_run_id
from lsqm.toolchain.terraform_install import TerraformToolchain, ensure_terraform
from lsqm.trace.names import OperationNames
from lsqm.validation import cost
from lsqm.validation.deploy import (
    Job,
    Prepared,
    not_run_result,
    prepare_one,
    scratch_root,
    validate_one,
)
from lsqm.validation.verdict import emulator_lost, same_verdict, worth_rerunning

ResultCallback = Callable[[Result], None]


@dataclass
class RunPlan:
    run_id: str
    todo: list[str]
    done: list[str]
    resumed: bool
    shard: ShardInfo | None = None


def plan_run(
    store: ArtifactStore,
    *,
    run_id: str | None,
    arch: list[str] | None,
    shard: tuple[int, int] | None,
) -> RunPlan:
    """Which architectures this run covers, minus those a resumed run already finished,
    longest expected first. A shard is one of ``N`` parts of about equal expected seconds
    (:mod:`lsqm.validation.cost`); a resumed shard keeps the architectures it started with."""
    known = store.architecture_hashes()
    if arch:
        missing = [h for h in arch if h not in known]
        if missing:
            raise UsageError(f"unknown architecture(s): {', '.join(missing)}; see 'lsqm status'")
        selected = list(dict.fromkeys(arch))
    else:
        selected = known
    resumed = run_id is not None and store.has_run(run_id, shard)
    costs = cost.expected_costs(store, selected)
    info = None
    if shard:
        index, count = shard
        parts = cost.partition(selected, costs, count)
        info = ShardInfo(
            index=index, count=count, selected=len(selected), plan=cost.plan_digest(parts)
        )
        selected = parts[index - 1]
        if run_id is not None and resumed:
            earlier = store.run(run_id, shard)
            info = earlier.shard or info
            selected = [h for h in earlier.architectures if h in costs] or selected
    done = [h for h in store.result_hashes(run_id) if h in selected] if run_id and resumed else []
    todo = cost.longest_first([h for h in selected if h not in done], costs)
    return RunPlan(run_id or new_run_id(), todo, done, resumed, info)


@dataclass
class _Shared:
    job: Job
    todo: queue.Queue[str]
    on_result: ResultCallback
    stop: threading.Event = field(default_factory=threading.Event)
    infos: list[EmulatorInfo] = field(default_factory=list)
    start_errors: list[str] = field(default_factory=list)
    restarts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def execute(
    settings: Settings,
    store: ArtifactStore,
    plan: RunPlan,
    *,
    on_result: ResultCallback,
    toolchain: TerraformToolchain | None = None,
    say: Say = quiet,
    group: str | None = None,
) -> Run:
    """Validate ``plan.todo``; return the final run record.

    Every workspace lives under one private folder of the run, removed however the run
    ends (Ctrl-C, SIGTERM, SIGHUP included), so nothing is left in TMPDIR.
    """
    runtime = resolve_runtime(settings)
    check_reachable(settings, runtime)  # before run.json: a refused run leaves no trace
    base_sandbox, warnings = sandbox.choose(settings.sandbox)
    toolchain = toolchain or ensure_terraform(settings)
    logs = store.run_dir(plan.run_id) / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    shard = (plan.shard.index, plan.shard.count) if plan.shard else None
    run = (
        store.run(plan.run_id, shard)
        if plan.resumed
        else Run(run_id=plan.run_id, started_at=utcnow(), shard=plan.shard)
    )
    run.status = RunStatus.RUNNING
    run.architectures = sorted(set(run.architectures) | set(plan.todo) | set(plan.done))
    run.settings = RunSettings(
        parallel=settings.parallel,
        timeout_s=settings.timeout,
        relax_provider_constraints=settings.relax_provider_constraints,
        region=settings.region,
        rerun_failures=settings.rerun_failures,
    )
    run.terraform = TerraformInfo(
        version=toolchain.version,
        binary=str(toolchain.binary),
        offline_mirror=toolchain.mirror is not None,
        providers=dict(toolchain.offline_providers),
    )
    run.sandbox = "bwrap" if base_sandbox else "none"
    run.warnings = sorted(set(run.warnings) | set(warnings))
    for warning in warnings:
        say(f"warning: {warning}")
    if plan.resumed:
        run.resumed_at.append(utcnow())
    # Versions side by side: the run is tagged with its emulator before any starts (the
    # running emulator's own report replaces this), and runs made together share a group.
    run.emulator = run.emulator or describe_target(settings, runtime)
    run.group = run.group or group
    store.write_run(run)
    scratch = Path(tempfile.mkdtemp(prefix="lsqm-run-", dir=scratch_root()))
    try:
        factory = emulator_factory(settings, runtime, logs, scratch)
        # One namer for the run's traces (botocore's models are read once, lazily).
        names = OperationNames(settings.cache_dir / "trace") if settings.trace else None
        job = Job(
            store, plan.run_id, settings, toolchain, settings.cache_dir / "provider-schemas",
            scratch, base_sandbox, names=names,
        )  # fmt: skip
        return _execute(settings, store, plan, run, job, factory, on_result, say)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _execute(
    settings: Settings,
    store: ArtifactStore,
    plan: RunPlan,
    run: Run,
    job: Job,
    factory: Callable[[int], Emulator],
    on_result: ResultCallback,
    say: Say,
) -> Run:
    todo: queue.Queue[str] = queue.Queue()
    for arch_hash in plan.todo:
        todo.put(arch_hash)
    shared = _Shared(job, todo, on_result)
    workers = [
        threading.Thread(target=_worker, args=(shared, factory, i), name=f"lsqm-worker-{i}")
        for i in range(min(settings.parallel, max(1, len(plan.todo))))
    ]
    if plan.todo:
        say(f"validating {len(plan.todo)} architecture(s) with {len(workers)} worker(s)")
    try:
        for worker in workers if plan.todo else []:
            worker.start()
        for worker in workers if plan.todo else []:
            while worker.is_alive():
                worker.join(timeout=0.5)
    except KeyboardInterrupt:
        shared.stop.set()
        proc.kill_all()
        for worker in workers:
            if worker.is_alive():
                worker.join(timeout=30)
        run.status, run.interrupted_at = RunStatus.INTERRUPTED, utcnow()
        _finish(store, run, shared)
        raise
    _record_unstarted(shared)
    run.status, run.finished_at = RunStatus.COMPLETE, utcnow()
    return _finish(store, run, shared)


def _finish(store: ArtifactStore, run: Run, shared: _Shared) -> Run:
    if shared.infos:
        first = shared.infos[0]
        notes = sorted({n for i in shared.infos for n in i.notes})
        asked = run.emulator.version if run.emulator else "unknown"
        version = asked if first.version == "unknown" else first.version
        run.emulator = first.model_copy(update={"notes": notes, "version": version})
    run.emulator_restarts += shared.restarts
    run.terraform.providers.update(
        {k.split("/", 1)[-1]: v for k, v in shared.job.providers_seen.items()}
    )
    ours = set(run.architectures)  # a shard counts its own, not its neighbours' in this store
    results = {h: r for h, r in store.results(run.run_id).items() if h in ours}
    run.summary = summarize(results.values())
    store.write_run(run)
    if run.shard is None:  # a shard's index would be its neighbours' too: merge writes it
        store.write_run_index(run.run_id, results)  # what history readers of many runs read
    return run


class _ServiceLoader:
    """Starts services in the background before the architectures that use them deploy:
    LocalStack otherwise starts each on its first request (up to 3 s), inside some apply.
    Loading early changes nothing but when; a restarted emulator loads them again."""

    def __init__(self, emulator: Emulator, store: ArtifactStore) -> None:
        self.emulator, self.store = emulator, store
        self._loaded: set[str] = set()
        self._restarts = emulator.restarts

    def __call__(self, *arch_hashes: str | None) -> None:
        if self.emulator.restarts != self._restarts:
            self._loaded, self._restarts = set(), self.emulator.restarts
        wanted = [
            service
            for arch_hash in arch_hashes
            if arch_hash
            for service in self.store.architecture(arch_hash).services
        ]
        new = [s for s in dict.fromkeys(wanted) if s not in self._loaded]
        if new and self.emulator.alive():
            self._loaded.update(new)
            threading.Thread(
                target=self.emulator.load_services,
                args=(new,),
                name="lsqm-load-services",
                daemon=True,
            ).start()


def _worker(shared: _Shared, factory: Callable[[int], Emulator], index: int) -> None:
    emulator: Emulator | None = None
    ahead = _Ahead(shared)
    try:
        emulator = factory(index)
        if not _emulator_step(shared, emulator.start):
            return
        load_services = _ServiceLoader(emulator, shared.job.store)
        with shared.lock:
            shared.infos.append(emulator.info())
        first = True
        while not shared.stop.is_set():
            arch_hash, prepared = ahead.take()
            if arch_hash is None:
                return
            if not first and not _emulator_step(shared, emulator.reset_or_restart):
                ahead.give_back(arch_hash, prepared)  # another worker, or an honest ERROR
                return
            first = False
            load_services(arch_hash, ahead.prepare_next(emulator))
            result = validate_one(shared.job, arch_hash, emulator, prepared)
            result = _rerun_failures(shared, emulator, result)
            if shared.stop.is_set():
                return  # interrupted mid-way: this architecture's result would be a lie
            shared.job.store.write_result(result)
            shared.on_result(result)
            lost = result.category == Category.EMULATOR_UNAVAILABLE
            needs_restart = lost or not emulator.healthy()
            if needs_restart and not _emulator_step(shared, emulator.restart):
                return
    finally:
        ahead.close()
        if emulator is not None:
            emulator.stop()
            with shared.lock:
                shared.restarts += emulator.restarts


def _rerun_failures(shared: _Shared, emulator: Emulator, first: Result) -> Result:
    """Rerun a failing architecture up to ``rerun_failures`` times on a reset emulator.

    Reruns stop at the first PASSED. The result is the last attempt, with the earlier ones
    in ``attempts`` (their logs under ``logs/<hash>/attempt-<n>/``) and ``flaky`` set when
    any two attempts disagree: compare reports a flaky flip apart from a regression.
    """
    result = first
    attempts: list[Attempt] = []
    store, job = shared.job.store, shared.job
    for number in range(1, job.settings.rerun_failures + 1):
        if not worth_rerunning(result.status, result.category) or shared.stop.is_set():
            break
        if not _emulator_step(shared, emulator.reset_or_restart):
            break
        attempts.append(result.attempt())
        logs = store.logs_dir(job.run_id, result.arch_hash)
        kept = logs / f"attempt-{number}"
        kept.mkdir()
        for path in list(logs.iterdir()):
            if not path.name.startswith("attempt-"):
                path.rename(kept / path.name)
        result = validate_one(job, result.arch_hash, emulator)
    if not attempts:
        return result
    last = result.attempt()
    flaky = any(not same_verdict(a, last) for a in attempts)
    return result.model_copy(update={"attempts": attempts, "flaky": flaky})


class _Ahead:
    """The worker's next architecture, taken from the queue and prepared (copy, init,
    provider process) while the current one deploys: that work needs no emulator, and the
    emulator would otherwise wait for it."""

    def __init__(self, shared: _Shared) -> None:
        self.shared = shared
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lsqm-prepare")
        self.next: tuple[str, Future[Prepared]] | None = None

    def prepare_next(self, emulator: Emulator) -> str | None:
        """Take the next architecture and start preparing it; its hash, if there is one."""
        if self.next is not None:
            return self.next[0]
        if self.shared.stop.is_set():
            return None
        try:
            arch_hash = self.shared.todo.get_nowait()
        except queue.Empty:
            return None
        future = self.pool.submit(prepare_one, self.shared.job, arch_hash, emulator)
        self.next = (arch_hash, future)
        return arch_hash

    def take(self) -> tuple[str | None, Prepared | None]:
        """The next architecture and, when it was prepared ahead, its preparation."""
        if self.next is not None:
            arch_hash, future = self.next
            self.next = None
            try:
                return arch_hash, future.result()
            except KeyboardInterrupt:  # Ctrl-C arrived while it was being prepared
                return None, None
        try:
            return self.shared.todo.get_nowait(), None
        except queue.Empty:
            return None, None

    def give_back(self, arch_hash: str, prepared: Prepared | None) -> None:
        if prepared is not None:
            prepared.discard()
        self.shared.todo.put(arch_hash)

    def close(self) -> None:
        """Return an unused preparation's architecture to the queue; free what it holds."""
        if self.next is not None:
            arch_hash, future = self.next
            self.next = None
            prepared = None
            with contextlib.suppress(Exception, KeyboardInterrupt):
                prepared = future.result()
            self.give_back(arch_hash, prepared)
        self.pool.shutdown(wait=True)


def _emulator_step(shared: _Shared, step: Callable[[], object]) -> bool:
    """Run a start/reset/restart; a failure is kept as the reason for what goes unserved."""
    try:
        step()
    except EmulatorError as exc:
        with shared.lock:
            shared.start_errors.append(exc.message)
        return False
    return True


def _record_unstarted(shared: _Shared) -> None:
    """Architectures no worker could take (no emulator would start) get an honest ERROR."""
    reason = shared.start_errors[-1] if shared.start_errors else "no emulator was available"
    verdict = emulator_lost("emulator did not start", reason)
    while True:
        try:
            arch_hash = shared.todo.get_nowait()
        except queue.Empty:
            return
        result = not_run_result(shared.job, arch_hash, verdict)
        shared.job.store.write_result(result)
        shared.on_result(result)
