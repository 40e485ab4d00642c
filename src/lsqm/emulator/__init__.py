"""Emulator runtimes behind one interface; :func:`emulator_factory` picks and builds one.

Emulators (``settings.emulator``, described in :mod:`lsqm.emulator.catalogue`): LocalStack
(host process, docker, external), moto's server, MiniStack and LocalEmu (host process or
external), and any other by name as an external endpoint (``--endpoint``, or a profile of
``lsqm.yaml``). :func:`describe_target` says which one a run uses before any starts, so a run
that never got an emulator is still tagged with it; :func:`check_reachable` refuses a run
whose emulator cannot serve it before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lsqm.config import EmulatorProfile, Settings
from lsqm.emulator.catalogue import CATALOGUE, Adapter, adapter
from lsqm.emulator.interface import Emulator
from lsqm.errors import EmulatorError, EmulatorUnavailable, UsageError
from lsqm.records import EmulatorInfo

__all__ = [
    "Emulator",
    "check_reachable",
    "describe_target",
    "emulator_factory",
    "external_target",
    "resolve_runtime",
]


@dataclass(frozen=True)
class ExternalTarget:
    """An emulator the user runs: where, and what the adapter needs to know about it."""

    endpoint: str
    spec: Adapter
    reset_url: str | None
    version: str | None


def emulator_name(settings: Settings) -> str:
    """The emulator a run uses: the profile's when one is chosen, else the setting."""
    return _profile(settings).emulator if settings.profile else settings.emulator


def _profile(settings: Settings) -> EmulatorProfile:
    assert settings.profile
    found = settings.emulator_profiles.get(settings.profile)
    if found is None:
        known = ", ".join(sorted(settings.emulator_profiles)) or "none in lsqm.yaml"
        raise UsageError(f"--profile {settings.profile!r} is not in emulator_profiles ({known})")
    return found


def external_target(settings: Settings) -> ExternalTarget:
    """The endpoint, adapter, reset URL and version of an external run (options win over the
    profile's values)."""
    endpoint: str | None
    if settings.profile:
        p = _profile(settings)
        endpoint = settings.endpoint or p.endpoint
        reset_url = settings.reset_url or p.reset_url
        health_path = settings.health_path or p.health_path
        version = settings.emulator_version or p.version
    else:
        endpoint, reset_url = settings.endpoint, settings.reset_url
        health_path, version = settings.health_path, settings.emulator_version
    if not endpoint:
        raise UsageError("--runtime external needs --endpoint URL (the emulator to use)")
    spec = adapter(emulator_name(settings), health_path=health_path)
    return ExternalTarget(endpoint.rstrip("/"), spec, reset_url, version)


def resolve_runtime(settings: Settings) -> str:
    """``auto`` means external with an endpoint (or a profile), docker when a daemon answers
    and the emulator runs there, else host."""
    name = emulator_name(settings)
    external = bool(settings.endpoint or settings.profile)
    if settings.runtime != "auto":
        if settings.runtime == "external":
            external_target(settings)  # says what is missing
            return "external"
        spec = CATALOGUE.get(name)
        if spec is None:
            raise UsageError(
                f"lsqm does not run {name!r} itself: give --runtime external --endpoint URL "
                f"(it runs {', '.join(CATALOGUE)})"
            )
        if settings.runtime not in spec.runtimes:
            raise UsageError(
                f"--emulator {name} runs as {' or '.join(spec.runtimes)}, not {settings.runtime}"
            )
        return settings.runtime
    if external:
        external_target(settings)
        return "external"
    if name not in CATALOGUE:
        raise UsageError(
            f"lsqm does not run {name!r} itself: give --endpoint URL (the emulator you run)"
        )
    if "docker" not in CATALOGUE[name].runtimes:
        return "host"
    from lsqm.emulator.docker import docker_available

    return "docker" if docker_available() else "host"


def target_version(settings: Settings) -> str:
    """The version lsqm installs and runs of the chosen emulator."""
    return {
        "moto": settings.moto_version,
        "ministack": settings.ministack_version,
        "localemu": settings.localemu_version,
    }.get(emulator_name(settings), settings.localstack_version)


def describe_target(settings: Settings, runtime: str) -> EmulatorInfo:
    """The emulator a run asks for (the running one's own report replaces it once up)."""
    if runtime == "external":
        version = external_target(settings).version or "unknown"
    else:
        version = target_version(settings)
    return EmulatorInfo(kind=emulator_name(settings), runtime=runtime, version=version)


def check_reachable(settings: Settings, runtime: str) -> None:
    """Refuse a run whose emulator cannot serve it, before anything is written: no Docker
    daemon for ``--runtime docker``, an external endpoint that is not healthy. Otherwise
    every architecture would be recorded ERROR/emulator_unavailable and the run would look
    like a collapse of the emulator (exit 3 instead: :class:`EmulatorUnavailable`)."""
    if runtime == "docker":
        from lsqm.emulator.docker import docker_available

        if not docker_available():
            raise EmulatorUnavailable(
                "--runtime docker: no Docker daemon answers ('docker info' failed); start "
                "Docker or use --runtime host. Nothing was validated."
            )
    elif runtime == "external":
        from lsqm.emulator.external import ExternalEmulator

        target = external_target(settings)
        emulator = ExternalEmulator(target.endpoint, spec=target.spec, reset_url=target.reset_url)
        try:
            emulator.start()
        except EmulatorError as exc:
            raise EmulatorUnavailable(f"{exc.message}. Nothing was validated.") from None


def emulator_factory(
    settings: Settings, runtime: str, log_dir: Path, workdir: Path | None = None
) -> Callable[[int], Emulator]:
    """A function making worker ``i``'s emulator (not started); its files go to ``workdir``."""
    name = emulator_name(settings)
    if runtime == "external":
        from lsqm.emulator.external import ExternalEmulator

        t = external_target(settings)
        return lambda _i: ExternalEmulator(
            t.endpoint, spec=t.spec, reset_url=t.reset_url, version=t.version
        )
    if name == "moto":
        from lsqm.emulator.moto import MotoServer
        from lsqm.toolchain.moto_install import ensure_moto

        moto = ensure_moto(settings.cache_dir, settings.moto_version)
        return lambda i: MotoServer(moto, workdir=workdir, log_file=log_dir / f"emulator-{i}.log")
    if name == "ministack":
        from lsqm.emulator.ministack import MiniStackServer
        from lsqm.toolchain.emulator_install import ensure_emulator

        mini = ensure_emulator(settings.cache_dir, "ministack", settings.ministack_version)
        return lambda i: MiniStackServer(
            mini, workdir=workdir, log_file=log_dir / f"emulator-{i}.log", region=settings.region
        )
    if name == "localemu":
        from lsqm.emulator.localemu import HostLocalEmu
        from lsqm.toolchain.emulator_install import ensure_emulator

        emu = ensure_emulator(settings.cache_dir, "localemu", settings.localemu_version)
        return lambda i: HostLocalEmu(
            emu,
            workdir=workdir,
            dynamodb_via_moto=False,  # its own DynamoDB needs no Java
            eager_services=settings.eager_services,
            log_file=log_dir / f"emulator-{i}.log",
        )
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
