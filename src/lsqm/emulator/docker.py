"""LocalStack in Docker: ``localstack/localstack:<version>`` on a free loopback port.

Since March 2026 the image needs ``LOCALSTACK_AUTH_TOKEN``; it is passed through when set,
and only to this container (it is the one secret a child may receive)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from lsqm import proc
from lsqm.childenv import child_env
from lsqm.emulator.host import free_port
from lsqm.emulator.interface import Emulator
from lsqm.errors import EmulatorError, ToolMissing

AUTH_VAR = "LOCALSTACK_AUTH_TOKEN"
# Where the docker client finds its daemon (rootless Docker, colima, a remote engine) and
# its contexts; the client is lsqm's own tool, so it gets these, and nothing else of ours.
_CLIENT_VARS = ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH")


def docker_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The docker client's environment: the allow-list, its daemon settings, ``extra``."""
    client = {k: os.environ[k] for k in _CLIENT_VARS if os.environ.get(k)}
    client["DOCKER_CONFIG"] = os.environ.get("DOCKER_CONFIG") or str(Path.home() / ".docker")
    return child_env(home, {**client, **(extra or {})}, allow_secrets=frozenset({AUTH_VAR}))


def docker_available(timeout: float = 5.0) -> bool:
    """True when a Docker daemon answers (the client alone is not enough)."""
    try:
        docker = proc.require_tool("docker", "")
    except ToolMissing:
        return False
    with tempfile.TemporaryDirectory(prefix="lsqm-docker-") as home:
        argv = [docker, "info", "--format", "{{.ServerVersion}}"]
        result = proc.run(argv, env=docker_env(Path(home)), timeout=timeout)
    return result.ok and bool(result.output.strip())


class DockerLocalStack(Emulator):
    runtime = "docker"

    def __init__(self, version: str, *, log_file: Path | None = None) -> None:
        super().__init__()
        self.version = version
        self.log_file = log_file
        self.container: str | None = None
        self._home: Path | None = None
        self._docker = proc.require_tool(
            "docker", "Install Docker, or use --runtime host (LocalStack as a local process)."
        )

    def _env(self) -> dict[str, str]:
        if self._home is None:  # the client's private HOME, removed again by stop()
            self._home = Path(tempfile.mkdtemp(prefix="lsqm-docker-"))
        token = os.environ.get(AUTH_VAR)
        return docker_env(self._home, {AUTH_VAR: token} if token else None)

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
        if os.environ.get(AUTH_VAR):
            argv += ["-e", AUTH_VAR]  # value comes from the child's environment, not argv
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
