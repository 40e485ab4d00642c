"""The one door through which lsqm starts external processes.

Every child gets its own process group (so a timeout or Ctrl-C kills the whole tree:
terraform's provider plugins, LocalStack's node children), an argv list (never a shell),
an environment built by :mod:`lsqm.childenv`, and output captured to a redacted log.
Live process groups are tracked so :func:`kill_all` can leave nothing behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsqm.errors import CommandError, CommandTimeout, ToolMissing
from lsqm.redact import redact

_live: set[subprocess.Popen[bytes]] = set()
_accounting = threading.local()
_recorders: list[SpanRecorder] = []  # installed by whoever measures (a benchmark)
_live_lock = threading.Lock()
_shutting_down = threading.Event()

KILL_GRACE_S = 5.0


@dataclass
class SpanRecorder:
    """Collects ``(start, end)`` of every :func:`run` child while installed (monotonic
    seconds). Production code never installs one; a benchmark does, to measure overhead."""

    spans: list[tuple[float, float]] = field(default_factory=list)

    def busy_seconds(self, since: float, until: float) -> float:
        """Wall seconds within [since, until] during which at least one child was running,
        overlaps counted once."""
        clipped = sorted(
            (max(a, since), min(b, until)) for a, b in self.spans if b > since and a < until
        )
        busy, reach = 0.0, since
        for start, end in clipped:
            if end > reach:
                busy += end - max(start, reach)
                reach = end
        return busy


@contextlib.contextmanager
def record_spans() -> Iterator[SpanRecorder]:
    """Record the spans of every child started while the block runs (any thread)."""
    recorder = SpanRecorder()
    with _live_lock:
        _recorders.append(recorder)
    try:
        yield recorder
    finally:
        with _live_lock:
            _recorders.remove(recorder)


@dataclass(frozen=True)
class Completed:
    """What a finished command did: exit code (None when killed on timeout), time, output."""

    argv: list[str]
    exit_code: int | None
    seconds: float
    output: str
    timed_out: bool = False
    aborted: bool = False  # killed because the caller's ``abort`` check said so

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def check(self) -> Completed:
        if self.timed_out:
            raise CommandTimeout(self.argv, self.seconds, self.output)
        if self.exit_code != 0:
            raise CommandError(self.argv, self.exit_code, self.output)
        return self


def require_tool(name: str, hint: str) -> str:
    """Return the absolute path of ``name`` on PATH, or raise ToolMissing saying how to get it."""
    found = shutil.which(name)
    if not found:
        raise ToolMissing(f"'{name}' was not found on PATH. {hint}")
    return found


def spawn(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path | None = None,
    log_path: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start a long-lived child (an emulator) in its own process group and track it."""
    if _shutting_down.is_set():
        raise KeyboardInterrupt
    out = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    try:
        return _start(argv, env, cwd, out)
    finally:
        if log_path:
            out.close()  # type: ignore[union-attr]


def _start(
    argv: Sequence[str], env: Mapping[str, str], cwd: Path | None, stdout: Any
) -> subprocess.Popen[bytes]:
    """Popen in a new session (its own process group), tracked for :func:`kill_all`."""
    try:
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    except FileNotFoundError as exc:
        raise ToolMissing(f"cannot run {argv[0]!r}: {exc.strerror}") from exc
    with _live_lock:
        _live.add(proc)
    return proc


def terminate(proc: subprocess.Popen[bytes], grace: float = KILL_GRACE_S) -> None:
    """SIGTERM the child's process group, then SIGKILL whatever is left after ``grace`` s."""
    try:
        pgid = os.getpgid(proc.pid)
    except ProcessLookupError:
        pgid = None
    if pgid is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
        # Kill the group even if the leader exited: its children may still be alive.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace)
    with _live_lock:
        _live.discard(proc)


def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path | None = None,
    timeout: float | None = None,
    log_path: Path | None = None,
    abort: Callable[[], bool] | None = None,
    cleanup: bool = False,
) -> Completed:
    """Run a command to completion; on timeout kill its whole process group.

    ``abort`` is polled while the command runs (e.g. "the emulator died"): when it returns
    True the command is killed at once instead of retrying against nothing until timeout.
    After Ctrl-C every command is killed at once, except ``cleanup`` ones (removing a
    container) that must finish so nothing is left behind.
    Output (stdout and stderr interleaved) is redacted and, when ``log_path`` is given,
    written there as well as returned.
    """
    start = time.monotonic()
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
    # Output goes to an unnamed file, not a pipe: a chatty child can never block on a full
    # pipe while we wait, and one waiting loop serves timeouts and abort checks alike.
    with tempfile.TemporaryFile() as sink:
        proc = _start(argv, env, cwd, sink)
        timed_out = aborted = False
        try:
            aborted = _wait(proc, start, timeout, abort, cleanup)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            if timed_out or aborted:
                terminate(proc, grace=2.0)
            else:
                # The leader is done; reap any grandchildren it left in its group.
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)
            with _live_lock:
                _live.discard(proc)
        sink.seek(0)
        raw = sink.read()
    end = time.monotonic()
    _accounting.seconds = child_seconds() + (end - start)
    with _live_lock:
        for recorder in _recorders:
            recorder.spans.append((start, end))
    output = redact(raw.decode("utf-8", errors="replace"))
    if log_path is not None:
        log_path.write_text(output, encoding="utf-8")
    return Completed(
        argv=list(argv),
        exit_code=None if timed_out else proc.returncode,
        seconds=time.monotonic() - start,
        output=output,
        timed_out=timed_out,
        aborted=aborted,
    )


def _wait(
    proc: subprocess.Popen[bytes],
    start: float,
    timeout: float | None,
    abort: Callable[[], bool] | None,
    cleanup: bool = False,
) -> bool:
    """Wait for ``proc``; True if ``abort`` fired. Raises TimeoutExpired past ``timeout``."""
    while True:
        remaining = None if timeout is None else timeout - (time.monotonic() - start)
        if remaining is not None and remaining <= 0:
            raise subprocess.TimeoutExpired(proc.args, timeout or 0)
        step = 1.0 if remaining is None else min(1.0, remaining)
        try:
            proc.wait(timeout=step)
            return False
        except subprocess.TimeoutExpired:
            if (_shutting_down.is_set() and not cleanup) or (abort is not None and abort()):
                return True


def shutting_down() -> bool:
    """Whether Ctrl-C is being handled (no new work should start)."""
    return _shutting_down.is_set()


def child_seconds() -> float:
    """Seconds this thread has spent waiting on :func:`run` children (for overhead figures)."""
    return float(getattr(_accounting, "seconds", 0.0))


def kill_all(grace: float = 3.0) -> int:
    """Kill every tracked child process group (Ctrl-C, SIGTERM, SIGHUP); returns how many.

    All groups get SIGTERM at once, then whatever is left after ``grace`` seconds gets
    SIGKILL (LocalStack 4.x ignores SIGTERM), so the wait is paid once, not per child.
    """
    _shutting_down.set()
    with _live_lock:
        procs = list(_live)
    groups = []
    for child in procs:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            groups.append(os.getpgid(child.pid))
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for child in procs:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
    for pgid in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
    for child in procs:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=grace)
        with _live_lock:
            _live.discard(child)
    return len(procs)
