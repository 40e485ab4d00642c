"""Remembering decisions, so a second `mine` over unchanged sources reads and downloads nothing.

The ledger lives in the artifact store (plain JSON, one entry per candidate key
``<source url>#<folder>``): each `mine` writes the decisions it took into a file of its own
(``discovery/decisions/<writer>.json``), so two writers never edit the same file. An entry
keeps the candidate's *fingerprint* (the folder digests of the snapshot listing: git tree
SHAs, or sizes and mtimes on disk, over the folder and the local modules it used), the
decision, its reasons, and its content: the architecture hash when accepted, a digest of the
exact bytes when rejected.
A candidate whose fingerprint is unchanged is not fetched, parsed or stored again, unless it
was rejected under another filter policy (settings or filter version): that rejection may no
longer hold, e.g. once services outside the emulator's list are kept.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lsqm.discovery.interface import Snapshot
from lsqm.files import utcnow
from lsqm.store import ArtifactStore


def candidate_key(snapshot: Snapshot, folder: str) -> str:
    """The identity of a candidate across runs and sources: where it lives, not what it holds."""
    return f"{snapshot.url}#{folder}"


def fingerprint(snapshot: Snapshot, folder: str, deps: list[str]) -> str | None:
    """Digest of a candidate's folder and its recorded local-module folders in ``snapshot``;
    None when one of them is not in the listing (then it must be looked at again)."""
    digest = hashlib.sha256()
    for path in [folder, *sorted(deps)]:
        value = snapshot.digest(path)
        if value is None:
            return None
        digest.update(f"{path}\0{value}\0".encode())
    return digest.hexdigest()[:24]


@dataclass
class Entry:
    fingerprint: str
    accepted: bool
    content_hash: str | None  # the architecture's hash, when accepted
    content_digest: str | None = None  # exact-bytes digest of a rejected candidate
    reasons: list[dict[str, str]] = field(default_factory=list)
    deps: list[str] = field(default_factory=list)
    decided_at: str = ""
    policy: str = ""  # the filter policy's fingerprint the decision was taken under

    def to_json(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "accepted": self.accepted,
            "content_hash": self.content_hash,
            "content_digest": self.content_digest,
            "reasons": self.reasons,
            "deps": self.deps,
            "decided_at": self.decided_at,
            "policy": self.policy,
        }


class Ledger:
    """Every decision `mine` made, by candidate key; saved atomically into the store."""

    def __init__(self, store: ArtifactStore, policy: str = "") -> None:
        self.store = store
        self.policy = policy
        self.entries: dict[str, Entry] = {}
        for key, raw in store.discovery_ledger().items():
            try:
                self.entries[key] = Entry(**raw)
            except TypeError:
                continue  # an entry from another version: decide it again
        self.stored = set(store.architecture_hashes())
        self._changed: set[str] = set()
        # This mine's file: named to sort by start time (microseconds: two mines a second
        # apart on one machine must apply in order), then a random part for other machines.
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        self._writer = f"{stamp}-{secrets.token_hex(3)}"

    def unchanged(self, snapshot: Snapshot, folder: str) -> Entry | None:
        """The remembered entry when the candidate has not changed since it was decided."""
        entry = self.entries.get(candidate_key(snapshot, folder))
        if entry is None:
            return None
        if fingerprint(snapshot, folder, entry.deps) != entry.fingerprint:
            return None
        if entry.accepted and not (entry.content_hash and entry.content_hash in self.stored):
            return None  # accepted but removed from the store since: store it again
        if not entry.accepted and entry.policy != self.policy:
            return None  # rejected under another policy: decide again
        return entry

    def record(
        self,
        snapshot: Snapshot,
        folder: str,
        *,
        accepted: bool,
        content_hash: str | None,
        content_digest: str | None = None,
        reasons: list[dict[str, str]],
        deps: list[str],
    ) -> None:
        fp = fingerprint(snapshot, folder, deps)
        if fp is None:
            return  # nothing stable to compare with next time
        key = candidate_key(snapshot, folder)
        self._changed.add(key)
        self.entries[key] = Entry(
            fingerprint=fp,
            accepted=accepted,
            content_hash=content_hash,
            content_digest=content_digest,
            reasons=reasons,
            deps=sorted(deps),
            decided_at=utcnow(),
            policy=self.policy,
        )

    def save(self) -> None:
        """Write the decisions this mine took (only those) into its own file."""
        if self._changed:
            changed = {k: self.entries[k].to_json() for k in sorted(self._changed)}
            self.store.write_discovery_ledger(changed, self._writer)
