"""LocalStack as a host process (no Docker): ``python -m localstack.runtime.main`` from the
virtual environment ``lsqm setup`` made, with the settings that make it behave on a host
(offline-toolchain.md): bound to 127.0.0.1 on a free port, no DNS server, its files in a
private folder, DynamoDB served by moto."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from lsqm import proc
from lsqm.childenv import child_env
from lsqm.emulator.interface import RESET_BY_RESTART, Emulator
from lsqm.errors import EmulatorError
from lsqm.toolchain.emulator_install import EmulatorInstall
from lsqm.toolchain.localstack_install import LocalStackInstall

START_TIMEOUT_S = 120.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class HostLocalStack(Emulator):
    runtime = "host"
    module = "localstack.runtime.main"  # what ``python -m`` starts
    host_var = "LOCALSTACK_HOST"  # the setting naming the host:port it tells clients

    def __init__(
        self,
        install: LocalStackInstall | EmulatorInstall,
        *,
        workdir: Path | None = None,
        dynamodb_via_moto: bool = True,
        eager_services: list[str] | None = None,
        log_file: Path | None = None,
        port: int | None = None,
        use_reset: bool = True,
    ) -> None:
        super().__init__()
        self.install = install
        self.port = port  # None: a free one at every start
        self.workdir = workdir
        self.dynamodb_via_moto = dynamodb_via_moto
        self.eager_services = eager_services or []
        self.log_file = log_file
        self.use_reset = use_reset  # False where the probe found reset unsafe: restart
        self._proc: subprocess.Popen[bytes] | None = None
        self._owned_dir: Path | None = None
        self.last_exit: int | None = None  # -9: it needed SIGKILL
        self.stop_grace = 1.0  # seconds between SIGTERM and SIGKILL
        self.notes.extend(self.runtime_notes())

    def runtime_notes(self) -> list[str]:
        """What this emulator cannot do on a host, said in every run's record."""
        notes = ["lambda cannot execute on the host runtime (no Docker)"]
        if self.dynamodb_via_moto:
            notes.insert(0, "dynamodb served by moto (DynamoDB Local needs a download)")
        return notes

    @property
    def log_path(self) -> Path:
        if self.log_file is not None:
            return self.log_file
        assert self._owned_dir is not None
        return self._owned_dir / "localstack.log"

    def log_source(self) -> Path | None:
        return self.log_path if (self.log_file or self._owned_dir) else None

    def _environment(self, port: int, root: Path) -> dict[str, str]:
        extra = {
            "OVERRIDE_IN_DOCKER": "0",
            "FILESYSTEM_ROOT": str(root / "fs"),
            "CONFIG_DIR": str(root / "config"),
            "GATEWAY_LISTEN": f"127.0.0.1:{port}",
            "GATEWAY_SERVER": "hypercorn",
            self.host_var: f"127.0.0.1:{port}",
            "DNS_ADDRESS": "0",
            "SQS_ENDPOINT_STRATEGY": "off",
            "DISABLE_EVENTS": "1",
            "SKIP_SSL_CERT_DOWNLOAD": "1",
            "XDG_CACHE_HOME": str(root / "cache"),
        }
        if self.dynamodb_via_moto:
            extra["PROVIDER_OVERRIDE_DYNAMODB"] = "moto"
            extra["PROVIDER_OVERRIDE_DYNAMODBSTREAMS"] = "moto"
        if self.eager_services:
            extra["EAGER_SERVICE_LOADING"] = "1"
            extra["SERVICES"] = ",".join(self.eager_services)
        home = root / "home"
        home.mkdir(parents=True, exist_ok=True)
        return child_env(home, extra)

    def start(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            return
        parent = self.workdir
        if parent is not None:
            parent.mkdir(parents=True, exist_ok=True)
        self._owned_dir = Path(tempfile.mkdtemp(prefix="localstack-", dir=parent))
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        # Packages LocalStack installs at run time (kinesis-local from npm, ...) go to a
        # folder shared by every instance of this version, so they are fetched once.
        libs = self.install.venv.parent / "lib"
        libs.mkdir(parents=True, exist_ok=True)
        var_lib = self._owned_dir / "fs" / "var" / "lib" / self.module.split(".")[0]
        var_lib.mkdir(parents=True)
        (var_lib / "lib").symlink_to(libs, target_is_directory=True)
        port = self.port or free_port()
        self.endpoint = f"http://127.0.0.1:{port}"
        self._proc = proc.spawn(
            [str(self.install.python), "-m", self.module],
            env=self._environment(port, self._owned_dir),
            cwd=self._owned_dir,
            log_path=self.log_path,
        )
        try:
            self.wait_healthy(START_TIMEOUT_S, log_hint=self._log_tail())
        except EmulatorError as exc:
            tail = self._log_tail()
            self.stop()
            raise EmulatorError(f"{exc.message}{tail}") from None
        # A fresh emulator has nothing to lose: learn now whether reset works on this
        # version, so the run's record says how architectures were kept apart.
        if not self.reset() and RESET_BY_RESTART not in self.notes:
            self.notes.append(RESET_BY_RESTART)

    def reset(self) -> bool:
        return self.use_reset and super().reset()

    def _log_tail(self) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").strip().splitlines()[-3:]
        except (OSError, AssertionError):
            return ""
        return (" (log: " + " | ".join(lines) + ")") if lines else ""

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self) -> None:
        if self._proc is not None:
            # Its state is thrown away: no need to wait for a graceful shutdown (4.x
            # ignores SIGTERM anyway; the group gets SIGKILL after the grace period).
            proc.terminate(self._proc, grace=self.stop_grace)
            self.last_exit = self._proc.returncode
            self._proc = None
        if self._owned_dir is not None:
            shutil.rmtree(self._owned_dir, ignore_errors=True)
            self._owned_dir = None
