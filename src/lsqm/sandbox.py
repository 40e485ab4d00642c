"""A filesystem sandbox for strangers' code: terraform (and the providers it starts) and the
generated tests see their workspace, their toolchain and the emulator — not the host.

Terraform's ``file()``/``templatefile()`` can read any path a static check cannot follow, and
a generated test is arbitrary Python; what they read lands in state, logs and, once pushed, a
public repository. Debian's ``bubblewrap`` (``bwrap``) gives each such process a private
root: ``/usr`` and the named folders read-only, its workspace read-write, a minimal ``/etc``
(resolver, CA certificates), a private ``/tmp``, and the host's network (the emulator listens
on 127.0.0.1). A process that reads outside gets "no such file", which terraform reports as a
configuration error, never an emulator failure.

Terraform and the AWS provider share the host's process numbers (terraform checks a shared
provider's pid) and get no ``/proc`` at all; the tests get a pid namespace of their own with
its own ``/proc``, so no host process (and no environment of one) is visible to them.
"""

from __future__ import annotations

import functools
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from lsqm import proc
from lsqm.childenv import child_env
from lsqm.errors import ToolMissing

# The system folders every sandboxed program needs to start, read-only.
_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64")
# What of /etc a networked program needs: name resolution and TLS roots; nothing else.
_ETC = (
    "/etc/resolv.conf",
    "/etc/hosts",
    "/etc/nsswitch.conf",
    "/etc/ssl",
    "/etc/ca-certificates",
    "/etc/pki",
    "/etc/localtime",
)


@dataclass(frozen=True)
class Sandbox:
    """One bwrap invocation's view of the filesystem."""

    bwrap: str
    writable: tuple[Path, ...] = ()
    readable: tuple[Path, ...] = ()
    own_processes: bool = False  # a pid namespace with its own /proc (tests)

    def with_paths(
        self,
        *,
        writable: Iterable[Path] = (),
        readable: Iterable[Path] = (),
        own_processes: bool | None = None,
    ) -> Sandbox:
        return Sandbox(
            self.bwrap,
            (*self.writable, *writable),
            (*self.readable, *readable),
            self.own_processes if own_processes is None else own_processes,
        )

    def wrap(self, argv: Sequence[str], cwd: Path | None = None) -> list[str]:
        """``argv`` run inside the sandbox (in ``cwd``, which must be a bound folder)."""
        args = [self.bwrap, "--die-with-parent", "--unshare-ipc", "--unshare-uts"]
        args += ["--dev", "/dev", "--tmpfs", "/tmp"]
        for name in _SYSTEM:
            args += _system_entry(name)
        for name in _ETC:
            if Path(name).exists():
                args += ["--ro-bind", name, name]
        if self.own_processes:
            args += ["--unshare-pid", "--proc", "/proc"]
        for path in _distinct(self.readable):
            args += ["--ro-bind", str(path), str(path)]
        for path in _distinct(self.writable):
            args += ["--bind", str(path), str(path)]
        if cwd is not None:
            args += ["--chdir", str(cwd)]
        return [*args, "--", *argv]


def _system_entry(path: str) -> list[str]:
    """A merged-/usr link stays a link; a real folder is bound read-only; absent is skipped."""
    p = Path(path)
    if p.is_symlink():
        return ["--symlink", str(p.readlink()), path]
    if p.is_dir():
        return ["--ro-bind", path, path]
    return []


def _distinct(paths: Iterable[Path]) -> list[Path]:
    """Existing folders and files, resolved, each once, parents before children (a child
    bound after its parent keeps its own mode)."""
    seen = {p.resolve() for p in paths if p.exists()}
    return sorted(seen, key=lambda p: (len(p.parts), str(p)))


@functools.cache
def find_bwrap() -> str | None:
    """The bwrap executable, if one is installed and can build a sandbox here (it needs
    user namespaces, or root): checked once per process by running ``true`` inside."""
    found = shutil.which("bwrap")
    if found is None:
        return None
    with tempfile.TemporaryDirectory(prefix="lsqm-bwrap-") as home:
        try:
            result = proc.run(Sandbox(found).wrap(["/bin/true"]), env=child_env(Path(home)),
                              timeout=20)  # fmt: skip
        except ToolMissing:
            return None
    return found if result.ok else None


UNAVAILABLE = (
    "no filesystem sandbox: bwrap (Debian package bubblewrap) is not installed or cannot "
    "run here, so terraform and the tests can read any host file this user can"
)

Policy = Literal["auto", "required", "off"]


def choose(policy: Policy) -> tuple[Sandbox | None, list[str]]:
    """The base sandbox for a run, and warnings for run.json. ``required`` without a usable
    bwrap is ToolMissing; ``auto`` runs unsandboxed and says so; ``off`` is the user's call."""
    if policy == "off":
        return None, ["sandbox turned off (setting sandbox: off)"]
    bwrap = find_bwrap()
    if bwrap is not None:
        return Sandbox(bwrap), []
    if policy == "required":
        raise ToolMissing(
            f"{UNAVAILABLE}; install it ('apt-get install bubblewrap') or set sandbox: auto"
        )
    return None, [UNAVAILABLE]
