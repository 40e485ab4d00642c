"""``push``: commit what lsqm wrote and push it, rebasing over writers that pushed first."""

from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from lsqm.artifact_repo.git import StoreGit
from lsqm.artifact_repo.history import cap_logs, ensure_gitignore
from lsqm.config import Settings
from lsqm.errors import StoreError, UsageError

_REJECTED = re.compile(r"\[rejected\]|non-fast-forward|fetch first|failed to update ref|"
                       r"stale info|cannot lock ref", re.IGNORECASE)  # fmt: skip


@dataclass
class PushReport:
    remote: str
    branch: str
    commit: str | None = None
    committed: bool = False
    pushed: bool = False
    attempts: int = 0
    rebased: int = 0  # times another writer had pushed first
    changed: dict[str, int] = field(default_factory=dict)  # architectures, apps, runs, files
    capped: list[str] = field(default_factory=list)  # logs cut before they entered git

    def describe(self) -> str:
        what = ", ".join(f"{n} {k}" for k, n in self.changed.items() if n) or "nothing new"
        if not self.pushed:
            return f"{what}; nothing to push to {self.remote}"
        again = f" after {self.rebased} rebase(s) over other writers" if self.rebased else ""
        return f"pushed {what} to {self.remote} ({self.branch}){again}"

    def to_json(self) -> dict[str, object]:
        return {
            "remote": self.remote,
            "branch": self.branch,
            "commit": self.commit,
            "committed": self.committed,
            "pushed": self.pushed,
            "attempts": self.attempts,
            "rebased": self.rebased,
            "changed": self.changed,
            "capped_logs": self.capped,
        }


def push(
    settings: Settings, root: Path, *, message: str | None = None, dry_run: bool = False
) -> PushReport:
    """Commit what lsqm wrote into the store and push it. When another writer pushed first,
    fetch, rebase and try again (``push_attempts`` times, with a short random wait)."""
    with StoreGit(root, settings) as git:
        if not root.is_dir():
            raise UsageError(f"no store at {root}; nothing to push (run 'lsqm sync' first)")
        report = PushReport(str(git.remote), git.branch)
        if dry_run:
            if git.is_repo():
                paths = git.lines("ls-files", "-z", "--others", "--modified", "--exclude-standard")
            else:
                paths = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()]
            report.changed = _changes(paths)
            return report
        git.ensure_repo()
        if git.head() is None and git.fetch():
            git.adopt_remote()  # a local store joins the remote's history
        ensure_gitignore(root)
        report.capped = cap_logs(git, settings.log_cap_bytes)
        git("add", "-A")
        staged = git.lines("diff", "--cached", "--name-only", "-z")
        report.changed = _changes(staged)
        if staged:
            git("commit", "-q", "-m", message or _message(report.changed, staged))
            report.committed = True
        report.commit = git.head()
        if report.commit is None:
            return report
        _push_with_retries(git, settings, report)
        return report


def _push_with_retries(git: StoreGit, settings: Settings, report: PushReport) -> None:
    if git.has(git.tracking) and git.count(f"{git.tracking}..HEAD") == 0:
        return  # nothing the remote lacks
    for attempt in range(1, settings.push_attempts + 1):
        report.attempts = attempt
        done = git("push", "--porcelain", "origin", f"HEAD:refs/heads/{git.branch}", check=False)
        if done.ok:
            report.pushed, report.commit = True, git.head()
            git.fetch()  # the tracking ref now names what was pushed
            return
        if not _REJECTED.search(done.output):
            raise git.failure("push", done)
        report.rebased += 1
        time.sleep(random.uniform(0.2, 1.0) * attempt)  # writers racing do not collide again
        git.fetch()
        git.rebase(git.tracking)
    raise StoreError(
        f"pushing to {git.remote}: other writers kept pushing first ({settings.push_attempts} "
        f"tries); your commit is kept in {git.root}; run 'lsqm push' again"
    )


def _changes(paths: list[str]) -> dict[str, int]:
    """New or changed architectures, apps and runs among ``paths`` (store-relative)."""
    found: dict[str, set[str]] = {"architectures": set(), "apps": set(), "runs": set()}
    for path in paths:
        parts = path.split("/")
        if len(parts) > 1 and parts[0] in found:
            found[parts[0]].add(parts[1])
    return {**{k: len(v) for k, v in found.items()}, "files": len(paths)}


def _message(changed: dict[str, int], paths: list[str]) -> str:
    runs = sorted({p.split("/")[1] for p in paths if p.startswith("runs/") and "/" in p[5:]})
    subject = f"lsqm: run {runs[-1]}" if len(runs) == 1 else "lsqm: store update"
    what = ", ".join(f"{n} {k}" for k, n in changed.items() if n)
    return f"{subject}\n\n{what}"
