"""What every emulator runtime offers the validator (host process, docker, external).

One emulator serves one worker. Between architectures the worker calls :meth:`reset`; a
runtime that cannot reset is restarted instead, so architectures never share state.
"""

from __future__ import annotations

import contextlib
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path

import httpx

from lsqm.errors import EmulatorError
from lsqm.files import atomic_write_text
from lsqm.records import EmulatorInfo
from lsqm.redact import redact

HEALTH_PATH = "/_localstack/health"
INFO_PATH = "/_localstack/info"
LSQM_RESET_PATH = "/_lsqm/state/reset"
LSQM_LOAD_PATH = "/_lsqm/services/load"
PRO_RESET_PATH = "/_localstack/state/reset"
MOTO_HEALTH_PATH = "/moto-api/config"
MOTO_RESET_PATH = "/moto-api/reset"
RESET_BY_RESTART = "state reset by restarting the emulator (no reset endpoint answered)"


class Emulator(ABC):
    runtime: str = ""
    kind: str = "localstack"  # which emulator: a name of catalogue.CATALOGUE, or the user's
    health_path: str = HEALTH_PATH
    reset_paths: tuple[str, ...] = (LSQM_RESET_PATH, PRO_RESET_PATH)  # POSTed in order
    version_path: str = INFO_PATH  # GET: JSON with "version"

    def __init__(self) -> None:
        self.endpoint = ""
        self.notes: list[str] = []
        self.restarts = 0
        self._identity: EmulatorInfo | None = None

    @abstractmethod
    def start(self) -> None:
        """Start (if this runtime owns the process) and wait until healthy."""

    @abstractmethod
    def stop(self) -> None:
        """Stop and leave no process behind (safe to call twice)."""

    @abstractmethod
    def alive(self) -> bool:
        """Whether the emulator's process still exists (True for external ones)."""

    def log_source(self) -> Path | None:
        """The file the emulator's own output goes to, when lsqm keeps one."""
        return None

    def log_offset(self) -> int:
        """Where the emulator's log ends now: the start of the next architecture's window."""
        path = self.log_source()
        try:
            return path.stat().st_size if path is not None else 0
        except OSError:
            return 0

    def copy_log(self, start: int, dest: Path) -> None:
        """Keep what the emulator logged since ``start`` (one architecture's window), redacted,
        so a failure can be read beside the emulator's side of it."""
        path = self.log_source()
        if path is None:
            return
        try:
            with path.open("rb") as fh:
                size = fh.seek(0, 2)
                fh.seek(start if start <= size else 0)  # a restart began a new file
                data = fh.read()
        except OSError:
            return
        atomic_write_text(dest, redact(data.decode("utf-8", errors="replace")))

    def restart(self) -> None:
        self.stop()
        self.restarts += 1
        self.start()

    def healthy(self, timeout: float = 3.0) -> bool:
        if not self.endpoint or not self.alive():
            return False
        try:
            return httpx.get(self.endpoint + self.health_path, timeout=timeout).is_success
        except httpx.HTTPError:
            return False

    def wait_healthy(self, deadline_s: float, log_hint: str = "") -> None:
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            if not self.alive():
                raise EmulatorError(f"the emulator exited during start-up{log_hint}")
            if self.healthy(timeout=1.0):
                return
            time.sleep(0.2)
        raise EmulatorError(f"the emulator was not healthy within {deadline_s:.0f}s{log_hint}")

    def info(self) -> EmulatorInfo:
        version = "unknown"
        with contextlib.suppress(httpx.HTTPError, ValueError, AttributeError):
            found = httpx.get(self.endpoint + self.version_path, timeout=5).json().get("version")
            version = str(found) if found else "unknown"
        return EmulatorInfo(
            kind=self.kind, runtime=self.runtime, version=version, notes=list(self.notes)
        )

    def identity(self) -> EmulatorInfo:
        """:meth:`info`, asked once per emulator (a restart runs the same version)."""
        if self._identity is None or self._identity.version == "unknown":
            self._identity = self.info()
        return self._identity

    def reset(self) -> bool:
        """Empty all state; False when this emulator has no way to do so."""
        for path in self.reset_paths:
            url = path if path.startswith(("http://", "https://")) else self.endpoint + path
            try:
                response = httpx.post(url, timeout=30)
            except httpx.HTTPError:
                return False
            if response.status_code == 200:
                return True
        return False

    def load_services(self, services: Sequence[str]) -> bool:
        """Start ``services`` now rather than on their first request (up to 3 s each).

        Only lsqm's LocalStack plugin offers this; elsewhere it is a no-op returning False.
        """
        if not services or not self.endpoint:
            return False
        try:
            response = httpx.post(
                self.endpoint + LSQM_LOAD_PATH, json={"services": list(services)}, timeout=300
            )
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    def reset_or_restart(self) -> str:
        """Isolate the next architecture: reset, or restart where reset is unavailable."""
        if self.healthy() and self.reset():
            return "reset"
        self.restart()
        return "restart"
