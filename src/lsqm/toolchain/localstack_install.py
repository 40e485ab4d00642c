"""Install LocalStack as a host process, any released version side by side: each in its own
virtual environment with dependencies as they were on its release day (``uv
--exclude-newer``, release times from PyPI's JSON API), on the newest Python that imports
it (3.13 first: 4.14.0 breaks on 3.12's warnings module; 2026.x needs >= 3.12), with lsqm's
plugin (DynamoDB through moto, state reset, service preload) installed beside it.

Layout: ``<cache>/localstack/<version>/venv`` plus ``installed.json`` once complete;
``lib/`` holds what LocalStack fetches at run time (kinesis-local), shared by its instances.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsqm.errors import StoreError, UsageError
from lsqm.files import read_json
from lsqm.toolchain import releases, venvs
from lsqm.versions import version_key

PACKAGE = "localstack-core"

PLUGIN_DIST = "lsqm_localstack_plugin"
PLUGIN_SOURCE = Path(__file__).resolve().parent.parent / "emulator" / "localstack_plugin.py"
PLUGIN_ENTRY_POINTS = """\
[localstack.aws.provider]
dynamodb:moto = lsqm_localstack_plugin:dynamodb_moto
dynamodbstreams:moto = lsqm_localstack_plugin:dynamodbstreams_moto

[localstack.hooks.on_infra_start]
lsqm_routes = lsqm_localstack_plugin:register_routes
"""

# Imported once after an install: a module this version lacks is fine, one that fails to
# import on this interpreter (a removed stdlib module, newer syntax) rejects the interpreter.
SMOKE_MODULES = (
    "localstack.runtime.main",
    "localstack.services.s3.provider",
    "localstack.services.sqs.provider",
    "localstack.services.sns.provider",
    "localstack.services.moto",
)
SMOKE = """\
import importlib, sys, warnings
warnings.simplefilter("ignore")
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name) and exc.name.startswith("localstack"):
            continue  # this version has no such module
        raise SystemExit(f"import {name}: {type(exc).__name__}: {exc}")
    except Exception as exc:
        raise SystemExit(f"import {name}: {type(exc).__name__}: {exc}")
"""


@dataclass(frozen=True)
class LocalStackInstall:
    version: str
    python: Path
    venv: Path
    installed_now: bool
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def root(self) -> Path:
        return self.venv.parent

    @property
    def python_version(self) -> str:
        return venvs.venv_python_version(self.meta, self.venv)

    def describe(self) -> str:
        verb = "installed" if self.installed_now else "found"
        seconds = self.meta.get("install_seconds")
        took = f" in {seconds:.0f}s" if self.installed_now and seconds else ""
        on = f" on Python {self.python_version}" if self.python_version else ""
        return f"LocalStack {self.version} ({verb}{took}{on}) in {self.venv}"


def check_version_text(version: str) -> None:
    if not re.fullmatch(r"[0-9][0-9A-Za-z.\-+]*", version):
        raise UsageError(f"'{version}' is not a LocalStack version (e.g. 2026.3.0 or 4.14.0)")


def install_root(cache_dir: Path, version: str) -> Path:
    return cache_dir / "localstack" / version


def ensure_localstack(
    cache_dir: Path, version: str, *, log: Path | None = None
) -> LocalStackInstall:
    """Return a ready LocalStack host runtime of ``version``, installing it if needed.

    An unknown version is a :class:`UsageError`; PyPI out of reach for a version not
    installed yet is a :class:`ToolMissing`. ``log`` is accepted for older callers; the
    install log is ``<cache>/localstack/<version>/install.log``.
    """
    check_version_text(version)
    root = install_root(cache_dir, version)
    found = venvs.ensure_release(
        cache_dir, root, PACKAGE, f"{PACKAGE}[runtime]=={version}", version,
        minimum_python=(3, 10), check=_smoke,
    )  # fmt: skip
    _install_plugin(found.venv)
    return LocalStackInstall(version, found.python, found.venv, found.installed_now, found.meta)


def _smoke(python: Path) -> str | None:
    """Why ``python``'s LocalStack cannot run (an import fails), or None."""
    return venvs.smoke(python, SMOKE, *SMOKE_MODULES, env={"OVERRIDE_IN_DOCKER": "0"})


@dataclass(frozen=True)
class InstalledVersion:
    version: str
    root: Path
    python_version: str
    released: str
    install_seconds: float | None
    disk_bytes: int
    own_bytes: int
    probe: dict[str, Any] | None


def installed_versions(cache_dir: Path) -> list[InstalledVersion]:
    """Every complete LocalStack install in the cache, oldest release first."""
    base = cache_dir / "localstack"
    found = []
    for root in base.iterdir() if base.is_dir() else []:
        install = venvs.installed(root)
        if install is None:
            continue
        meta = install.meta
        disk, own = venvs.disk_usage(root)
        found.append(
            InstalledVersion(
                version=root.name,
                root=root,
                python_version=venvs.venv_python_version(meta, install.venv),
                released=str(meta.get("released") or ""),
                install_seconds=meta.get("install_seconds"),
                disk_bytes=disk,
                own_bytes=own,
                probe=read_probe(root),
            )
        )
    return sorted(found, key=lambda v: version_key(v.version))


def remove_version(cache_dir: Path, version: str) -> bool:
    """Delete one installed version (its venv, probe and run-time libraries)."""
    check_version_text(version)
    root = install_root(cache_dir, version)
    if not root.is_dir():
        return False
    with venvs.install_lock(root):
        shutil.rmtree(root, ignore_errors=True)
    return True


# -- the plugin and what a probe found ------------------------------------------------------
def plugin_digest() -> str:
    source = PLUGIN_SOURCE.read_text(encoding="utf-8")
    return hashlib.sha256((source + PLUGIN_ENTRY_POINTS).encode()).hexdigest()[:12]


def read_probe(root: Path) -> dict[str, Any] | None:
    """What the last probe of this install found, if made with the current plugin."""
    try:
        data = read_json(root / "probe.json")
    except (FileNotFoundError, StoreError):
        return None
    if not isinstance(data, dict) or data.get("plugin") != plugin_digest():
        return None
    return data


def _install_plugin(venv: Path) -> None:
    """Install lsqm's plugin as a tiny distribution (module + entry points), if changed."""
    source = PLUGIN_SOURCE.read_text(encoding="utf-8")
    venvs.install_module(venv, PLUGIN_DIST, source, PLUGIN_ENTRY_POINTS)


# -- which versions exist ----------------------------------------------------------------
def available_versions(
    cache_dir: Path, *, prereleases: bool = False, refresh: bool = False
) -> list[releases.Release]:
    """Released versions on PyPI, oldest first (dev builds and yanked ones only if asked)."""
    found = releases.releases(cache_dir, PACKAGE, refresh=refresh)
    return [r for r in found if prereleases or not (r.prerelease or r.yanked)]


def release_range(cache_dir: Path, one: str, other: str, *, prereleases: bool = False) -> list[str]:
    """The releases from the older of ``one``/``other`` to the newer, both included."""
    for version in (one, other):
        check_version_text(version)
        releases.release(cache_dir, PACKAGE, version)  # an unknown version: UsageError
    low, high = sorted((one, other), key=version_key)
    if low == high:
        raise UsageError(f"--good and --bad are the same version ({low})")
    listed = [r.version for r in available_versions(cache_dir, prereleases=prereleases)]
    inside = [v for v in listed if version_key(low) < version_key(v) < version_key(high)]
    return [low, *inside, high]
