"""An emulator the user runs (``--endpoint URL``): lsqm only checks, resets and reports it.

What "healthy", "reset" and "version" mean comes from the emulator's catalogue entry
(``--emulator ministack`` answers ``/_ministack/health``), or for one lsqm does not know from
``--health-path`` and ``--reset-url``; ``--emulator-version`` names a version the emulator
does not report itself.
"""

from __future__ import annotations

from lsqm.emulator.catalogue import Adapter, adapter
from lsqm.emulator.interface import Emulator
from lsqm.errors import EmulatorError
from lsqm.records import EmulatorInfo

SHARED_STATE = "state is shared between architectures (no reset endpoint)"


class ExternalEmulator(Emulator):
    runtime = "external"

    def __init__(
        self,
        endpoint: str,
        *,
        kind: str = "localstack",
        spec: Adapter | None = None,
        reset_url: str | None = None,
        version: str | None = None,
    ) -> None:
        super().__init__()
        self.endpoint = endpoint.rstrip("/")
        self.spec = spec or adapter(kind)
        self.kind = self.spec.name
        self.health_path = self.spec.health_path
        self.reset_paths = (reset_url,) if reset_url else self.spec.reset_paths
        self.version = version
        self.notes.append(f"user-managed emulator at {self.endpoint}")
        if reset_url:
            self.notes.append(f"state reset with POST {reset_url}")

    def start(self) -> None:
        if not self.healthy(timeout=5.0):
            raise EmulatorError(
                f"no healthy {self.spec.title} answers at {self.endpoint}{self.health_path}; "
                "start it, give its health path with --health-path, or drop --endpoint to "
                "let lsqm run one"
            )

    def info(self) -> EmulatorInfo:
        return EmulatorInfo(
            kind=self.kind,
            runtime=self.runtime,
            version=self.version or self.spec.version_at(self.endpoint),
            notes=list(self.notes),
        )

    def alive(self) -> bool:
        return True

    def stop(self) -> None:
        """Nothing to stop: the user owns the process."""

    def restart(self) -> None:
        raise EmulatorError(
            f"the external emulator at {self.endpoint} needs a restart that lsqm cannot do"
        )

    def reset_or_restart(self) -> str:
        if self.healthy() and self.reset_paths and self.reset():
            return "reset"
        if not self.healthy():
            raise EmulatorError(f"the external emulator at {self.endpoint} is not healthy")
        if SHARED_STATE not in self.notes:
            self.notes.append(SHARED_STATE)
        return "shared"
