"""Install moto's server (``moto[server]``) as a second emulator: its own virtual
environment per version under ``<cache>/moto/<version>``, date-locked to the release like
LocalStack (its ``moto-ext`` inside LocalStack is LocalStack's fork and has no server)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsqm.toolchain import venvs
from lsqm.toolchain.localstack_install import check_version_text

PACKAGE = "moto"


@dataclass(frozen=True)
class MotoInstall:
    version: str
    python: Path
    venv: Path
    installed_now: bool
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    def describe(self) -> str:
        verb = "installed" if self.installed_now else "found"
        return f"moto {self.version} server ({verb}) in {self.venv}"


def ensure_moto(cache_dir: Path, version: str) -> MotoInstall:
    """Return a ready ``moto_server`` of ``version``, installing it if needed."""
    check_version_text(version)
    root = cache_dir / "moto" / version
    found = venvs.ensure_release(
        cache_dir, root, PACKAGE, f"{PACKAGE}[server]=={version}", version,
        minimum_python=(3, 9), check=_smoke,
    )  # fmt: skip
    return MotoInstall(version, found.python, found.venv, found.installed_now, found.meta)


def _smoke(python: Path) -> str | None:
    return venvs.smoke(python, "import moto.server, flask_cors", timeout=120)
