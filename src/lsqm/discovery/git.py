"""The ``git`` source: any git URL (``https://``, ``file://``, a plain path), cloned shallow
into the cache and fetched on later runs; the checkout is then listed like a local folder.

git runs through :mod:`lsqm.proc` with a scrubbed environment (:mod:`lsqm.childenv`): no
tokens, no prompts, no user or system git config, no hooks.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lsqm import proc
from lsqm.childenv import child_env
from lsqm.discovery.interface import Snapshot
from lsqm.discovery.local import snapshot_of_tree
from lsqm.errors import CommandError, SourceError, ToolMissing

_GIT_SAFETY = [
    "-c", "core.hooksPath=/dev/null", "-c", "protocol.ext.allow=never",
    "-c", "core.fsmonitor=false", "-c", "advice.detachedHead=false",
]  # fmt: skip


def normalise_url(url: str) -> str:
    """Plain paths become ``file://`` URLs (git ignores ``--depth`` on plain local paths)."""
    if "://" in url or url.startswith("git@"):
        return url
    return Path(os.path.abspath(url)).as_uri()


@dataclass
class Git:
    """Runs git for one cache folder; every call gets the same scrubbed environment."""

    cache_dir: Path
    timeout: float = 300.0

    def env(self) -> dict[str, str]:
        home = self.cache_dir / ".home"
        home.mkdir(parents=True, exist_ok=True)
        return child_env(
            home,
            {
                "GIT_TERMINAL_PROMPT": "0",
                "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_CONFIG_GLOBAL": os.devnull,
                "GIT_ASKPASS": "/bin/false",
                "SSH_ASKPASS": "/bin/false",
                "GIT_SSH_COMMAND": "ssh -o BatchMode=yes",
            },
        )

    def run(self, *args: str, cwd: Path | None = None) -> str:
        git = proc.require_tool("git", "Install git (e.g. apt-get install git).")
        argv = [git, *_GIT_SAFETY, *args]
        try:
            done = proc.run(argv, env=self.env(), cwd=cwd, timeout=self.timeout).check()
        except (CommandError, ToolMissing) as exc:
            raise SourceError(f"git {args[0]} failed: {exc.message}") from None
        return done.output.strip()

    def checkout(self, url: str, ref: str | None) -> tuple[Path, str]:
        """A shallow, up-to-date checkout of ``url`` at ``ref`` (default branch when None),
        and its commit. The checkout is reused across runs; files change only when the
        commit does."""
        url = normalise_url(url)
        key = hashlib.sha256(f"{url}\0{ref or ''}".encode()).hexdigest()[:16]
        dest = self.cache_dir / key
        if not (dest / ".git").is_dir():
            shutil.rmtree(dest, ignore_errors=True)
            staging = self.cache_dir / f".{key}.clone"
            shutil.rmtree(staging, ignore_errors=True)
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            branch = ["--branch", ref] if ref else []
            self.run("clone", "--depth", "1", "--no-tags", *branch, "--", url, str(staging))
            os.replace(staging, dest)
        else:
            self.run("fetch", "--depth", "1", "--no-tags", "origin", ref or "HEAD", cwd=dest)
            head = self.run("rev-parse", "HEAD", cwd=dest)
            fetched = self.run("rev-parse", "FETCH_HEAD", cwd=dest)
            if head != fetched:
                self.run("reset", "--hard", "-q", "FETCH_HEAD", cwd=dest)
                self.run("clean", "-ffdxq", cwd=dest)
        return dest, self.run("rev-parse", "HEAD", cwd=dest)


@dataclass
class GitSource:
    name: str
    url: str
    cache_dir: Path
    ref: str | None = None
    paths: list[str] = field(default_factory=list)
    timeout: float = 300.0
    kind: str = "git"

    def snapshots(self) -> Iterator[Snapshot | SourceError]:
        checkout, commit = Git(self.cache_dir, self.timeout).checkout(self.url, self.ref)
        name = self.url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
        yield snapshot_of_tree(
            checkout, kind=self.kind, url=self.url, commit=commit, globs=self.paths,
            name_prefix=name,
        )  # fmt: skip
