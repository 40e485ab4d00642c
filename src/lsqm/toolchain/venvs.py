"""Date-locked virtual environments: one package version in its own venv, its dependencies
resolved as they were on the version's release day (``uv pip install --exclude-newer``), so
today's releases cannot break an old version. LocalStack and moto's server install this way.

Layout: ``<root>/venv`` plus ``<root>/installed.json`` once complete. A lock file beside the
root keeps two lsqm processes (parallel CI jobs, two worktrees) from installing the same
version at once; the second waits and then finds it installed.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from lsqm import proc
from lsqm.childenv import child_env
from lsqm.errors import StoreError, ToolMissing
from lsqm.files import atomic_write_json, atomic_write_text, read_json
from lsqm.toolchain import releases

# sdists whose build downloads from outside PyPI (amazon-kclpy fetches jars from Maven):
# they cannot install offline and LocalStack runs without them (Kinesis is kinesis-local).
OFFLINE_EXCLUDES = ("amazon-kclpy",)

# Checks an installed venv: None when usable, else why not (the next interpreter is tried).
Check = Callable[[Path], str | None]


@dataclass(frozen=True)
class Interpreter:
    path: Path
    version: tuple[int, int]

    @property
    def name(self) -> str:
        return f"{self.version[0]}.{self.version[1]}"


@dataclass(frozen=True)
class VenvInstall:
    root: Path
    python: Path
    installed_now: bool
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def venv(self) -> Path:
        return self.root / "venv"


def exclude_newer(day: str) -> str:
    """The day after ``day`` (a release day): dependencies published later are ignored."""
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


def find_interpreters(minimum: tuple[int, int] = (3, 10)) -> list[Interpreter]:
    """Pythons on this machine (PATH and pyenv), newest minor first, one per minor."""
    candidates: list[Path] = []
    for minor in range(14, minimum[1] - 1, -1):
        found = shutil.which(f"python3.{minor}")
        if found:
            candidates.append(Path(found))
    pyenv_root = Path.home() / ".pyenv" / "versions"
    if pyenv_root.is_dir():
        for folder in sorted(pyenv_root.iterdir(), reverse=True):
            if re.fullmatch(r"3\.1[0-9]\.[0-9]+", folder.name):
                candidates.append(folder / "bin" / "python3")
    candidates.append(Path(sys.executable))
    chosen: dict[tuple[int, int], Interpreter] = {}
    for path in candidates:
        version = python_version(path)
        if version >= minimum and version not in chosen:
            chosen[version] = Interpreter(path, version)
    return [chosen[v] for v in sorted(chosen, reverse=True)]


def run_python(
    python: Path,
    code: str,
    *args: str,
    home: Path,
    env: dict[str, str] | None = None,
    timeout: float = 300,
) -> proc.Completed:
    """``python -c code args`` in a child environment whose HOME is ``home``: how every probe
    of an interpreter or of an installed venv runs it."""
    return proc.run([str(python), "-c", code, *args], env=child_env(home, env), timeout=timeout)


def python_version(path: Path) -> tuple[int, int]:
    """``(major, minor)`` of the interpreter at ``path``; ``(0, 0)`` when it does not run."""
    if not path.exists():
        return (0, 0)
    with tempfile.TemporaryDirectory(prefix="lsqm-py-") as home:
        try:
            code = "import sys; print(*sys.version_info[:2])"
            result = run_python(path, code, home=Path(home), timeout=20)
        except ToolMissing:
            return (0, 0)
    try:
        major, minor = result.output.split()[:2]
        return (int(major), int(minor)) if result.ok else (0, 0)
    except ValueError:
        return (0, 0)


def smoke(
    python: Path, code: str, *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> str | None:
    """Why the venv of ``python`` (``<root>/venv/bin/python``) cannot run ``code``: the last
    line of its output, or None when it ran. HOME is the install's root. What every
    installer's :data:`Check` is made of."""
    home = python.parent.parent.parent
    result = run_python(python, code, *args, home=home, env=env, timeout=timeout)
    if result.ok:
        return None
    lines = result.output.strip().splitlines()
    return (lines[-1] if lines else f"exit {result.exit_code}")[:300]


def venv_python_version(meta: dict[str, Any], venv: Path) -> str:
    """``3.13``: the Python an install runs on, as its ``installed.json`` (``meta``) records,
    else read off its venv (installs made before it was recorded); "" when neither says."""
    recorded = meta.get("python_version")
    if recorded:
        return str(recorded)
    found = sorted((venv / "lib").glob("python3.*"))
    return found[0].name.removeprefix("python") if found else ""


def site_packages(venv: Path) -> Path:
    """The venv's ``site-packages`` (where lsqm puts its emulator plugins)."""
    found = sorted(venv.glob("lib/python3.*/site-packages"))
    if not found:
        raise ToolMissing(f"{venv} is not a complete virtual environment; run 'lsqm setup' again")
    return found[0]


def install_module(venv: Path, dist: str, source: str, entry_points: str) -> None:
    """Put one module (``<dist>.py``, ``source``) with ``entry_points`` into the venv as a
    tiny distribution, unless the same one is there: how lsqm's plugins reach an emulator."""
    digest = hashlib.sha256((source + entry_points).encode()).hexdigest()[:12]
    site = site_packages(venv)
    info = site / f"{dist}-0.1.dist-info"
    stamp = info / "lsqm.json"
    with contextlib.suppress(StoreError):  # a damaged stamp: write the module again
        if stamp.is_file() and read_json(stamp).get("digest") == digest:
            return
    # Atomic writes: an emulator of this version may be starting (another worker, another
    # checkout sharing the cache) and must never import half a file.
    atomic_write_text(site / f"{dist}.py", source)
    info.mkdir(exist_ok=True)
    atomic_write_text(info / "METADATA", f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    atomic_write_text(info / "entry_points.txt", entry_points)
    atomic_write_text(info / "RECORD", "")
    # Written last: plux's entry-point cache keys on site-packages' mtime, which this bumps.
    atomic_write_text(stamp, json.dumps({"digest": digest}))


def uv_binary() -> str:
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if found:
            return found
    raise ToolMissing("'uv' is needed to install emulators; run 'pip install uv'")


@contextlib.contextmanager
def install_lock(root: Path) -> Iterator[None]:
    """Hold ``<root>.lock`` exclusively (blocking): one installer per root at a time."""
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(root.parent / f".{root.name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure_release(
    cache_dir: Path,
    root: Path,
    package: str,
    requirement: str,
    version: str,
    *,
    minimum_python: tuple[int, int],
    check: Callable[[Path], str | None],
) -> VenvInstall:
    """``requirement`` (one release of ``package``) in its own venv under ``root``, locked to
    the day the release came out; found when installed already."""
    found = installed(root)
    if found is not None:
        return found
    day = releases.release(cache_dir, package, version).day
    return ensure_venv(
        root,
        [requirement],
        cutoff=exclude_newer(day),
        interpreters=find_interpreters(minimum_python),
        uv_cache=cache_dir / "uv",
        check=check,
        meta={"version": version, "released": day},
    )


def installed(root: Path) -> VenvInstall | None:
    """The complete install at ``root``, or None."""
    try:
        meta = read_json(root / "installed.json")
    except (FileNotFoundError, StoreError):
        return None
    python = root / "venv" / "bin" / "python"
    return VenvInstall(root, python, False, meta) if python.exists() else None


def ensure_venv(
    root: Path,
    requirements: Sequence[str],
    *,
    cutoff: str,
    interpreters: Sequence[Interpreter],
    uv_cache: Path,
    check: Check | None = None,
    meta: dict[str, Any] | None = None,
    timeout: float = 1800,
) -> VenvInstall:
    """Install ``requirements`` into ``root/venv`` as of ``cutoff`` (YYYY-MM-DD), on the
    first interpreter where the install succeeds and ``check`` passes; idempotent."""
    with install_lock(root):
        found = installed(root)
        if found is not None:
            return found
        if not interpreters:
            raise ToolMissing(
                f"no Python interpreter to install {requirements[0]} with; install one "
                "(e.g. 'pyenv install 3.13')"
            )
        uv = uv_binary()
        root.mkdir(parents=True, exist_ok=True)
        log = root / "install.log"
        log.unlink(missing_ok=True)
        excludes = root / "excludes.txt"
        excludes.write_text("\n".join(OFFLINE_EXCLUDES) + "\n", encoding="utf-8")
        env = child_env(root, {"UV_CACHE_DIR": str(uv_cache)})
        rejected: dict[str, str] = {}
        for interpreter in interpreters:
            started = time.monotonic()
            why = _try_install(uv, root, interpreter, requirements, cutoff, excludes, env, timeout)
            if why is None and check is not None:
                why = check(root / "venv" / "bin" / "python")
            if why is None:
                record = {
                    **(meta or {}),
                    "requirements": list(requirements),
                    "exclude_newer": cutoff,
                    "python": str(interpreter.path),
                    "python_version": interpreter.name,
                    "rejected_pythons": rejected,
                    "install_seconds": round(time.monotonic() - started, 1),
                    "excluded": list(OFFLINE_EXCLUDES),
                }
                atomic_write_json(root / "installed.json", record)
                return VenvInstall(root, root / "venv" / "bin" / "python", True, record)
            rejected[interpreter.name] = why
            shutil.rmtree(root / "venv", ignore_errors=True)
        tried = "; ".join(f"Python {k}: {v}" for k, v in rejected.items())
        raise ToolMissing(
            f"installing {' '.join(requirements)} as of {cutoff} failed ({tried[:400]}); "
            f"see {log}. Check that PyPI is reachable."
        )


def _try_install(
    uv: str,
    root: Path,
    interpreter: Interpreter,
    requirements: Sequence[str],
    cutoff: str,
    excludes: Path,
    env: dict[str, str],
    timeout: float,
) -> str | None:
    """One attempt on one interpreter; None on success, else the last lines of uv's output."""
    venv = root / "venv"
    shutil.rmtree(venv, ignore_errors=True)
    log = root / "install.log"
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(f"== Python {interpreter.name} ({interpreter.path})\n")
    made = proc.run(
        [uv, "venv", "--quiet", "-p", str(interpreter.path), str(venv)], env=env, timeout=120
    )
    argv = [uv, "pip", "install", "-p", str(venv / "bin" / "python")]
    argv += ["--exclude-newer", cutoff, "--excludes", str(excludes), *requirements]
    result = made if not made.ok else proc.run(argv, env=env, timeout=timeout)
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(result.output + "\n")
    if result.ok:
        return None
    if result.timed_out:
        return f"uv ran past {timeout:.0f}s"
    lines = [ln.strip() for ln in result.output.strip().splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith(("error", "Error", "\u00d7", "\u2570", "hint"))]
    return " | ".join((errors or lines)[-2:])[:300] or f"uv exited with {result.exit_code}"


def disk_usage(folder: Path) -> tuple[int, int]:
    """``(bytes, own_bytes)`` of ``folder``: every file once, and those not hard-linked
    elsewhere (uv links packages from its cache, so most of a venv is shared with it)."""
    total = own = 0
    seen: set[tuple[int, int]] = set()
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            try:
                st = os.lstat(os.path.join(dirpath, name))
            except OSError:
                continue
            key = (st.st_dev, st.st_ino)
            if key in seen:
                continue
            seen.add(key)
            size = st.st_blocks * 512
            total += size
            if st.st_nlink == 1:
                own += size
    return total, own
