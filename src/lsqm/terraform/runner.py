"""The single runner for terraform commands: one environment, one timeout rule, one log
per command. Everything that runs terraform goes through :class:`Terraform`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from lsqm import proc
from lsqm.childenv import child_env
from lsqm.sandbox import Sandbox
from lsqm.toolchain.terraform_install import TerraformToolchain


class Terraform:
    """Runs ``terraform`` in one workspace with a scrubbed environment and a private HOME,
    inside ``sandbox`` when given (then the workspace must be one of its writable folders)."""

    def __init__(
        self,
        toolchain: TerraformToolchain,
        home: Path,
        extra_env: Mapping[str, str],
        abort: Callable[[], bool] | None = None,
        sandbox: Sandbox | None = None,
    ) -> None:
        self.toolchain = toolchain
        self.abort = abort
        self.sandbox = sandbox
        self.env = child_env(
            home,
            {
                "TF_CLI_CONFIG_FILE": str(toolchain.cli_config),
                "CHECKPOINT_DISABLE": "1",
                "TF_IN_AUTOMATION": "1",
                "TF_INPUT": "0",
                **extra_env,
            },
        )

    def __call__(
        self,
        args: Sequence[str],
        *,
        cwd: Path,
        timeout: float,
        log_path: Path | None = None,
    ) -> proc.Completed:
        argv = [str(self.toolchain.binary), *args]
        return proc.run(
            self.sandbox.wrap(argv, cwd) if self.sandbox else argv,
            env=self.env,
            cwd=cwd,
            timeout=timeout,
            log_path=log_path,
            abort=self.abort,
        )
