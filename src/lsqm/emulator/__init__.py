"""Emulator runtimes behind one interface; :func:`emulator_factory` picks and builds one.

Two emulators (``settings.emulator``): LocalStack (host process, docker, external) and
moto's server (host process, external). :func:`describe_target` says which one a run uses
before any starts, so a run that never got an emulator is still tagged with it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lsqm.config import Settings
from lsqm.emulator.interface import Emulator
from lsqm.errors import UsageError
from lsqm.records import EmulatorInfo

__all__ = ["Emulator", "describe_target", "emulator_factory", "resolve_runtime"]


def resolve_runtime(settings: Settings) -> str:
    """``auto`` means external with an endpoint, docker when a daemon answers, else host
    (moto: external with an endpoint, else host)."""
    if settings.runtime != "auto":
        if settings.runtime == "external" and not settings.endpoint:
            raise UsageError("--runtime external needs --endpoint URL (the emulator to use)")
        if settings.emulator == "moto" and settings.runtime == "docker":
            raise UsageError("--emulator moto runs as a host process (or --endpoint); not docker")
        return settings.runtime
    if settings.endpoint:
        return "external"
    if settings.emulator == "moto":
        return "host"
    from lsqm.emulator.docker import docker_available

    return "docker" if docker_available() else "host"


def target_version(settings: Settings) -> str:
    return settings.moto_version if settings.emulator == "moto" else settings.localstack_version


def describe_target(settings: Settings, runtime: str) -> EmulatorInfo:
    """The emulator a run asks for (the running one's own report replaces it once up)."""
    version = "unknown" if runtime == "external" else target_version(settings)
    return EmulatorInfo(kind=settings.emulator, runtime=runtime, version=version)


def emulator_factory(
    settings: Settings, runtime: str, log_dir: Path, workdir: Path | None = None
) -> Callable[[int], Emulator]:
    """A function making worker ``i``'s emulator (not started); its files go to ``workdir``."""
    if runtime == "external":
        from lsqm.emulator.external import ExternalEmulator

        assert settings.endpoint
        endpoint, kind = settings.endpoint, settings.emulator
        return lambda _i: ExternalEmulator(endpoint, kind=kind)
    if settings.emulator == "moto":
        from lsqm.emulator.moto import MotoServer
        from lsqm.toolchain.moto_install import ensure_moto

        moto = ensure_moto(settings.cache_dir, settings.moto_version)
        return lambda i: MotoServer(moto, workdir=workdir, log_file=log_dir / f"emulator-{i}.log")
    if runtime == "docker":
        from lsqm.emulator.docker import DockerLocalStack

        return lambda i: DockerLocalStack(
            settings.localstack_version,
            auth_token=settings.localstack_auth_token,
            log_file=log_dir / f"emulator-{i}.log",
            workdir=workdir,
        )
    from lsqm.emulator.host import HostLocalStack
    from lsqm.emulator.interface import RESET_BY_RESTART
    from lsqm.emulator.probe import probe_notes
    from lsqm.toolchain.localstack_install import ensure_localstack

    install = ensure_localstack(settings.cache_dir, settings.localstack_version)
    notes = probe_notes(install)
    use_reset = RESET_BY_RESTART not in notes
    dynamodb_via_moto = settings.dynamodb_via_moto

    def make(i: int) -> Emulator:
        emulator = HostLocalStack(
            install,
            workdir=workdir,
            dynamodb_via_moto=dynamodb_via_moto,
            eager_services=settings.eager_services,
            log_file=log_dir / f"emulator-{i}.log",
            use_reset=use_reset,
        )
        emulator.notes.extend(n for n in notes if n not in emulator.notes)
        return emulator

    return make
