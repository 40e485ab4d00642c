"""``sync``: clone the store's remote, or bring the store up to date with it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lsqm.artifact_repo.git import StoreGit
from lsqm.config import Settings


@dataclass
class SyncReport:
    remote: str
    action: str  # cloned, adopted, fast-forwarded, rebased, up to date, empty remote, would ...
    commit: str | None = None
    incoming: int = 0  # commits taken from the remote
    local: int = 0  # local commits not yet pushed (rebased onto the remote's)

    def describe(self) -> str:
        where = f" at {self.commit[:12]}" if self.commit else ""
        extra = f", {self.incoming} new commit(s)" if self.incoming else ""
        extra += f", {self.local} local commit(s) on top" if self.local else ""
        return f"{self.action} from {self.remote}{where}{extra}"

    def to_json(self) -> dict[str, object]:
        return {
            "remote": self.remote,
            "action": self.action,
            "commit": self.commit,
            "incoming": self.incoming,
            "local": self.local,
        }


def sync(settings: Settings, root: Path, *, dry_run: bool = False) -> SyncReport:
    """Clone the remote into ``root``, or bring ``root`` up to date with it (fast-forward;
    local commits not yet pushed are rebased on top). Files lsqm wrote and did not push yet
    are kept."""
    with StoreGit(root, settings) as git:
        remote = str(git.remote)
        if dry_run:
            verb = "would fast-forward" if git.is_repo() else "would clone"
            return SyncReport(remote, verb)
        fresh = not root.exists() or not any(root.iterdir())
        git.ensure_repo()
        if not git.fetch():
            return SyncReport(remote, "empty remote", git.head())
        if git.head() is None:
            git.adopt_remote()
            return SyncReport(remote, "cloned" if fresh else "adopted", git.head())
        local = git.count(f"{git.tracking}..HEAD")
        incoming = git.count(f"HEAD..{git.tracking}")
        if not incoming:
            return SyncReport(remote, "up to date", git.head(), 0, local)
        if not local:
            git("merge", "-q", "--ff-only", git.tracking)
            return SyncReport(remote, "fast-forwarded", git.head(), incoming)
        git.rebase(git.tracking)
        return SyncReport(remote, "rebased", git.head(), incoming, local)
