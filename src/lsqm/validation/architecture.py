"""One architecture end to end: workspace -> init -> apply -> plan (drift) -> tests ->
destroy, each stage under a time limit, ending in one result dict (DESIGN.md)."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsqm import proc
from lsqm.childenv import aws_env, child_env
from lsqm.config import Settings
from lsqm.emulator.interface import Emulator
from lsqm.errors import CommandError, LsqmError
from lsqm.store import ArtifactStore, utcnow
from lsqm.terraform.provider_schema import ProviderCapabilities, aws_capabilities
from lsqm.terraform.runner import Terraform
from lsqm.terraform.workspace import prepare, write_provider_overrides
from lsqm.toolchain.terraform import TerraformToolchain
from lsqm.validation.classify import Failure, classify_terraform
from lsqm.validation.junit import JUnitCounts, read_junit
from lsqm.validation.verdict import Verdict, deploy_failed, tests_finished

STAGES = ("init", "apply", "plan", "test", "destroy")
TF_FLAGS = ["-input=false", "-no-color"]


@dataclass
class Job:
    """Everything one validation needs besides the emulator."""

    store: ArtifactStore
    run_id: str
    settings: Settings
    toolchain: TerraformToolchain
    schema_cache: Path
    test_python: str = sys.executable
    providers_seen: dict[str, str] = field(default_factory=dict)


def validate_one(job: Job, arch_hash: str, emulator: Emulator) -> dict[str, Any]:
    """Deploy and test one architecture on ``emulator``; return its result (not yet written)."""
    started_at, t0, children0 = utcnow(), time.monotonic(), proc.child_seconds()
    stages: dict[str, dict[str, Any]] = {}
    logs = job.store.logs_dir(job.run_id, arch_hash)
    meta = job.store.architecture(arch_hash)
    scratch = Path(tempfile.mkdtemp(prefix=f"lsqm-{arch_hash[:8]}-", dir=_scratch_root()))
    extra: dict[str, Any] = {}
    try:
        verdict = _deploy_and_test(job, arch_hash, meta, emulator, scratch, logs, stages, extra)
    except LsqmError as exc:  # harness failure: never blame the emulator for it
        verdict = Verdict("ERROR", "harness", f"harness: {type(exc).__name__}", exc.message)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for name in STAGES:
        stages.setdefault(name, {"ok": None, "seconds": 0.0, "exit_code": None, "skipped": True})
    return {
        "arch_hash": arch_hash,
        "name": meta.get("name", arch_hash),
        "run_id": job.run_id,
        "status": verdict.status,
        "category": verdict.category,
        "signature": verdict.signature,
        "message": verdict.message,
        "tests": extra.pop("tests", JUnitCounts().to_json()),
        "stages": stages,
        "started_at": started_at,
        "duration_s": round(time.monotonic() - t0, 2),
        "child_process_s": round(proc.child_seconds() - children0, 2),
        **extra,
    }


def _scratch_root() -> str:
    """Where workspaces go. Terraform talks to providers over Unix sockets in TMPDIR, whose
    paths may not exceed 107 bytes: a deep TMPDIR makes every provider fail to start."""
    default = tempfile.gettempdir()
    return default if len(default) <= 48 else "/tmp"


def _stage(stages: dict[str, dict[str, Any]], name: str, result: proc.Completed) -> None:
    stages[name] = {
        "ok": result.ok,
        "seconds": round(result.seconds, 2),
        "exit_code": result.exit_code,
        "timed_out": result.timed_out,
    }


def _deploy_and_test(
    job: Job,
    arch_hash: str,
    meta: dict[str, Any],
    emulator: Emulator,
    scratch: Path,
    logs: Path,
    stages: dict[str, dict[str, Any]],
    extra: dict[str, Any],
) -> Verdict:
    settings = job.settings
    limit = settings.timeout
    ws = prepare(
        job.store.architecture_dir(arch_hash),
        scratch / "ws",
        meta.get("root", "."),
        relax=settings.relax_provider_constraints,
    )
    extra["workspace_notes"] = ws.notes
    if settings.relax_provider_constraints:
        extra["relaxed_constraints"] = any("relaxed" in n for n in ws.notes)
    home = scratch / "home"
    home.mkdir()
    tf = Terraform(
        job.toolchain,
        home,
        aws_env(emulator.endpoint, settings.region),
        abort=lambda: not emulator.alive(),
    )

    init = tf(["init", *TF_FLAGS], cwd=ws.root, timeout=limit, log_path=logs / "init.log")
    _stage(stages, "init", init)
    if not init.ok:
        failure = _explain_init(classify_terraform("init", init.output), job)
        return deploy_failed(failure, timed_out=init.timed_out, emulator_alive=True)

    try:
        caps = aws_capabilities(tf, ws.root, job.schema_cache, limit)
    except CommandError as exc:
        return Verdict("ERROR", "harness", "provider schema unreadable", exc.message)
    if caps is not None:
        write_provider_overrides(ws, caps, emulator.endpoint, settings.region)
        job.providers_seen[caps.source] = caps.version
        extra["provider"] = {"source": caps.source, "version": caps.version}

    apply = tf(
        ["apply", "-auto-approve", *TF_FLAGS],
        cwd=ws.root,
        timeout=limit,
        log_path=logs / "apply.log",
    )
    _stage(stages, "apply", apply)
    try:
        if not apply.ok:
            failure = _name_provider(classify_terraform("apply", apply.output), caps)
            alive = not apply.aborted and emulator.healthy()
            return deploy_failed(failure, timed_out=apply.timed_out, emulator_alive=alive)
        return _plan_and_test(job, arch_hash, tf, ws.root, emulator, scratch, logs, stages, extra)
    finally:
        if emulator.alive():
            # The state is fresh from apply/plan: refreshing it again only costs time.
            destroy = tf(
                ["destroy", "-auto-approve", "-refresh=false", *TF_FLAGS],
                cwd=ws.root,
                timeout=limit,
                log_path=logs / "destroy.log",
            )
            _stage(stages, "destroy", destroy)


def _plan_and_test(
    job: Job,
    arch_hash: str,
    tf: Terraform,
    root: Path,
    emulator: Emulator,
    scratch: Path,
    logs: Path,
    stages: dict[str, dict[str, Any]],
    extra: dict[str, Any],
) -> Verdict:
    limit = job.settings.timeout
    outputs = tf(["output", "-json"], cwd=root, timeout=limit)
    state = tf(["show", "-json"], cwd=root, timeout=limit)
    outputs_path, state_path = logs / "outputs.json", logs / "state.json"
    outputs_path.write_text(outputs.output if outputs.ok else "{}")
    state_path.write_text(state.output if state.ok else "{}")

    plan = tf(
        ["plan", "-detailed-exitcode", "-lock=false", *TF_FLAGS],
        cwd=root,
        timeout=limit,
        log_path=logs / "plan.log",
    )
    _stage(stages, "plan", plan)
    stages["plan"]["ok"] = plan.exit_code in (0, 2)
    extra["drift"] = plan.exit_code == 2 if plan.exit_code in (0, 2) else None

    app_dir = job.store.app_dir(arch_hash)
    has_app = job.store.has_app(arch_hash) or any(app_dir.glob("test_*.py"))
    counts, exit_code, timed_out = JUnitCounts(), None, False
    if has_app:
        counts, result = _run_tests(job, app_dir, emulator, scratch, logs, outputs_path, state_path)
        _stage(stages, "test", result)
        exit_code, timed_out = result.exit_code, result.timed_out
    extra["tests"] = counts.to_json()
    return tests_finished(
        counts,
        exit_code=exit_code,
        timed_out=timed_out,
        emulator_alive=emulator.healthy(),
        has_app=has_app,
    )


def _run_tests(
    job: Job,
    app_dir: Path,
    emulator: Emulator,
    scratch: Path,
    logs: Path,
    outputs_path: Path,
    state_path: Path,
) -> tuple[JUnitCounts, proc.Completed]:
    """Run the app's tests as DESIGN.md's "What a test sees" says; counts from JUnit XML."""
    cwd = scratch / "tests"
    shutil.copytree(app_dir, cwd, ignore=shutil.ignore_patterns("__pycache__", "app.json"))
    ini = scratch / "pytest.ini"
    ini.write_text("[pytest]\n")
    junit = logs / "junit.xml"
    junit.unlink(missing_ok=True)
    home = scratch / "test-home"
    home.mkdir()
    env = child_env(
        home,
        {
            **aws_env(emulator.endpoint, job.settings.region),
            "LSQM_TF_OUTPUTS": str(outputs_path.resolve()),
            "LSQM_TF_STATE": str(state_path.resolve()),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        },
    )
    argv = [
        job.test_python,
        "-m",
        "pytest",
        "-c",
        str(ini),
        "--rootdir",
        str(cwd),
        "-p",
        "no:cacheprovider",
        "-q",
        "-rN",
        f"--junitxml={junit}",
        "-o",
        "junit_family=xunit2",
        str(cwd),
    ]
    result = proc.run(
        argv,
        env=env,
        cwd=cwd,
        timeout=job.settings.timeout,
        log_path=logs / "pytest.log",
        abort=lambda: not emulator.alive(),
    )
    return read_junit(junit), result


def _explain_init(failure: Failure, job: Job) -> Failure:
    """Name what is available when a version constraint cannot be met (init failures)."""
    if failure.category != "environment" or not job.toolchain.offline_providers:
        return failure
    available = ", ".join(f"{k} {v}" for k, v in job.toolchain.offline_providers.items())
    hint = (
        ""
        if job.settings.relax_provider_constraints
        else ("; set relax_provider_constraints: true to try anyway")
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


def result_json(result: dict[str, Any]) -> str:
    return json.dumps(result, indent=2, sort_keys=True)
