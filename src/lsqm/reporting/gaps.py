"""Top gaps: a run's non-passing results clustered by ``signature`` (the normalised error),
so one missing operation that breaks forty architectures is one row, weighted by how much
real-world Terraform it stops.

Gaps are results whose category blames the emulator. Results that say nothing about it
(environment, configuration, harness, no tests) cluster the same way as *blockers*: what kept
architectures from being measured, reported apart so they never pass for emulator defects.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from lsqm.records import Category, ResultRow, Status
from lsqm.reporting.history import History, RunView
from lsqm.terraform.inventory import service_of

# A signature that names the failing resource starts with its type: "aws_cognito_user_pool: ..."
_RESOURCE_PREFIX = re.compile(r"^(aws_[a-z0-9_]+)\b")


@dataclass
class Gap:
    """Architectures failing the same way in one run, with where and since when."""

    signature: str
    category: Category | None
    architectures: list[str]  # hashes, by name
    names: list[str]
    services: list[str]  # those the signature names, then the most common first
    resource_types: list[str]  # those the signature names, else the most common first
    first_seen: str  # run id
    last_seen: str  # run id (the run the gaps were taken from, unless it is older history)
    weight: float
    popularity: int
    statuses: dict[str, int] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.architectures)

    def to_json(self) -> dict[str, object]:
        return {
            "signature": self.signature,
            "category": self.category.value if self.category else None,
            "count": self.count,
            "architectures": self.architectures,
            "names": self.names,
            "services": self.services,
            "resource_types": self.resource_types,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "weight": self.weight,
            "popularity": self.popularity,
            "statuses": self.statuses,
        }


def impact(popularity: int) -> float:
    """One affected architecture weighs 1, plus log10(1 + stars + downloads): popular code
    counts more, without one famous repository outweighing dozens of others."""
    return 1.0 + math.log10(1 + max(popularity, 0))


def _cluster_key(row: ResultRow) -> str:
    return row.signature or f"({row.category.value if row.category else 'unknown'}, no signature)"


def _cluster(
    history: History, view: RunView, wanted: Callable[[ResultRow], bool], limit: int | None
) -> list[Gap]:
    groups: dict[str, list[str]] = defaultdict(list)
    for arch_hash, row in view.rows.items():
        if row.status is not Status.PASSED and wanted(row):
            groups[_cluster_key(row)].append(arch_hash)
    if not groups:
        return []
    seen: dict[str, list[str]] = defaultdict(list)  # signature -> run ids where it appears
    for older in history.runs:
        if older.run_id > view.run_id:
            break
        present = {_cluster_key(r) for r in older.rows.values() if r.status is not Status.PASSED}
        for key in present & groups.keys():
            seen[key].append(older.run_id)
    gaps = [_gap(history, view, key, hashes, seen[key]) for key, hashes in groups.items()]
    gaps.sort(key=lambda g: (-g.weight, -g.count, g.signature))
    return gaps[:limit] if limit is not None else gaps


def _gap(history: History, view: RunView, key: str, hashes: list[str], runs: list[str]) -> Gap:
    rows = [view.rows[h] for h in hashes]
    hashes = sorted(hashes, key=lambda h: (view.rows[h].name, h))
    categories = Counter(r.category for r in rows)
    named = sorted({m.group(1) for r in rows if (m := _RESOURCE_PREFIX.match(r.signature))})
    resource_types = named or _by_frequency(history.resource_types(h) for h in hashes)
    popularity = sum(history.architectures[h].popularity for h in hashes)
    return Gap(
        signature=key,
        category=categories.most_common(1)[0][0],
        architectures=hashes,
        names=[view.rows[h].name or h for h in hashes],
        services=_named_first(
            [s for t in named if (s := service_of(t))],
            _by_frequency(history.services(h) for h in hashes),
        ),
        resource_types=resource_types,
        first_seen=runs[0] if runs else view.run_id,
        last_seen=runs[-1] if runs else view.run_id,
        weight=round(sum(impact(history.architectures[h].popularity) for h in hashes), 2),
        popularity=popularity,
        statuses=dict(sorted(Counter(r.status.value for r in rows).items())),
    )


def _by_frequency(groups: Iterable[list[str]]) -> list[str]:
    """Every name, the most common among the affected architectures first."""
    counts = Counter(name for group in groups for name in group)
    return sorted(counts, key=lambda name: (-counts[name], name))


def _named_first(named: list[str], others: list[str]) -> list[str]:
    """The services the signature names (where the gap is), then the others."""
    return list(dict.fromkeys([*named, *others]))


def top_gaps(history: History, view: RunView | None = None, limit: int | None = None) -> list[Gap]:
    """The emulator's gaps in ``view`` (default: the latest run), heaviest first."""
    return _cluster(
        history,
        view or history.latest,
        lambda r: r.category is not None and r.category.blames_emulator,
        limit,
    )


def blockers(history: History, view: RunView | None = None, limit: int | None = None) -> list[Gap]:
    """What kept architectures from being measured (environment, configuration, harness,
    no tests): not the emulator's gaps, listed apart."""
    return _cluster(
        history,
        view or history.latest,
        lambda r: r.category is None or not r.category.blames_emulator,
        limit,
    )
