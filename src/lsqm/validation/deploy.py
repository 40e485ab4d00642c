"""One architecture end to end: workspace -> init -> apply -> plan (drift) -> tests ->
destroy, each stage under a time limit, ending in one :class:`~lsqm.records.Result`."""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsqm import proc
from lsqm.childenv import aws_env, child_env
from lsqm.config import Settings
from lsqm.emulator.interface import Emulator
from lsqm.errors import CommandError, EmulatorError, LsqmError, ProviderNotShared
from lsqm.files import utcnow
from lsqm.records import (
    STAGES,
    ArchitectureRecord,
    EmulatorUse,
    ProviderUse,
    Result,
    StageRecord,
    ToolchainUse,
    TraceCall,
)
from lsqm.sandbox import Sandbox
from lsqm.store import ArtifactStore
from lsqm.terraform.provider_process import SharedProvider, provider_binary, unshareable_reason
from lsqm.terraform.provider_schema import (
    ProviderCapabilities,
    aws_capabilities,
    locked_provider_versions,
)
from lsqm.terraform.runner import Terraform
from lsqm.terraform.workspace import Workspace, write_provider_overrides
from lsqm.terraform.workspace import prepare as prepare_workspace
from lsqm.toolchain.terraform_install import TerraformToolchain
from lsqm.trace.names import OperationNames
from lsqm.trace.proxy import PYTEST_PLUGIN, Call, Interceptor, RecordingProxy
from lsqm.trace.record import aggregate
from lsqm.validation.classify import Failure, classify_terraform, name_by_trace
from lsqm.validation.junit import JUnitCounts, read_junit
from lsqm.validation.verdict import (
    Verdict,
    deploy_failed,
    emulator_lost,
    harness_failed,
    tests_finished,
)

TF_FLAGS = ["-input=false", "-no-color"]


@dataclass
class Job:
    """Everything one validation needs besides the emulator."""

    store: ArtifactStore
    run_id: str
    settings: Settings
    toolchain: TerraformToolchain
    schema_cache: Path
    scratch: Path  # the run's private folder for workspaces, removed when the run ends
    sandbox: Sandbox | None = None  # the run's base sandbox (bwrap), when there is one
    test_python: str = sys.executable
    providers_seen: dict[str, str] = field(default_factory=dict)
    # Names traced calls; None: no trace (setting ``trace: false``), no proxy in between.
    names: OperationNames | None = None
    # Given the tests' answers in place of the emulator's (the fault injector); needs names.
    interceptor: Interceptor | None = None
    # time.monotonic() past which no stage may run (``lsqm reduce``'s budget): each stage's
    # limit is the timeout or what is left, whichever is smaller.
    deadline: float | None = None
    # False: no destroy stage, for callers that reset the emulator after every architecture
    # (``lsqm reduce``'s probes). The verdict never depends on destroy (it is decided first).
    destroy: bool = True


@dataclass
class Prepared:
    """An architecture made ready to deploy (workspace, init, provider process), possibly
    ahead of its turn while the emulator serves the one before it."""

    validation: Validation
    verdict: Verdict | None  # set when it cannot deploy (init failed, ...)
    endpoint: str  # the emulator endpoint it was made for (directly or through the proxy)
    started_at: str
    seconds: float
    child_seconds: float

    def discard(self) -> None:
        """Drop a preparation that will not be used (Ctrl-C, a restarted emulator)."""
        self.validation.close()


def prepare_one(
    job: Job, arch_hash: str, emulator: Emulator, *, share_provider: bool | None = None
) -> Prepared:
    """Copy, ``terraform init`` and start the provider for ``arch_hash``; touches no emulator."""
    started_at, t0, children0 = utcnow(), time.monotonic(), proc.child_seconds()
    share = job.settings.share_provider_process if share_provider is None else share_provider
    record = job.store.architecture(arch_hash)
    scratch = Path(tempfile.mkdtemp(prefix=f"{arch_hash[:8]}-", dir=job.scratch))
    validation = Validation(job, arch_hash, record, emulator, scratch, share_provider=share)
    try:
        verdict = validation.prepare()
    except LsqmError as exc:
        verdict = harness_failed(exc)
    except BaseException:  # Ctrl-C while preparing: nothing of it may stay behind
        validation.close()
        raise
    return Prepared(
        validation, verdict, emulator.endpoint, started_at,
        seconds=time.monotonic() - t0,
        child_seconds=proc.child_seconds() - children0,
    )  # fmt: skip


def validate_one(
    job: Job, arch_hash: str, emulator: Emulator, prepared: Prepared | None = None
) -> Result:
    """Deploy and test one architecture on ``emulator``; return its result (not yet written).

    ``prepared`` is this architecture made ready ahead of time (:func:`prepare_one`); it is
    prepared again if the emulator it was made for has since been replaced.
    """
    if prepared is not None and prepared.endpoint != emulator.endpoint:
        prepared.discard()
        prepared = None
    prepared = prepared or prepare_one(job, arch_hash, emulator)
    t0, children0 = time.monotonic(), proc.child_seconds()
    log_from = emulator.log_offset()
    validation, verdict = prepared.validation, _deploy(prepared)
    if validation.provider_crashed and not proc.shutting_down():
        # Whatever terraform said while its provider vanished is not evidence. Run again with
        # terraform's own provider processes: a crash is then reported as terraform reports it.
        try:
            emulator.reset_or_restart()
        except EmulatorError as exc:
            verdict = emulator_lost("emulator did not restart", exc.message)
        else:
            again = prepare_one(job, arch_hash, emulator, share_provider=False)
            validation, verdict = again.validation, _deploy(again)
            validation.provider_rerun = "the shared provider process exited; rerun per command"
    emulator.copy_log(log_from, validation.logs / "emulator.log")
    return validation.result(
        verdict,
        prepared.started_at,
        duration_s=prepared.seconds + time.monotonic() - t0,
        child_process_s=prepared.child_seconds + proc.child_seconds() - children0,
    )


def _deploy(prepared: Prepared) -> Verdict:
    validation = prepared.validation
    try:
        return prepared.verdict or validation.deploy_and_test()
    except LsqmError as exc:
        return harness_failed(exc)
    finally:
        validation.close()


def not_run_result(job: Job, arch_hash: str, verdict: Verdict) -> Result:
    """The result of an architecture no stage ran for (e.g. no emulator would start)."""
    record = job.store.architecture(arch_hash)
    return _result(job, arch_hash, record, verdict, started_at=utcnow())


def _result(
    job: Job,
    arch_hash: str,
    record: ArchitectureRecord,
    verdict: Verdict,
    *,
    started_at: str,
    stages: dict[str, StageRecord] | None = None,
    counts: JUnitCounts | None = None,
    duration_s: float = 0.0,
    child_process_s: float = 0.0,
    **facts: Any,
) -> Result:
    """The one builder of results: every stage present (skipped ones marked so), the
    verdict's fields taken from the verdict and nothing else."""
    stages = dict(stages or {})
    for name in STAGES:
        stages.setdefault(name, StageRecord(skipped=True))
    counts = counts or JUnitCounts()
    facts.setdefault("toolchain", ToolchainUse(terraform=job.toolchain.version))
    return Result(
        **facts,
        arch_hash=arch_hash,
        name=record.name or arch_hash,
        run_id=job.run_id,
        status=verdict.status,
        category=verdict.category,
        signature=verdict.signature,
        message=verdict.message,
        tests=counts.record(),
        test_cases=counts.cases,
        stages=stages,
        started_at=started_at,
        duration_s=round(duration_s, 2),
        child_process_s=round(child_process_s, 2),
    )


def scratch_root() -> Path:
    """Where a run's workspaces go. Terraform talks to providers over Unix sockets in TMPDIR,
    whose paths may not exceed 107 bytes: a deep TMPDIR makes every provider fail to start."""
    default = tempfile.gettempdir()
    return Path(default if len(default) <= 48 else "/tmp")


@dataclass
class Validation:
    """The state of one architecture's validation as it moves through the stages."""

    job: Job
    arch_hash: str
    record: ArchitectureRecord
    emulator: Emulator
    scratch: Path
    share_provider: bool = True
    stages: dict[str, StageRecord] = field(default_factory=dict)
    counts: JUnitCounts = field(default_factory=JUnitCounts)
    shared: SharedProvider | None = None
    provider_crashed: bool = False
    caps: ProviderCapabilities | None = None
    sandbox: Sandbox | None = None  # terraform's and the provider's view of the filesystem
    # facts the result reports besides the verdict
    provider: ProviderUse | None = None
    workspace_notes: list[str] = field(default_factory=list)
    relaxed_constraints: bool | None = None
    drift: bool | None = None
    provider_rerun: str | None = None
    locked_providers: dict[str, str] = field(default_factory=dict)
    proxy: RecordingProxy | None = None  # the recording proxy terraform and the tests call
    calls: list[Call] = field(default_factory=list)  # what it recorded, once it stopped
    deployed_calls: int = 0  # calls up to the end of apply and plan
    tests_from: int | None = None  # where the latest test run's calls start

    def __post_init__(self) -> None:
        self.logs = self.job.store.logs_dir(self.job.run_id, self.arch_hash)
        self.outputs_path = self.logs / "outputs.json"
        self.state_path = self.logs / "state.json"

    @property
    def limit(self) -> float:
        """A stage's time limit: the timeout, or less when the job's deadline is nearer."""
        timeout = self.job.settings.timeout
        if self.job.deadline is None:
            return timeout
        return max(1.0, min(timeout, self.job.deadline - time.monotonic()))

    def result(
        self, verdict: Verdict, started_at: str, *, duration_s: float, child_process_s: float
    ) -> Result:
        return _result(
            self.job, self.arch_hash, self.record, verdict,
            started_at=started_at, stages=self.stages, counts=self.counts,
            duration_s=duration_s, child_process_s=child_process_s,
            provider=self.provider, workspace_notes=self.workspace_notes,
            relaxed_constraints=self.relaxed_constraints, drift=self.drift,
            provider_rerun=self.provider_rerun,
            emulator=EmulatorUse(
                runtime=self.emulator.runtime, restarts=self.emulator.restarts,
                kind=self.emulator.kind, version=self.emulator.identity().version,
            ),
            toolchain=ToolchainUse(
                terraform=self.job.toolchain.version, providers=self.locked_providers
            ),
            trace=self.trace(),
        )  # fmt: skip

    @property
    def endpoint(self) -> str:
        """The endpoint terraform and the tests are given: the recording proxy's, if any."""
        return self.proxy.url if self.proxy is not None else self.emulator.endpoint

    def trace(self) -> list[TraceCall]:
        """The calls recorded so far (all of them once the proxy stopped), as trace rows."""
        if self.job.names is None:
            return []
        calls = self.proxy.recording.calls() if self.proxy is not None else self.calls
        if self.tests_from is not None and self.tests_from > self.deployed_calls:
            # A later test run on the same stack: the deploy's calls and its own, no other run's.
            start, end = self.deployed_calls, self.tests_from
            calls = [c for c in calls if not start <= c.index < end]
        return aggregate(calls, self.job.names)

    def _caller(self, caller: str) -> None:
        if self.proxy is not None:
            self.proxy.recording.caller = caller

    def _record(self, name: str, result: proc.Completed) -> proc.Completed:
        self.stages[name] = StageRecord(
            ok=result.ok,
            seconds=round(result.seconds, 2),
            exit_code=result.exit_code,
            timed_out=result.timed_out,
        )
        return result

    def _terraform(self, stage: str | None, *args: str) -> proc.Completed:
        log = self.logs / f"{stage}.log" if stage else None
        if stage:
            self._caller(stage)
        result = self.tf(list(args), cwd=self.root, timeout=self.limit, log_path=log)
        return self._record(stage, result) if stage else result

    def prepare(self) -> Verdict | None:
        """Workspace, init, overrides, provider process; a verdict if it cannot deploy.

        Nothing here talks to the emulator, so it may run while the emulator serves (or
        restarts for) another architecture: no command is aborted for the emulator's sake.
        """
        settings = self.job.settings
        ws = prepare_workspace(
            self.job.store.architecture_dir(self.arch_hash),
            self.scratch / "ws",
            self.record.root,
            relax=settings.relax_provider_constraints,
        )
        self.root = ws.root
        self.workspace_notes = ws.notes
        if settings.relax_provider_constraints:
            self.relaxed_constraints = any("relaxed" in n for n in ws.notes)
        home = self.scratch / "home"
        home.mkdir()
        emulator = self.emulator
        if self.job.names is not None:  # its own listener: init's calls are this one's
            self.proxy = RecordingProxy(lambda: emulator.endpoint, interceptor=self.job.interceptor)
        toolchain = self.job.toolchain
        self.sandbox = self.job.sandbox and self.job.sandbox.with_paths(
            writable=[self.scratch, *toolchain.write_paths], readable=toolchain.read_paths
        )
        env = aws_env(self.endpoint, settings.region)
        self.tf = Terraform(toolchain, home, env, sandbox=self.sandbox)

        init = self._terraform("init", "init", *TF_FLAGS)
        if not init.ok:
            failure = _explain_init(classify_terraform("init", init.output), self.job)
            return deploy_failed(failure, timed_out=init.timed_out, emulator_alive=True)
        self.locked_providers = locked_provider_versions(ws.root)
        try:
            self.caps = aws_capabilities(self.tf, ws.root, self.job.schema_cache, self.limit)
        except CommandError as exc:
            return harness_failed(exc, "provider schema unreadable")
        if self.caps is not None:
            write_provider_overrides(ws, self.caps, self.endpoint, settings.region)
            self.job.providers_seen[self.caps.source] = self.caps.version
            self.provider = ProviderUse(
                source=self.caps.source,
                version=self.caps.version,
                process=self._share_provider(ws, self.caps),
            )
        return None

    def deploy_and_test(self) -> Verdict:
        """apply -> plan -> tests -> destroy, on a prepared workspace."""
        try:
            return self.deploy() or self.test()
        finally:
            self.destroy()

    def deploy(self) -> Verdict | None:
        """apply, then plan beside reading the outputs and state; a verdict if apply failed."""
        emulator = self.emulator
        self.tf.abort = lambda: not emulator.alive() or self.provider_lost()
        apply = self._terraform("apply", "apply", "-auto-approve", *TF_FLAGS)
        if not apply.ok:
            failure = _name_provider(classify_terraform("apply", apply.output), self.caps)
            failure = name_by_trace(failure, self.trace(), "apply")
            alive = not apply.aborted and emulator.healthy()
            return deploy_failed(failure, timed_out=apply.timed_out, emulator_alive=alive)
        # Reading outputs and state and planning only read the state file and the emulator:
        # the reads run beside the plan instead of before it.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="lsqm-state") as pool:
            reads = pool.submit(self._read_outputs_and_state)
            plan = self._terraform("plan", "plan", "-detailed-exitcode", "-lock=false", *TF_FLAGS)
            self.outputs_path, self.state_path = reads.result()
        self.stages["plan"].ok = plan.exit_code in (0, 2)  # 2 = drift, recorded apart
        self.drift = plan.exit_code == 2 if plan.exit_code in (0, 2) else None
        self.deployed_calls = self._call_count()
        return None

    def destroy(self) -> None:
        """Destroy what apply made, unless the emulator or the provider is gone."""
        if self.job.destroy and self.emulator.alive() and not self.provider_lost():
            # The state is fresh from apply/plan: refreshing it again only costs time.
            self._terraform("destroy", "destroy", "-auto-approve", "-refresh=false", *TF_FLAGS)

    def replan(self, log: Path) -> int | None:
        """``plan -detailed-exitcode`` again on the deployed stack (recorded as no stage): 0
        when it is still as configured, 2 when something changed it, None when plan failed."""
        self._caller("plan")
        flags = ["-detailed-exitcode", "-lock=false", *TF_FLAGS]
        result = self.tf(["plan", *flags], cwd=self.root, timeout=self.limit, log_path=log)
        return result.exit_code if result.exit_code in (0, 2) else None

    def test(self, logs: Path | None = None, first_failure: bool = False) -> Verdict:
        """Run the app's tests on the deployed stack and judge them (again, on a stack
        deployed once: each run's counts, stage and trace are its own; ``logs``: where its
        pytest.log and junit.xml go, default the architecture's logs; ``first_failure``:
        stop at the first failing test, pytest -x)."""
        store = self.job.store
        app_dir = store.app_dir(self.arch_hash)
        has_app = store.has_app(self.arch_hash) or any(app_dir.glob("test_*.py"))
        self.tests_from = self._call_count()
        exit_code, timed_out = None, False
        self.counts = JUnitCounts()
        if has_app:
            run = self._run_tests(app_dir, logs or self.logs, ["-x"] if first_failure else [])
            result = self._record("test", run)
            exit_code, timed_out = result.exit_code, result.timed_out
        return tests_finished(
            self.counts,
            exit_code=exit_code,
            timed_out=timed_out,
            emulator_alive=self.emulator.healthy(),
            has_app=has_app,
            endpoint=self.endpoint,
            trace=self.trace(),
        )

    def _call_count(self) -> int:
        return len(self.proxy.recording.calls()) if self.proxy is not None else 0

    def _share_provider(self, ws: Workspace, caps: ProviderCapabilities) -> str:
        """Start this architecture's provider process; say which way terraform gets one."""
        if not self.share_provider:
            return "per-command"
        binary = provider_binary(ws.root, caps.source, caps.version)
        if binary is None:
            return "per-command (provider executable not found)"
        reason = unshareable_reason(ws)
        if reason is not None:
            return f"per-command ({reason})"
        try:
            self.shared = SharedProvider(
                binary, caps.source, cwd=ws.root, env=dict(self.tf.env),
                log_path=self.scratch / "provider.log", sandbox=self.sandbox,
            )  # fmt: skip
        except ProviderNotShared as exc:
            return f"per-command ({exc.message})"
        self.tf.env.update(self.shared.env())
        return "shared"

    def provider_lost(self) -> bool:
        return self.shared is not None and self.shared.crashed

    def close(self) -> None:
        """Stop the shared provider (noting whether it had died) and remove the scratch."""
        if self.shared is not None:
            self.provider_crashed = self.shared.crashed
            self.shared.stop()
            if self.provider_crashed:
                self.logs.mkdir(parents=True, exist_ok=True)
                (self.logs / "shared-provider.log").write_text(self.shared.log_tail())
            self.shared = None
        if self.proxy is not None:
            self.proxy.stop()
            self.calls = self.proxy.recording.calls()
            self.proxy = None
        shutil.rmtree(self.scratch, ignore_errors=True)

    def _read_outputs_and_state(self) -> tuple[Path, Path]:
        """Write what "What a test sees" promises: ``output -json`` and ``show -json``."""
        outputs = self._terraform(None, "output", "-json")
        state = self._terraform(None, "show", "-json")
        outputs_path, state_path = self.logs / "outputs.json", self.logs / "state.json"
        outputs_path.write_text(outputs.output if outputs.ok else "{}")
        state_path.write_text(state.output if state.ok else "{}")
        return outputs_path, state_path

    def _run_tests(self, app_dir: Path, logs: Path, options: list[str]) -> proc.Completed:
        """Run the app's tests as docs/design.md, "What a test sees" says; counts from JUnit.
        Each run starts from a fresh copy of the app and a fresh home."""
        cwd = self.scratch / "tests"
        junit = self.scratch / "junit.xml"  # copied to the logs: a sandboxed test cannot write
        home = self.scratch / "test-home"
        for stale in (cwd, home):
            shutil.rmtree(stale, ignore_errors=True)
        junit.unlink(missing_ok=True)
        shutil.copytree(app_dir, cwd, ignore=shutil.ignore_patterns("__pycache__", "app.json"))
        ini = self.scratch / "pytest.ini"
        ini.write_text("[pytest]\n")
        home.mkdir()
        logs.mkdir(parents=True, exist_ok=True)
        trace_env, trace_args = self._trace_plugin()
        env = child_env(
            home,
            {
                **aws_env(self.endpoint, self.job.settings.region),
                **trace_env,
                "LSQM_TF_OUTPUTS": str(self.outputs_path.resolve()),
                "LSQM_TF_STATE": str(self.state_path.resolve()),
                "PYTHONDONTWRITEBYTECODE": "1",
                "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
            },
        )
        argv = [
            self.job.test_python, "-m", "pytest", "-c", str(ini), "--rootdir", str(cwd),
            "-p", "no:cacheprovider", "-q", "-rN", f"--junitxml={junit}",
            "-o", "junit_family=xunit2", *trace_args, *options, str(cwd),
        ]  # fmt: skip
        emulator = self.emulator
        if self.job.sandbox is not None:
            # Its own processes and /proc; the logs it reads (outputs, state) read-only.
            sandbox = self.job.sandbox.with_paths(
                writable=[self.scratch],
                readable=[*_python_paths(self.job.test_python), self.logs],
                own_processes=True,
            )
            argv = sandbox.wrap(argv, cwd)
        self._caller("test")
        result = proc.run(
            argv,
            env=env,
            cwd=cwd,
            timeout=self.limit,
            log_path=logs / "pytest.log",
            abort=lambda: not emulator.alive(),
        )
        self.counts = read_junit(junit)
        if junit.is_file():
            shutil.copyfile(junit, logs / "junit.xml")
        return result

    def _trace_plugin(self) -> tuple[dict[str, str], list[str]]:
        """The environment and options that load lsqm's trace plugin into the test run (it
        tells the proxy which test is running); nothing without a proxy."""
        if self.proxy is None:
            return {}, []
        folder = self.scratch / "lsqm-plugins"
        folder.mkdir(exist_ok=True)
        shutil.copyfile(PYTEST_PLUGIN, folder / f"{TRACE_PLUGIN}.py")
        env = {"PYTHONPATH": str(folder), "LSQM_TRACE_URL": self.proxy.url}
        return env, ["-p", TRACE_PLUGIN]


TRACE_PLUGIN = "lsqm_trace_plugin"


def _python_paths(python: str) -> list[Path]:
    """What the test interpreter needs to read: its environment and the Python it was made
    from (a virtual environment links to a base installation)."""
    found = {Path(python).parent.parent, Path(python).resolve().parent.parent}
    if python == sys.executable:
        found |= {Path(sys.prefix), Path(sys.base_prefix)}
    return sorted(found)


def _explain_init(failure: Failure, job: Job) -> Failure:
    """Name what is available when a version constraint cannot be met (init failures)."""
    if failure.category != "environment" or not job.toolchain.offline_providers:
        return failure
    available = ", ".join(f"{k} {v}" for k, v in job.toolchain.offline_providers.items())
    # Relaxing helps only a version constraint, not a provider missing from the mirror.
    relaxable = "constraint" in failure.signature or "required_version" in failure.signature
    hint = (
        "; set relax_provider_constraints: true to try anyway"
        if relaxable and not job.settings.relax_provider_constraints
        else ""
    )
    return Failure(
        failure.category,
        failure.signature,
        f"{failure.message} (available offline: {available}{hint})",
    )


def _name_provider(failure: Failure, caps: ProviderCapabilities | None) -> Failure:
    """Say which provider did not know an argument or resource type (an environment limit)."""
    if failure.category == "environment" and "installed provider" in failure.signature and caps:
        who = f"{caps.source.split('/', 1)[1]} {caps.version}"
        return Failure(
            failure.category,
            failure.signature.replace("the installed provider", who),
            failure.message,
        )
    return failure
