"""``setup`` as library calls: find or install what validate needs (:func:`provision`), and
the LocalStack (or MiniStack, LocalEmu) versions installed side by side or offered
(:func:`list_versions`).

Both return typed outputs (:class:`lsqm.records.Output`); their ``to_json()`` is what
``lsqm setup [--list] --format json`` prints."""

from __future__ import annotations

from typing import Any

from lsqm.config import Settings
from lsqm.emulator import resolve_runtime, target_version
from lsqm.emulator.probe import capability_line, probe_localstack, probe_notes
from lsqm.errors import ToolMissing
from lsqm.messages import Say, quiet
from lsqm.records import Output
from lsqm.toolchain.emulator_install import PACKAGES as PYPI_EMULATORS
from lsqm.toolchain.emulator_install import available_versions as emulator_releases
from lsqm.toolchain.emulator_install import ensure_emulator
from lsqm.toolchain.emulator_install import installed_versions as emulator_installs
from lsqm.toolchain.localstack_install import available_versions, ensure_localstack
from lsqm.toolchain.localstack_install import installed_versions as installed_releases
from lsqm.toolchain.moto_install import ensure_moto
from lsqm.toolchain.terraform_install import ensure_terraform
from lsqm.versions import sort_versions


class LocalStackSetup(Output):
    """One LocalStack release found or installed; ``probe`` and ``notes`` when probed."""

    version: str
    venv: str
    installed_now: bool
    python: str | None
    install_seconds: float | None
    probe: dict[str, Any] | None = None
    notes: list[str] | None = None


class MotoSetup(Output):
    version: str
    venv: str
    installed_now: bool


class EmulatorSetup(Output):
    """One MiniStack or LocalEmu release found or installed (its date-locked venv)."""

    version: str
    venv: str
    installed_now: bool
    python: str | None
    released: str | None
    install_seconds: float | None


class TerraformSetup(Output):
    binary: str
    version: str
    mirror: str | None
    offline_providers: dict[str, str]
    describe: str


class ProvisionReport(Output):
    """``lsqm setup``: the runtime chosen and what was found or installed. ``localstack``
    (the first of ``localstack_versions``) and ``moto`` only when they apply."""

    runtime: str
    cache_dir: str
    localstack: LocalStackSetup | None = None
    localstack_versions: list[LocalStackSetup] | None = None
    moto: MotoSetup | None = None
    ministack: list[EmulatorSetup] | None = None
    localemu: list[EmulatorSetup] | None = None
    terraform: TerraformSetup


def provision(
    settings: Settings,
    say: Say = quiet,
    *,
    versions: list[str] | None = None,
    probe: bool = True,
) -> ProvisionReport:
    """Find or install what validate needs (emulator runtime, terraform + provider).

    ``versions``: versions of the chosen emulator to install side by side (default: the
    setting's); each LocalStack one is probed once for what lsqm's plugin gives on it
    (cached per plugin)."""
    chosen = resolve_runtime(settings)
    parts: dict[str, Any] = {}
    if settings.emulator == "localstack" and (chosen == "host" or versions):
        installs = [
            _provision_localstack(settings, version, say, probe)
            for version in dict.fromkeys(versions or [settings.localstack_version])
        ]
        parts.update(localstack=installs[0], localstack_versions=installs)
    if settings.emulator in PYPI_EMULATORS and chosen == "host":
        parts[settings.emulator] = [
            _provision_pypi_emulator(settings, version, say)
            for version in dict.fromkeys(versions or [target_version(settings)])
        ]
    if settings.emulator == "moto" and chosen == "host":
        moto = ensure_moto(settings.cache_dir, settings.moto_version)
        say(moto.describe())
        parts["moto"] = MotoSetup(
            version=moto.version, venv=str(moto.venv), installed_now=moto.installed_now
        )
    say("Terraform: checking …")
    toolchain = ensure_terraform(settings)
    say(toolchain.describe())
    terraform = TerraformSetup(
        binary=str(toolchain.binary),
        version=toolchain.version,
        mirror=str(toolchain.mirror) if toolchain.mirror else None,
        offline_providers=toolchain.offline_providers,
        describe=toolchain.describe(),
    )
    return ProvisionReport(
        runtime=chosen, cache_dir=str(settings.cache_dir), terraform=terraform, **parts
    )


def _provision_pypi_emulator(settings: Settings, version: str, say: Say) -> EmulatorSetup:
    say(f"{settings.emulator} {version}: checking …")
    found = ensure_emulator(settings.cache_dir, settings.emulator, version)
    say(found.describe())
    return EmulatorSetup(
        version=found.version,
        venv=str(found.venv),
        installed_now=found.installed_now,
        python=found.meta.get("python_version"),
        released=found.meta.get("released"),
        install_seconds=found.meta.get("install_seconds"),
    )


def _provision_localstack(
    settings: Settings, version: str, say: Say, probe: bool
) -> LocalStackSetup:
    say(f"LocalStack {version}: checking the host runtime …")
    install = ensure_localstack(settings.cache_dir, version)
    say(install.describe())
    probed: dict[str, Any] = {}
    if probe:
        found = probe_localstack(install)
        say(f"LocalStack {version}: {capability_line(found)}")
        probed.update(probe=found, notes=probe_notes(install))
    return LocalStackSetup(
        version=install.version,
        venv=str(install.venv),
        installed_now=install.installed_now,
        python=install.python_version,
        install_seconds=install.meta.get("install_seconds"),
        **probed,
    )


class VersionRow(Output):
    """One LocalStack release: what PyPI says of it, and for an installed one its python,
    disk use (``own_bytes``: not shared with uv's cache) and what lsqm's plugin gives on it
    (those fields only when installed)."""

    version: str
    released: str
    yanked: bool
    installed: bool
    python: str | None = None
    disk_bytes: int = 0
    own_bytes: int = 0
    install_seconds: float | None = None
    probe: dict[str, Any] | None = None
    capabilities: str = ""


class VersionList(Output):
    """``lsqm setup --list``: every version in release order, the installed ones, and why
    PyPI's list is missing (``index_error``) when it could not be read. ``emulator`` names
    MiniStack or LocalEmu when their versions are listed (absent: LocalStack's)."""

    emulator: str | None = None
    default: str
    versions: list[VersionRow]
    installed: list[str]
    installed_disk_bytes: int
    index_error: str | None


def list_versions(settings: Settings, *, prereleases: bool = False) -> VersionList:
    """Installed LocalStack versions (python, disk, probe) and those PyPI offers, in one
    release order (SemVer 4.x before CalVer 2026.x); dev builds only with ``prereleases``.
    With ``emulator`` MiniStack or LocalEmu, that emulator's versions instead."""
    if settings.emulator in PYPI_EMULATORS:
        return _list_emulator_versions(settings, prereleases=prereleases)
    installed = {v.version: v for v in installed_releases(settings.cache_dir)}
    try:
        offered = available_versions(settings.cache_dir, prereleases=prereleases)
        index_error = None
    except ToolMissing as exc:
        offered, index_error = [], exc.message
    rows: dict[str, VersionRow] = {
        r.version: VersionRow(version=r.version, released=r.day, yanked=r.yanked, installed=False)
        for r in offered
    }
    for version, found in installed.items():
        known = rows.get(version)
        rows[version] = VersionRow(
            version=version,
            released=known.released if known else found.released,
            yanked=known.yanked if known else False,
            installed=True,
            python=found.python_version,
            disk_bytes=found.disk_bytes,
            own_bytes=found.own_bytes,
            install_seconds=found.install_seconds,
            probe=found.probe,
            capabilities=capability_line(found.probe) if found.probe else "not probed yet",
        )
    ordered = [rows[v] for v in sort_versions(rows)]
    return VersionList(
        default=settings.localstack_version,
        versions=ordered,
        installed=[r.version for r in ordered if r.installed],
        installed_disk_bytes=sum(r.disk_bytes for r in ordered),
        index_error=index_error,
    )


def _list_emulator_versions(settings: Settings, *, prereleases: bool) -> VersionList:
    """MiniStack's or LocalEmu's installed versions (python, disk) and those PyPI offers."""
    name = settings.emulator
    try:
        offered = emulator_releases(settings.cache_dir, name, prereleases=prereleases)
        index_error = None
    except ToolMissing as exc:
        offered, index_error = [], exc.message
    rows: dict[str, VersionRow] = {
        r.version: VersionRow(version=r.version, released=r.day, yanked=r.yanked, installed=False)
        for r in offered
    }
    for found in emulator_installs(settings.cache_dir, name):
        known = rows.get(found["version"])
        rows[found["version"]] = VersionRow(
            version=found["version"],
            released=known.released if known else found["released"],
            yanked=known.yanked if known else False,
            installed=True,
            python=found["python"],
            disk_bytes=found["disk_bytes"],
            own_bytes=found["own_bytes"],
            install_seconds=found["install_seconds"],
        )
    ordered = [rows[v] for v in sort_versions(rows)]
    return VersionList(
        emulator=name,
        default=target_version(settings),
        versions=ordered,
        installed=[r.version for r in ordered if r.installed],
        installed_disk_bytes=sum(r.disk_bytes for r in ordered),
        index_error=index_error,
    )
