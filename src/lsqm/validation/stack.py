"""An architecture deployed once and tested many times: validate's own stages
(:mod:`lsqm.validation.deploy`), split so that ``lsqm sensitivity`` pays for one deploy per
architecture instead of one per fault.

Every test run is judged by validate's verdict code (``verdict.tests_finished``) and built
into a :class:`~lsqm.records.Result` by validate's one result builder, from the real deploy's
stages and that run's own test stage, counts and calls (the deploy's and its own, no other
run's). Only the order of the work differs from validate: deploy, test (again and again),
destroy.
"""

from __future__ import annotations

import time
from pathlib import Path

from lsqm import proc
from lsqm.emulator.interface import Emulator
from lsqm.errors import LsqmError
from lsqm.records import Result
from lsqm.trace.proxy import Interceptor
from lsqm.validation.deploy import Job, Prepared, Validation, prepare_one
from lsqm.validation.verdict import Verdict, harness_failed


class DeployedStack:
    """One architecture on one emulator: :meth:`deploy` once, :meth:`test` any number of
    times (each its own result), :meth:`close` destroys it."""

    def __init__(self, job: Job, arch_hash: str, emulator: Emulator) -> None:
        self.job, self.arch_hash, self.emulator = job, arch_hash, emulator
        self._prepared: Prepared | None = None
        self.deploy_seconds = 0.0

    @property
    def _validation(self) -> Validation:
        assert self._prepared is not None, "deploy() first"
        return self._prepared.validation

    def deploy(self) -> Result | None:
        """Workspace, init, apply, plan; the result (validate's verdict) when it cannot deploy.

        A shared provider process that died while deploying makes what terraform said no
        evidence: deployed again with terraform's own provider processes, as validate does."""
        t0, children0 = time.monotonic(), proc.child_seconds()
        verdict = self._deploy(share_provider=None)
        if self._validation.provider_lost() and not proc.shutting_down():
            self.close()
            self.emulator.reset_or_restart()
            verdict = self._deploy(share_provider=False)
            self._validation.provider_rerun = (
                "the shared provider process exited; rerun per command"
            )
        self.deploy_seconds = time.monotonic() - t0
        if verdict is None:
            return None
        return self._validation.result(
            verdict, self._started_at,
            duration_s=self.deploy_seconds,
            child_process_s=proc.child_seconds() - children0,
        )  # fmt: skip

    def _deploy(self, share_provider: bool | None) -> Verdict | None:
        self._prepared = prepare_one(
            self.job, self.arch_hash, self.emulator, share_provider=share_provider
        )
        self._started_at = self._prepared.started_at
        if self._prepared.verdict is not None:
            return self._prepared.verdict
        try:
            return self._validation.deploy()
        except LsqmError as exc:
            return harness_failed(exc)

    def intercept(self, interceptor: Interceptor | None) -> None:
        """Give the answers from now on to ``interceptor`` (None: unchanged)."""
        proxy = self._validation.proxy
        if proxy is None:
            raise LsqmError("a deployed stack without the recording proxy cannot intercept")
        proxy.intercept(interceptor)

    def test(self, logs: Path, *, first: bool = False, first_failure: bool = False) -> Result:
        """One run of the tests on the deployed stack, judged as validate judges; its logs
        (pytest.log, junit.xml, emulator.log) go to ``logs``. ``first``: the control run,
        whose result also counts the deploy's seconds (as validate's would);
        ``first_failure``: stop at the first failing test (pytest -x)."""
        validation = self._validation
        t0, children0 = time.monotonic(), proc.child_seconds()
        log_from = self.emulator.log_offset()
        try:
            verdict = validation.test(logs, first_failure)
        except LsqmError as exc:
            verdict = harness_failed(exc)
        self.emulator.copy_log(log_from, logs / "emulator.log")
        seconds = time.monotonic() - t0 + (self.deploy_seconds if first else 0.0)
        return validation.result(
            verdict, self._started_at, duration_s=seconds,
            child_process_s=proc.child_seconds() - children0,
        )  # fmt: skip

    def replan(self) -> int | None:
        """Plan again: 0 still as configured, 2 changed (by the tests), None plan failed."""
        return self._validation.replan(self._validation.logs / "replan.log")

    def close(self) -> None:
        """Destroy the stack (when the emulator is alive) and release its workspace."""
        if self._prepared is None:
            return
        validation, self._prepared = self._prepared.validation, None
        try:
            if validation.stages.get("apply") is not None:
                validation.destroy()
        except LsqmError:
            pass  # the emulator is reset before anything else runs on it
        finally:
            validation.close()
