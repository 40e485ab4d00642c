"""moto's server as an emulator of its own (``moto_server -H 127.0.0.1 -p PORT`` from the
venv ``ensure_moto`` made): the same architectures on a second implementation of the AWS
APIs, so a verdict can be read against another emulator's. Health is ``/moto-api/config``,
reset ``POST /moto-api/reset`` (it really wipes every backend); it serves every service on
one port and starts each lazily, so there is nothing to preload."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import httpx

from lsqm.emulator.interface import MOTO_HEALTH_PATH, MOTO_RESET_PATH
from lsqm.emulator.local_server import LocalServer
from lsqm.records import EmulatorInfo
from lsqm.toolchain.moto_install import MotoInstall


class MotoServer(LocalServer):
    kind = "moto"
    program = "moto"
    health_path = MOTO_HEALTH_PATH

    def __init__(
        self, install: MotoInstall, *, workdir: Path | None = None, log_file: Path | None = None
    ) -> None:
        super().__init__(workdir=workdir, log_file=log_file)
        self.install = install
        self.notes.append("moto server: lambda and batch need Docker to execute")

    def command(self, port: int) -> list[str]:
        server = self.install.venv / "bin" / "moto_server"
        return [str(server), "-H", "127.0.0.1", "-p", str(port)]

    def release(self) -> str:
        return self.install.version

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
