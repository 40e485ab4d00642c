"""Install the emulators that ship on PyPI as one package (MiniStack, LocalEmu) like
LocalStack and moto: each version in its own virtual environment under
``<cache>/<emulator>/<version>``, its dependencies as they were on its release day, so
versions sit side by side and an old one never breaks on today's releases.

LocalEmu continues LocalStack's open-source core under another module name; it gets lsqm's
LocalStack plugin (state reset, service preload) rewritten for that name, because it has no
reset endpoint of its own (``/_localstack/state/reset`` is not routed and
``/_localemu/state/*`` saves and loads snapshots).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsqm.errors import UsageError
from lsqm.toolchain import releases, venvs
from lsqm.toolchain.localstack_install import PLUGIN_SOURCE, check_version_text
from lsqm.versions import version_key

SMOKE = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"


@dataclass(frozen=True)
class Package:
    """How one emulator is installed from PyPI and checked after installing."""

    emulator: str
    package: str
    smoke: tuple[str, ...]  # modules that must import on the chosen interpreter
    minimum_python: tuple[int, int]


PACKAGES = {
    "ministack": Package("ministack", "ministack", ("ministack.app",), (3, 10)),
    # LocalStack's code base: 2026.x syntax needs >= 3.12, and 3.13 is the safe one.
    "localemu": Package("localemu", "localemu", ("localemu.runtime.main",), (3, 12)),
}


@dataclass(frozen=True)
class EmulatorInstall:
    emulator: str
    version: str
    python: Path
    venv: Path
    installed_now: bool
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    def describe(self) -> str:
        verb = "installed" if self.installed_now else "found"
        on = f" on Python {self.meta['python_version']}" if self.meta.get("python_version") else ""
        return f"{self.emulator} {self.version} ({verb}{on}) in {self.venv}"


def package(emulator: str) -> Package:
    try:
        return PACKAGES[emulator]
    except KeyError:
        raise UsageError(
            f"{emulator!r} is not installed by lsqm ({', '.join(PACKAGES)} are)"
        ) from None


def ensure_emulator(cache_dir: Path, emulator: str, version: str) -> EmulatorInstall:
    """A ready install of ``emulator`` ``version``, installing it if needed (an unknown
    version is a UsageError, PyPI out of reach a ToolMissing)."""
    spec = package(emulator)
    check_version_text(version)
    root = cache_dir / emulator / version

    def smoke(python: Path) -> str | None:
        return venvs.smoke(python, SMOKE, *spec.smoke, env={"OVERRIDE_IN_DOCKER": "0"})

    found = venvs.ensure_release(
        cache_dir, root, spec.package, f"{spec.package}=={version}", version,
        minimum_python=spec.minimum_python, check=smoke,
    )  # fmt: skip
    if emulator == "localemu":
        install_localemu_plugin(found.venv)
    return EmulatorInstall(
        emulator, version, found.python, found.venv, found.installed_now, found.meta
    )


def installed_versions(cache_dir: Path, emulator: str) -> list[dict[str, Any]]:
    """Every complete install of ``emulator`` in the cache, oldest release first."""
    package(emulator)
    base = cache_dir / emulator
    rows = []
    for root in base.iterdir() if base.is_dir() else []:
        install = venvs.installed(root)
        if install is None:
            continue
        disk, own = venvs.disk_usage(root)
        rows.append(
            {
                "version": root.name,
                "released": str(install.meta.get("released") or ""),
                "python": venvs.venv_python_version(install.meta, install.venv),
                "install_seconds": install.meta.get("install_seconds"),
                "disk_bytes": disk,
                "own_bytes": own,
            }
        )
    return sorted(rows, key=lambda r: version_key(r["version"]))


def available_versions(
    cache_dir: Path, emulator: str, *, prereleases: bool = False
) -> list[releases.Release]:
    """``emulator``'s releases on PyPI, oldest first."""
    found = releases.releases(cache_dir, package(emulator).package)
    return [r for r in found if prereleases or not (r.prerelease or r.yanked)]


def release_range(
    cache_dir: Path, emulator: str, one: str, other: str, *, prereleases: bool = False
) -> list[str]:
    """``emulator``'s releases from the older of ``one``/``other`` to the newer, both included
    (what ``bisect --emulator`` walks)."""
    name = package(emulator).package
    for version in (one, other):
        check_version_text(version)
        releases.release(cache_dir, name, version)  # an unknown version: UsageError
    low, high = sorted((one, other), key=version_key)
    if low == high:
        raise UsageError(f"--good and --bad are the same version ({low})")
    listed = [r.version for r in available_versions(cache_dir, emulator, prereleases=prereleases)]
    inside = [v for v in listed if version_key(low) < version_key(v) < version_key(high)]
    return [low, *inside, high]


# -- lsqm's LocalStack plugin, under LocalEmu's module name ---------------------------------
PLUGIN_DIST = "lsqm_localemu_plugin"
PLUGIN_ENTRY_POINTS = """\
[localemu.hooks.on_infra_start]
lsqm_routes = lsqm_localemu_plugin:register_routes
"""


def localemu_plugin_source() -> str:
    """The LocalStack plugin with its imports renamed (``localstack.x`` -> ``localemu.x``)."""
    source = PLUGIN_SOURCE.read_text(encoding="utf-8")
    return re.sub(r"\b(from|import) localstack\.", r"\1 localemu.", source)


def install_localemu_plugin(venv: Path) -> None:
    """Install the renamed plugin as a tiny distribution (module + entry points), if changed."""
    venvs.install_module(venv, PLUGIN_DIST, localemu_plugin_source(), PLUGIN_ENTRY_POINTS)
