"""What the pipeline tests share: real git repositories, lsqm as a real process, planted
canary secrets, and a watcher that reads every process's command line (and the environment
of lsqm's children) while lsqm runs."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .conftest import REPO

LSQM = Path(sys.executable).parent / "lsqm"
EXAMPLES = REPO / "examples"
# Every secret lsqm reads. Values match no redaction pattern, so only lsqm's own handling
# (allow-listed child environments, redaction of its environment's values) keeps them out.
SECRET_VARS = (
    "GITHUB_TOKEN",
    "ARTIFACT_REPO_TOKEN",
    "ANTHROPIC_API_KEY",
    "SLACK_WEBHOOK_URL",
    "LOCALSTACK_AUTH_TOKEN",
)


def git(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True,
        env={**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"},
    )  # fmt: skip
    return done.stdout


def bare_repo(path: Path) -> Path:
    git("init", "-q", "--bare", "-b", "main", str(path))
    return path


def remote_files(remote: Path, ref: str = "main") -> list[str]:
    """The files of ``ref`` in a repository; none when the branch does not exist yet."""
    if not git("for-each-ref", f"refs/heads/{ref}", cwd=remote).strip():
        return []
    return git("ls-tree", "-r", "--name-only", ref, cwd=remote).split()


def sources_yaml(folder: Path, examples: list[str]) -> Path:
    """A sources.yaml of a few bundled examples: the embedded default's source kind and
    files, small enough for a test suite that must stay under 30 minutes."""
    path = folder / "sources.yaml"
    lines = ["sources:", "  - name: examples", "    kind: local", f"    path: {EXAMPLES}",
             f"    paths: [{', '.join(examples)}]"]  # fmt: skip
    path.write_text("\n".join(lines) + "\n")
    return path


def canaries() -> dict[str, str]:
    """A fresh value per secret (new in every test, so nothing else can hold it)."""
    return {var: f"canary-{var.lower()}-{secrets.token_hex(8)}" for var in SECRET_VARS}


def lsqm(
    *args: str, cwd: Path, env: Mapping[str, str], timeout: float = 900, check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(LSQM), *args], cwd=cwd, env=dict(env), capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip
    if check and done.returncode != 0:
        raise AssertionError(f"lsqm {' '.join(args)} exited {done.returncode}:\n{done.stderr}")
    return done


def leaks(values: Mapping[str, str], *roots: Path) -> list[str]:
    """Files under ``roots`` (a store, its .git, logs, a bare remote's history) that hold
    a canary; a bare repository is read through git, whose objects are compressed."""
    found = []
    for root in roots:
        if (root / "HEAD").is_file() and (root / "objects").is_dir():  # a bare repository
            history = git("log", "--all", "-p", "--no-color", cwd=root)
            found += [f"{root} history: {k}" for k, v in values.items() if v in history]
            continue
        for path in root.rglob("*"):
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                found += [f"{path}: {k}" for k, v in values.items() if v.encode() in data]
    return found


@dataclass
class ProcWatch:
    """Reads ``/proc`` every few milliseconds while lsqm runs: no process's command line
    may hold a canary, and no child of an lsqm process (terraform, LocalStack, pytest, git)
    may hold one in its environment."""

    values: Mapping[str, str]
    allowed_env: Mapping[str, frozenset[str]] = field(default_factory=dict)  # comm -> vars
    findings: set[str] = field(default_factory=set)
    seen: set[str] = field(default_factory=set)  # commands of lsqm's children seen
    _stop: threading.Event = field(default_factory=threading.Event)

    def _scan(self) -> None:
        parents: dict[int, int] = {}
        cmdlines: dict[int, bytes] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            pid = int(entry)
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
                cmdlines[pid] = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            parents[pid] = int(stat.rsplit(")", 1)[1].split()[1])
        for pid, cmdline in cmdlines.items():
            for var, value in self.values.items():
                if value.encode() in cmdline:
                    self.findings.add(f"{var} in the command line of {cmdline[:120]!r}")
            if b"/lsqm\0" in cmdline or not self._under_lsqm(pid, parents, cmdlines):
                continue
            name = Path(cmdline.split(b"\0", 1)[0].decode(errors="replace")).name
            self.seen.add(name)
            try:
                environ = Path(f"/proc/{pid}/environ").read_bytes()
            except OSError:
                continue
            for item in environ.split(b"\0"):
                var = item.split(b"=", 1)[0].decode(errors="replace")
                allowed = self.allowed_env.get(name, frozenset())
                if any(v.encode() in item for v in self.values.values()) and var not in allowed:
                    self.findings.add(f"a canary in {var} of the environment of {name}")

    @staticmethod
    def _under_lsqm(pid: int, parents: dict[int, int], cmdlines: dict[int, bytes]) -> bool:
        seen = set()
        while pid in parents and pid not in seen and pid > 1:
            seen.add(pid)
            pid = parents[pid]
            if b"/lsqm\0" in cmdlines.get(pid, b""):
                return True
        return False

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._scan()
            self._stop.wait(0.01)

    @contextmanager
    def watching(self) -> Iterator[ProcWatch]:
        thread = threading.Thread(target=self._loop, name="proc-watch", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join(timeout=10)


def cli_env(cache_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of an lsqm process a user starts: none of the caller's LSQM_* or
    secrets, this venv's lsqm first on PATH, the provisioned toolchain cache; plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LSQM_")}
    for var in ("SLACK_WEBHOOK_URL", "GITHUB_TOKEN", "ANTHROPIC_API_KEY", "GITHUB_STEP_SUMMARY"):
        env.pop(var, None)
    env.update(PATH=f"{Path(sys.executable).parent}:{env['PATH']}", LSQM_CACHE_DIR=str(cache_dir))
    return {**env, **extra}
