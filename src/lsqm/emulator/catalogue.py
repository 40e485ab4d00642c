"""The emulators lsqm knows, one entry each: what an adapter needs to check, reset and name
one (health path, reset endpoints, where it reports its version) and what it cannot do
offline. Adding an emulator is one entry here and, when lsqm runs it, one host module.

An emulator lsqm does not know (floci, fakecloud, AWS's own) runs as ``--runtime external``
under any name, with ``--health-path`` and ``--reset-url`` saying what this table says for
the known ones.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass

import httpx

from lsqm.errors import UsageError


@dataclass(frozen=True)
class Adapter:
    """One emulator as the validator sees it (every path is relative to the endpoint)."""

    name: str
    title: str
    health_path: str
    reset_paths: tuple[str, ...]  # POSTed in order; the first answering 200 emptied state
    version_path: str = ""  # GET, JSON with a "version" field ("": the health answer's)
    runtimes: tuple[str, ...] = ("host", "external")
    offline_limits: tuple[str, ...] = ()  # what it cannot do here, said in every run

    def version_at(self, endpoint: str, timeout: float = 5.0) -> str:
        """The version the running emulator reports, or "unknown"."""
        path = self.version_path or self.health_path
        with contextlib.suppress(httpx.HTTPError, ValueError, AttributeError):
            found = httpx.get(endpoint + path, timeout=timeout).json().get("version")
            if found:
                return str(found)
        return "unknown"


LOCALSTACK = Adapter(
    name="localstack",
    title="LocalStack",
    health_path="/_localstack/health",
    reset_paths=("/_lsqm/state/reset", "/_localstack/state/reset"),
    version_path="/_localstack/info",
    runtimes=("host", "docker", "external"),
    offline_limits=("lambda cannot execute on the host runtime (no Docker)",),
)
MOTO = Adapter(
    name="moto",
    title="moto server",
    health_path="/moto-api/config",
    reset_paths=("/moto-api/reset",),
    version_path="/moto-api/data.json",  # has no version: the installed one is recorded
    offline_limits=("moto server: lambda and batch need Docker to execute",),
)
MINISTACK = Adapter(
    name="ministack",
    title="MiniStack",
    health_path="/_ministack/health",  # its answer carries "version"
    reset_paths=("/_ministack/reset",),
    offline_limits=(
        "ministack: lambda runs python handlers on its own Python (whatever version the "
        "function declares), node.js on the machine's node and provided.* bootstraps as "
        "local processes; java, .NET, ruby and container images need Docker",
        "ministack: RDS, ElastiCache, OpenSearch, EKS and MWAA data planes need Docker",
    ),
)
LOCALEMU = Adapter(
    name="localemu",
    title="LocalEmu",
    health_path="/_localemu/health",
    # Its own paths have no reset; lsqm's plugin (renamed for it) adds /_lsqm/state/reset.
    reset_paths=("/_lsqm/state/reset",),
    version_path="/_localemu/info",
    offline_limits=("localemu: lambda cannot execute on the host runtime (no Docker)",),
)

CATALOGUE: dict[str, Adapter] = {a.name: a for a in (LOCALSTACK, MOTO, MINISTACK, LOCALEMU)}
KNOWN = tuple(CATALOGUE)
NAME = re.compile(r"^[a-z][a-z0-9-]{0,39}$")


def adapter(name: str, *, health_path: str | None = None) -> Adapter:
    """The catalogue's entry, or an unknown emulator's (only as an external endpoint: it
    answers LocalStack's health path unless ``health_path`` says otherwise, and has no
    reset unless ``--reset-url`` gives one)."""
    found = CATALOGUE.get(name)
    if found is None:
        if not NAME.match(name):
            raise UsageError(f"--emulator {name!r}: a name of lowercase letters, digits and -")
        found = Adapter(
            name=name,
            title=name,
            health_path=LOCALSTACK.health_path,
            reset_paths=(),
            runtimes=("external",),
        )
    if health_path:
        if not health_path.startswith("/"):
            raise UsageError(f"--health-path {health_path!r} must start with /")
        found = Adapter(**{**found.__dict__, "health_path": health_path})
    return found
