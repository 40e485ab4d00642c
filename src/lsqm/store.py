"""The artifact store: plain files in a directory (usually a git clone), written atomically.

Stages talk to each other only through here. Layout (DESIGN.md):

    architectures/<hash>/...  + architecture.json
    apps/<hash>/test_*.py     + app.json
    runs/<run_id>/run.json, results/<hash>.json, logs/<hash>/...
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lsqm.errors import StoreError, UsageError
from lsqm.terraform.normalize import content_files, content_hash


def utcnow() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_run_id(now: datetime | None = None) -> str:
    """A run id that sorts by time as a string: ``20261127T043610Z-1a2b3c``."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{secrets.token_hex(3)}"


def atomic_write_text(path: Path, text: str) -> None:
    """Write via a temp file in the same folder and rename, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise
    except (OSError, json.JSONDecodeError) as exc:
        raise StoreError(
            f"{path} is unreadable ({exc}); restore it from git or delete it"
        ) from None


class ArtifactStore:
    """Read and write architectures, apps and runs under one root directory."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    # -- architectures -------------------------------------------------------------------
    @property
    def architectures_dir(self) -> Path:
        return self.root / "architectures"

    def architecture_dir(self, arch_hash: str) -> Path:
        return self.architectures_dir / arch_hash

    def architecture_hashes(self) -> list[str]:
        if not self.architectures_dir.is_dir():
            return []
        return sorted(
            p.name for p in self.architectures_dir.iterdir() if (p / "architecture.json").is_file()
        )

    def architecture(self, arch_hash: str) -> dict[str, Any]:
        path = self.architecture_dir(arch_hash) / "architecture.json"
        if not path.is_file():
            raise UsageError(f"no architecture {arch_hash} in {self.architectures_dir}")
        return read_json(path)

    def add_architecture(self, source_dir: Path, meta: dict[str, Any]) -> str:
        """Copy ``source_dir`` into the store under its content hash; return the hash.

        Adding the same content again is a no-op that returns the same hash.
        """
        files = content_files(source_dir)
        arch_hash = content_hash(source_dir, files)
        dest = self.architecture_dir(arch_hash)
        if (dest / "architecture.json").is_file():
            return arch_hash
        staging = Path(tempfile.mkdtemp(dir=self._staging_root(), prefix=arch_hash))
        for path in files:
            target = staging / path.relative_to(source_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
        atomic_write_json(
            staging / "architecture.json",
            {"hash": arch_hash, "discovered_at": utcnow(), **meta},
        )
        shutil.rmtree(dest, ignore_errors=True)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging, dest)
        return arch_hash

    # -- apps ----------------------------------------------------------------------------
    def app_dir(self, arch_hash: str) -> Path:
        return self.root / "apps" / arch_hash

    def has_app(self, arch_hash: str) -> bool:
        return (self.app_dir(arch_hash) / "app.json").is_file()

    def app(self, arch_hash: str) -> dict[str, Any] | None:
        path = self.app_dir(arch_hash) / "app.json"
        return read_json(path) if path.is_file() else None

    def write_app(self, arch_hash: str, files: dict[str, str], meta: dict[str, Any]) -> Path:
        """Replace the app of ``arch_hash`` with ``files`` (flat names only) and ``meta``."""
        staging = Path(tempfile.mkdtemp(dir=self._staging_root(), prefix=f"app-{arch_hash}"))
        for name, text in files.items():
            if Path(name).name != name or name in ("", ".", ".."):
                raise StoreError(f"refusing app file name {name!r}: names must be flat")
            (staging / name).write_text(text, encoding="utf-8")
        atomic_write_json(staging / "app.json", {"created_at": utcnow(), **meta})
        dest = self.app_dir(arch_hash)
        old = None
        if dest.exists():
            old = dest.with_name(f".{arch_hash}.old-{secrets.token_hex(3)}")
            os.replace(dest, old)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging, dest)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return dest

    # -- runs ----------------------------------------------------------------------------
    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    def run_dir(self, run_id: str) -> Path:
        if "/" in run_id or run_id.startswith("."):
            raise UsageError(f"invalid run id {run_id!r}")
        return self.runs_dir / run_id

    def run_ids(self) -> list[str]:
        """Run ids, oldest first (ids sort by time as strings)."""
        if not self.runs_dir.is_dir():
            return []
        return sorted(p.name for p in self.runs_dir.iterdir() if (p / "run.json").is_file())

    def run(self, run_id: str) -> dict[str, Any]:
        path = self.run_dir(run_id) / "run.json"
        if not path.is_file():
            raise UsageError(f"no run {run_id} in {self.runs_dir}")
        return read_json(path)

    def write_run(self, run_id: str, data: dict[str, Any]) -> None:
        atomic_write_json(self.run_dir(run_id) / "run.json", data)

    def results(self, run_id: str) -> dict[str, dict[str, Any]]:
        folder = self.run_dir(run_id) / "results"
        if not folder.is_dir():
            return {}
        return {p.stem: read_json(p) for p in sorted(folder.glob("*.json"))}

    def write_result(self, run_id: str, arch_hash: str, result: dict[str, Any]) -> None:
        atomic_write_json(self.run_dir(run_id) / "results" / f"{arch_hash}.json", result)

    def logs_dir(self, run_id: str, arch_hash: str) -> Path:
        path = self.run_dir(run_id) / "logs" / arch_hash
        path.mkdir(parents=True, exist_ok=True)
        return path

    # -- discovery -----------------------------------------------------------------------
    @property
    def discovery_ledger_path(self) -> Path:
        return self.root / "discovery" / "candidates.json"

    def discovery_ledger(self) -> dict[str, Any]:
        """What `mine` decided about each candidate it has seen (accepted and rejected)."""
        path = self.discovery_ledger_path
        if not path.is_file():
            return {}
        data = read_json(path)
        return data.get("candidates", {}) if isinstance(data, dict) else {}

    def write_discovery_ledger(self, candidates: dict[str, Any]) -> None:
        atomic_write_json(self.discovery_ledger_path, {"version": 1, "candidates": candidates})

    # -- internals -----------------------------------------------------------------------
    def _staging_root(self) -> Path:
        """Half-built entries live here until an atomic rename; git never sees them."""
        path = self.root / ".staging"
        path.mkdir(parents=True, exist_ok=True)
        ignore = self.root / ".gitignore"
        if not ignore.exists():
            atomic_write_text(ignore, ".staging/\n")
        return path


__all__ = [
    "ArtifactStore",
    "atomic_write_json",
    "atomic_write_text",
    "new_run_id",
    "read_json",
    "utcnow",
]
