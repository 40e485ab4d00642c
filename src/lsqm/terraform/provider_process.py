"""One AWS provider process per architecture, shared by all of its terraform commands.

Terraform starts a new provider process for every phase of every command: about a dozen
per architecture, and each start of the 177 MB AWS provider rebuilds its schema (~0.3 s).
That is over half of a small architecture's time. Started once, in the provider's own debug
mode, with the workspace as its folder and terraform's environment, and attached through
``TF_REATTACH_PROVIDERS``, it is the same provider doing the same calls.

It is used only where sharing cannot change behaviour:
- exactly one AWS provider configuration (aliases would share one configured client);
- a provider that exits on its own is a crash: the caller reruns the architecture with
  terraform's own provider processes, so a crash is reported exactly as terraform reports it.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

from lsqm import proc
from lsqm.errors import ProviderNotShared
from lsqm.redact import redact
from lsqm.sandbox import Sandbox
from lsqm.terraform.hcl import parse_module
from lsqm.terraform.workspace import Workspace

START_TIMEOUT_S = 30.0
_MARKER = "TF_REATTACH_PROVIDERS="


def unshareable_reason(ws: Workspace) -> str | None:
    """Why this workspace needs terraform's own provider processes (None: it can share).

    Call it after ``terraform init``: modules init downloaded are counted too.
    """
    modules = [*ws.modules.values(), *(parse_module(d) for d in _installed_module_dirs(ws.root))]
    configurations = sum(
        1
        for info in modules
        for block in info.provider_blocks
        if block.labels and block.labels[0] == "aws"
    )
    if configurations > 1:
        return f"{configurations} AWS provider configurations"
    return None


def _installed_module_dirs(root: Path) -> list[Path]:
    """Folders of the non-local modules ``terraform init`` installed under .terraform."""
    manifest = root / ".terraform" / "modules" / "modules.json"
    try:
        entries = json.loads(manifest.read_text())["Modules"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    installed = (root / ".terraform" / "modules").resolve()
    found = []
    for entry in entries:
        folder = (root / str(entry.get("Dir", ""))).resolve()
        if folder.is_relative_to(installed) and folder.is_dir():
            found.append(folder)
    return found


def provider_binary(workspace: Path, source: str, version: str) -> Path | None:
    """The provider executable ``terraform init`` installed for ``source`` ``version``."""
    folder = workspace / ".terraform" / "providers" / source / version
    found = sorted(folder.glob("*/terraform-provider-*"))
    return found[0] if found else None


class SharedProvider:
    """A provider process in debug mode; ``env()`` attaches terraform to it."""

    def __init__(
        self,
        binary: Path,
        source: str,
        *,
        cwd: Path,
        env: dict[str, str],
        log_path: Path,
        sandbox: Sandbox | None = None,
    ) -> None:
        self.source = source
        self.log_path = log_path
        self._stopped = False
        argv = [str(binary), "-debug"]
        self._proc: subprocess.Popen[bytes] = proc.spawn(
            sandbox.wrap(argv, cwd) if sandbox else argv, env=env, cwd=cwd, log_path=log_path
        )
        try:
            self._reattach = self._read_reattach()
        except ProviderNotShared:
            self.stop()
            raise

    def _read_reattach(self) -> str:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            text = self.log_path.read_text(errors="replace")
            for line in text.splitlines():
                config = _reattach_config(line)
                if config is not None:
                    # Keyed by the address the workspace locked (the provider names itself
                    # registry.terraform.io even when OpenTofu installed it).
                    return json.dumps({self.source: config})
            if self._proc.poll() is not None:
                tail = " | ".join(text.strip().splitlines()[-3:])
                raise ProviderNotShared(f"provider exited in debug mode: {tail}")
            time.sleep(0.01)
        raise ProviderNotShared(f"provider gave no reattach address in {START_TIMEOUT_S:.0f}s")

    def env(self) -> dict[str, str]:
        return {"TF_REATTACH_PROVIDERS": self._reattach}

    def alive(self) -> bool:
        return self._proc.poll() is None

    @property
    def crashed(self) -> bool:
        """It exited without being asked to: whatever terraform said meanwhile is suspect."""
        return not self._stopped and not self.alive()

    def stop(self) -> None:
        self._stopped = True
        proc.terminate(self._proc, grace=1.0)

    def log_tail(self, lines: int = 200) -> str:
        """The end of what the provider printed (a crash's stack trace), secrets redacted."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return redact("\n".join(text.splitlines()[-lines:]))


def _reattach_config(line: str) -> dict[str, Any] | None:
    """The one provider's reattach config from a ``TF_REATTACH_PROVIDERS='{...}'`` line."""
    at = line.find(_MARKER)
    if at < 0:
        return None
    raw = line[at + len(_MARKER) :].strip().strip("'\"")
    try:
        configs = json.loads(raw)
    except json.JSONDecodeError:
        return None
    if not isinstance(configs, dict) or len(configs) != 1:
        return None
    config = next(iter(configs.values()))
    return config if isinstance(config, dict) and "Addr" in config else None
