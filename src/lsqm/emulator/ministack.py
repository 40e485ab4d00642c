"""MiniStack as a host process (``python -m ministack`` from the venv ``ensure_emulator``
made), bound to 127.0.0.1 on a free port (``BIND_HOST``, ``GATEWAY_PORT``; its default is
every interface on 4566). Its files (S3 data, state, TLS material, the pid file) go to a
private folder removed on stop. Health is ``/_ministack/health`` (with its version), reset
``POST /_ministack/reset``. Lambda runs Python, Node.js and ``provided.*`` handlers as local
processes (``LAMBDA_EXECUTOR=local``, its default): no Docker needed for those; Python ones
run on MiniStack's own interpreter, whatever version the function declares."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from lsqm import proc
from lsqm.childenv import child_env
from lsqm.emulator.catalogue import MINISTACK
from lsqm.emulator.host import free_port
from lsqm.emulator.interface import Emulator
from lsqm.errors import EmulatorError
from lsqm.records import EmulatorInfo
from lsqm.toolchain.emulator_install import EmulatorInstall

START_TIMEOUT_S = 60.0


class MiniStackServer(Emulator):
    runtime = "host"
    kind = MINISTACK.name
    health_path = MINISTACK.health_path
    reset_paths = MINISTACK.reset_paths

    def __init__(
        self,
        install: EmulatorInstall,
        *,
        workdir: Path | None = None,
        log_file: Path | None = None,
        region: str = "us-east-1",
    ) -> None:
        super().__init__()
        self.install = install
        self.workdir = workdir
        self.log_file = log_file
        self.region = region
        self._proc: subprocess.Popen[bytes] | None = None
        self._owned_dir: Path | None = None
        self.notes.extend(MINISTACK.offline_limits)

    def log_source(self) -> Path | None:
        if self.log_file is not None:
            return self.log_file
        return self._owned_dir / "ministack.log" if self._owned_dir else None

    def _environment(self, port: int, root: Path) -> dict[str, str]:
        return child_env(
            root / "home",
            {
                "GATEWAY_PORT": str(port),
                "BIND_HOST": "127.0.0.1",
                "MINISTACK_HOST": "127.0.0.1",
                "MINISTACK_REGION": self.region,
                "S3_DATA_DIR": str(root / "s3"),
                "STATE_DIR": str(root / "state"),
                "TMPDIR": str(root / "tmp"),
                "LAMBDA_EXECUTOR": "local",
            },
        )

    def start(self) -> None:
        if self.alive():
            return
        if self.workdir is not None:
            self.workdir.mkdir(parents=True, exist_ok=True)
        self._owned_dir = Path(tempfile.mkdtemp(prefix="ministack-", dir=self.workdir))
        for name in ("home", "s3", "state", "tmp"):
            (self._owned_dir / name).mkdir()
        log = self.log_source()
        assert log is not None
        log.parent.mkdir(parents=True, exist_ok=True)
        port = free_port()
        self.endpoint = f"http://127.0.0.1:{port}"
        self._proc = proc.spawn(
            [str(self.install.python), "-m", "ministack"],
            env=self._environment(port, self._owned_dir),
            cwd=self._owned_dir,
            log_path=log,
        )
        try:
            self.wait_healthy(START_TIMEOUT_S)
        except EmulatorError as exc:
            self.stop()
            raise EmulatorError(f"ministack {self.install.version}: {exc.message}") from None

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self) -> None:
        if self._proc is not None:
            proc.terminate(self._proc, grace=2.0)
            self._proc = None
        if self._owned_dir is not None:
            shutil.rmtree(self._owned_dir, ignore_errors=True)
            self._owned_dir = None

    def load_services(self, services: Sequence[str]) -> bool:
        return False  # every service is in-process from the start

    def info(self) -> EmulatorInfo:
        reported = MINISTACK.version_at(self.endpoint) if self.endpoint else "unknown"
        return EmulatorInfo(
            kind=self.kind,
            runtime=self.runtime,
            version=reported if reported != "unknown" else self.install.version,
            notes=list(self.notes),
        )
