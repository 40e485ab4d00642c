"""LocalStack in Docker: ``localstack/localstack:<version>`` on a free loopback port.

Since March 2026 the image needs ``LOCALSTACK_AUTH_TOKEN`` (the setting
``localstack_auth_token``); it is passed when set, and only to this container (it is the one
secret a child may receive), through the client's environment, never its command line."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from pydantic import SecretStr

from lsqm import proc
from lsqm.childenv import LOCALSTACK_AUTH_VAR, docker_client_env
from lsqm.emulator.host import free_port
from lsqm.emulator.interface import Emulator
from lsqm.errors import EmulatorError, ToolMissing


def docker_available(timeout: float = 5.0) -> bool:
    """True when a Docker daemon answers (the client alone is not enough)."""
    try:
        docker = proc.require_tool("docker", "")
    except ToolMissing:
        return False
    with tempfile.TemporaryDirectory(prefix="lsqm-docker-") as home:
        argv = [docker, "info", "--format", "{{.ServerVersion}}"]
        result = proc.run(argv, env=docker_client_env(Path(home)), timeout=timeout)
    return result.ok and bool(result.output.strip())


class DockerLocalStack(Emulator):
    runtime = "docker"

    def __init__(
        self,
        version: str,
        *,
        auth_token: SecretStr | None = None,
        log_file: Path | None = None,
        workdir: Path | None = None,
    ) -> None:
        super().__init__()
        self.version = version
        self.auth_token = auth_token
        self.log_file = log_file
        self.workdir = workdir
        self.container: str | None = None
        self._home: Path | None = None
        self._docker = proc.require_tool(
            "docker", "Install Docker, or use --runtime host (LocalStack as a local process)."
        )

    def _env(self) -> dict[str, str]:
        if self._home is None:  # the client's private HOME, removed again by stop()
            self._home = Path(tempfile.mkdtemp(prefix="lsqm-docker-", dir=self.workdir))
        token = self.auth_token.get_secret_value() if self.auth_token else None
        return docker_client_env(self._home, {LOCALSTACK_AUTH_VAR: token} if token else None)

    def start(self) -> None:
        port = free_port()
        argv = [
            self._docker,
            "run",
            "-d",
            "--rm",
            "-p",
            f"127.0.0.1:{port}:4566",
            "-e",
            "DNS_ADDRESS=0",
            "-e",
            f"LOCALSTACK_HOST=127.0.0.1:{port}",
        ]
        if self.auth_token:
            argv += ["-e", LOCALSTACK_AUTH_VAR]  # the value comes from the client's environment
        argv.append(f"localstack/localstack:{self.version}")
        result = proc.run(argv, env=self._env(), timeout=600, log_path=self.log_file)
        if not result.ok:
            raise EmulatorError(
                f"docker could not start localstack/localstack:{self.version}: "
                + result.output.strip()[-300:]
            )
        self.container = result.output.strip().splitlines()[-1]
        self.endpoint = f"http://127.0.0.1:{port}"
        self.wait_healthy(180.0)

    def alive(self) -> bool:
        if not self.container:
            return False
        result = proc.run(
            [self._docker, "inspect", "-f", "{{.State.Running}}", self.container],
            env=self._env(),
            timeout=30,
        )
        return result.ok and result.output.strip() == "true"

    def stop(self) -> None:
        if self.container:
            proc.run(
                [self._docker, "rm", "-f", self.container],
                env=self._env(),
                timeout=60,
                cleanup=True,  # runs even after Ctrl-C: a container must not outlive lsqm
            )
            self.container = None
        if self._home is not None:
            shutil.rmtree(self._home, ignore_errors=True)
            self._home = None
