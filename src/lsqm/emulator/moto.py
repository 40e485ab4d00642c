"""moto's server as an emulator of its own (``moto_server -H 127.0.0.1 -p PORT`` from the
venv ``ensure_moto`` made): the same architectures on a second implementation of the AWS
APIs, so a verdict can be read against another emulator's. Health is ``/moto-api/config``,
reset ``POST /moto-api/reset`` (it really wipes every backend); it serves every service on
one port and starts each lazily, so there is nothing to preload."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import httpx

from lsqm import proc
from lsqm.childenv import child_env
from lsqm.emulator.host import free_port
from lsqm.emulator.interface import MOTO_HEALTH_PATH, MOTO_RESET_PATH, Emulator
from lsqm.errors import EmulatorError
from lsqm.records import EmulatorInfo
from lsqm.toolchain.moto_install import MotoInstall

START_TIMEOUT_S = 60.0


class MotoServer(Emulator):
    runtime = "host"
    kind = "moto"
    health_path = MOTO_HEALTH_PATH

    def __init__(
        self, install: MotoInstall, *, workdir: Path | None = None, log_file: Path | None = None
    ) -> None:
        super().__init__()
        self.install = install
        self.workdir = workdir
        self.log_file = log_file
        self._proc: subprocess.Popen[bytes] | None = None
        self._owned_dir: Path | None = None
        self.notes.append("moto server: lambda and batch need Docker to execute")

    def log_source(self) -> Path | None:
        if self.log_file is not None:
            return self.log_file
        return self._owned_dir / "moto.log" if self._owned_dir else None

    def start(self) -> None:
        if self.alive():
            return
        if self.workdir is not None:
            self.workdir.mkdir(parents=True, exist_ok=True)
        self._owned_dir = Path(tempfile.mkdtemp(prefix="moto-", dir=self.workdir))
        log = self.log_source()
        assert log is not None
        log.parent.mkdir(parents=True, exist_ok=True)
        port = free_port()
        self.endpoint = f"http://127.0.0.1:{port}"
        server = self.install.venv / "bin" / "moto_server"
        self._proc = proc.spawn(
            [str(server), "-H", "127.0.0.1", "-p", str(port)],
            env=child_env(self._owned_dir),
            cwd=self._owned_dir,
            log_path=log,
        )
        try:
            self.wait_healthy(START_TIMEOUT_S)
        except EmulatorError as exc:
            self.stop()
            raise EmulatorError(f"moto_server {self.install.version}: {exc.message}") from None

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self) -> None:
        if self._proc is not None:
            proc.terminate(self._proc, grace=2.0)
            self._proc = None
        if self._owned_dir is not None:
            shutil.rmtree(self._owned_dir, ignore_errors=True)
            self._owned_dir = None

    def reset(self) -> bool:
        try:
            return httpx.post(self.endpoint + MOTO_RESET_PATH, timeout=30).is_success
        except httpx.HTTPError:
            return False

    def load_services(self, services: Sequence[str]) -> bool:
        return False

    def info(self) -> EmulatorInfo:
        return EmulatorInfo(
            kind=self.kind,
            runtime=self.runtime,
            version=self.install.version,
            notes=list(self.notes),
        )
