"""Emulator runtimes behind one interface; :func:`make_emulator` picks and builds one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lsqm.config import Settings
from lsqm.emulator.interface import Emulator
from lsqm.errors import UsageError

__all__ = ["Emulator", "emulator_factory", "resolve_runtime"]


def resolve_runtime(settings: Settings) -> str:
    """``auto`` means external with an endpoint, docker when a daemon answers, else host."""
    if settings.runtime != "auto":
        if settings.runtime == "external" and not settings.endpoint:
            raise UsageError("--runtime external needs --endpoint URL (the emulator to use)")
        return settings.runtime
    if settings.endpoint:
        return "external"
    from lsqm.emulator.docker import docker_available

    return "docker" if docker_available() else "host"


def emulator_factory(
    settings: Settings, runtime: str, log_dir: Path, workdir: Path | None = None
) -> Callable[[int], Emulator]:
    """A function making worker ``i``'s emulator (not started); its files go to ``workdir``."""
    if runtime == "external":
        from lsqm.emulator.external import ExternalEmulator

        assert settings.endpoint
        endpoint = settings.endpoint
        return lambda _i: ExternalEmulator(endpoint)
    if runtime == "docker":
        from lsqm.emulator.docker import DockerLocalStack

        return lambda i: DockerLocalStack(
            settings.localstack_version,
            auth_token=settings.localstack_auth_token,
            log_file=log_dir / f"emulator-{i}.log",
            workdir=workdir,
        )
    from lsqm.emulator.host import HostLocalStack
    from lsqm.toolchain.localstack_install import ensure_localstack

    install = ensure_localstack(settings.cache_dir, settings.localstack_version)
    return lambda i: HostLocalStack(
        install,
        workdir=workdir,
        dynamodb_via_moto=settings.dynamodb_via_moto,
        eager_services=settings.eager_services,
        log_file=log_dir / f"emulator-{i}.log",
    )
