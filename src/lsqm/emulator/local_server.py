"""An emulator lsqm runs itself as a host process (moto's server, MiniStack): one free
loopback port, its files in a private folder removed on stop, its output in one log. The
subclasses say only what differs: the command, the environment, the folders it needs."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from lsqm import proc
from lsqm.childenv import child_env
from lsqm.emulator.host import free_port
from lsqm.emulator.interface import Emulator
from lsqm.errors import EmulatorError

START_TIMEOUT_S = 60.0


class LocalServer(Emulator):
    runtime = "host"
    program = "server"  # names its private folder, its log and its errors

    def __init__(self, *, workdir: Path | None = None, log_file: Path | None = None) -> None:
        super().__init__()
        self.workdir = workdir
        self.log_file = log_file
        self._proc: subprocess.Popen[bytes] | None = None
        self._owned_dir: Path | None = None

    def command(self, port: int) -> list[str]:
        """The command line that serves on ``port`` (127.0.0.1 only)."""
        raise NotImplementedError

    def environment(self, port: int, root: Path) -> dict[str, str]:
        """The child's environment; ``root`` is its private folder."""
        return child_env(root)

    def release(self) -> str:
        """The installed release, for messages."""
        raise NotImplementedError

    def log_source(self) -> Path | None:
        if self.log_file is not None:
            return self.log_file
        return self._owned_dir / f"{self.program}.log" if self._owned_dir else None

    def start(self) -> None:
        if self.alive():
            return
        if self.workdir is not None:
            self.workdir.mkdir(parents=True, exist_ok=True)
        self._owned_dir = Path(tempfile.mkdtemp(prefix=f"{self.program}-", dir=self.workdir))
        log = self.log_source()
        assert log is not None
        log.parent.mkdir(parents=True, exist_ok=True)
        port = free_port()
        self.endpoint = f"http://127.0.0.1:{port}"
        self._proc = proc.spawn(
            self.command(port),
            env=self.environment(port, self._owned_dir),
            cwd=self._owned_dir,
            log_path=log,
        )
        try:
            self.wait_healthy(START_TIMEOUT_S)
        except EmulatorError as exc:
            self.stop()
            raise EmulatorError(f"{self.program} {self.release()}: {exc.message}") from None

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self) -> None:
        if self._proc is not None:
            proc.terminate(self._proc, grace=2.0)
            self._proc = None
        if self._owned_dir is not None:
            shutil.rmtree(self._owned_dir, ignore_errors=True)
            self._owned_dir = None
