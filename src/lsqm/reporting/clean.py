"""``lsqm clean --keep N``: keep the newest N runs (by run id, which sorts by time) and
delete the older runs' folders. Only folders that are runs of this store are touched: a
direct child of ``runs/`` holding a ``run.json``; a symbolic link is removed as a link, and
what it points to is never followed."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from lsqm.errors import StoreError, UsageError
from lsqm.store import ArtifactStore


@dataclass
class CleanPlan:
    kept: list[str]
    deleted: list[str] = field(default_factory=list)

    def to_json(self, dry_run: bool) -> dict[str, object]:
        key = "would_delete" if dry_run else "deleted"
        return {"kept": self.kept, key: self.deleted, "dry_run": dry_run}


def plan_clean(store: ArtifactStore, keep: int) -> CleanPlan:
    if keep < 1:
        raise UsageError("--keep must be at least 1 (the newest run is always kept)")
    ids = store.run_ids()
    cut = max(len(ids) - keep, 0)
    return CleanPlan(kept=ids[cut:], deleted=ids[:cut])


def clean(store: ArtifactStore, plan: CleanPlan) -> None:
    runs = store.runs_dir.resolve()
    for run_id in plan.deleted:
        folder = store.run_dir(run_id)
        if folder.is_symlink():
            folder.unlink()
            continue
        if folder.resolve().parent != runs or not (folder / "run.json").is_file():
            raise StoreError(f"{folder} is not a run of {store.root}; left as it is")
        _remove(folder)


def _remove(folder: Path) -> None:
    """Rename first, then delete: a half-deleted run never looks like a run."""
    trash = folder.with_name(f".{folder.name}.deleting")
    folder.rename(trash)
    shutil.rmtree(trash)
