"""An emulator the user runs (``--endpoint URL``): lsqm only checks, resets and reports it."""

from __future__ import annotations

import httpx

from lsqm.emulator.interface import MOTO_HEALTH_PATH, MOTO_RESET_PATH, Emulator
from lsqm.errors import EmulatorError


class ExternalEmulator(Emulator):
    runtime = "external"

    def __init__(self, endpoint: str, *, kind: str = "localstack") -> None:
        super().__init__()
        self.endpoint = endpoint.rstrip("/")
        self.kind = kind
        if kind == "moto":
            self.health_path = MOTO_HEALTH_PATH
        self.notes.append(f"user-managed emulator at {self.endpoint}")

    def start(self) -> None:
        if not self.healthy(timeout=5.0):
            name = "moto server" if self.kind == "moto" else "LocalStack"
            raise EmulatorError(
                f"no healthy {name} answers at {self.endpoint}{self.health_path}; "
                "start it, or drop --endpoint to let lsqm run one"
            )

    def reset(self) -> bool:
        if self.kind != "moto":
            return super().reset()
        try:
            return httpx.post(self.endpoint + MOTO_RESET_PATH, timeout=30).is_success
        except httpx.HTTPError:
            return False

    def alive(self) -> bool:
        return True

    def stop(self) -> None:
        """Nothing to stop: the user owns the process."""

    def restart(self) -> None:
        raise EmulatorError(
            f"the external emulator at {self.endpoint} needs a restart that lsqm cannot do"
        )

    def reset_or_restart(self) -> str:
        if self.healthy() and self.reset():
            return "reset"
        if not self.healthy():
            raise EmulatorError(f"the external emulator at {self.endpoint} is not healthy")
        if "state is shared between architectures (no reset endpoint)" not in self.notes:
            self.notes.append("state is shared between architectures (no reset endpoint)")
        return "shared"
