"""MiniStack as a host process (``python -m ministack`` from the venv ``ensure_emulator``
made), bound to 127.0.0.1 on a free port (``BIND_HOST``, ``GATEWAY_PORT``; its default is
every interface on 4566). Its files (S3 data, state, TLS material, the pid file) go to a
private folder removed on stop. Health is ``/_ministack/health`` (with its version), reset
``POST /_ministack/reset``. Lambda runs Python, Node.js and ``provided.*`` handlers as local
processes (``LAMBDA_EXECUTOR=local``, its default): no Docker needed for those; Python ones
run on MiniStack's own interpreter, whatever version the function declares."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lsqm.childenv import child_env
from lsqm.emulator.catalogue import MINISTACK
from lsqm.emulator.local_server import LocalServer
from lsqm.records import EmulatorInfo
from lsqm.toolchain.emulator_install import EmulatorInstall

FOLDERS = ("home", "s3", "state", "tmp")  # inside its private folder


class MiniStackServer(LocalServer):
    kind = MINISTACK.name
    program = "ministack"
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
        super().__init__(workdir=workdir, log_file=log_file)
        self.install = install
        self.region = region
        self.notes.extend(MINISTACK.offline_limits)

    def command(self, port: int) -> list[str]:
        return [str(self.install.python), "-m", "ministack"]

    def release(self) -> str:
        return self.install.version

    def environment(self, port: int, root: Path) -> dict[str, str]:
        for name in FOLDERS:
            (root / name).mkdir(exist_ok=True)
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
