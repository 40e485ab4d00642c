"""Mutation scores as the report shows them: each architecture's latest score from
``lsqm sensitivity``'s reports (``<store>/sensitivity/<id>.json``, docs/design.md, "Fault
injection") and the scores per generator.

An architecture no report measured, or whose latest measurement has no score (its control
run did not pass, no fault was exercised), is *not scored*, and the report says so with the
reason: a blank or a 0 would read as "the tests catch nothing".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lsqm.errors import StoreError
from lsqm.files import read_json
from lsqm.store import ArtifactStore

GENERATORS = ("rules", "claude", "hand-written")  # always listed, scored or not
NEVER_MEASURED = "not scored: no lsqm sensitivity run measured it"


@dataclass(frozen=True)
class ArchScore:
    """An architecture's latest measurement."""

    arch_hash: str
    generator: str
    caught: int
    exercised: int
    surviving: tuple[str, ...]  # fault ids its tests let through
    measured_in: str  # the sensitivity report's id
    note: str | None = None  # why there is no score

    @property
    def value(self) -> float | None:
        return self.caught / self.exercised if self.exercised and not self.note else None

    @property
    def text(self) -> str:
        """``12/14 faults caught (86 %)``, or ``not scored: <why>``."""
        if self.value is None:
            return f"not scored: {self.note or 'no fault was exercised'}"
        return f"{self.caught}/{self.exercised} faults caught ({self.value * 100:.0f} %)"


@dataclass(frozen=True)
class GeneratorScore:
    generator: str
    caught: int = 0
    exercised: int = 0
    scored: int = 0  # architectures with a score

    @property
    def text(self) -> str:
        if not self.exercised:
            return "not scored: no architecture of it measured"
        value = self.caught / self.exercised * 100
        return (
            f"{self.caught}/{self.exercised} faults caught ({value:.0f} %)"
            f" over {self.scored} architecture(s)"
        )


def arch_score(entry: Mapping[str, Any], report_id: str) -> ArchScore:
    """One architecture's entry of a sensitivity report."""
    score = entry.get("score") or {}
    return ArchScore(
        arch_hash=str(entry["arch_hash"]),
        generator=str(entry.get("generator") or "hand-written"),
        caught=int(score.get("caught") or 0),
        exercised=int(score.get("exercised") or 0),
        surviving=tuple(str(s["id"]) for s in entry.get("surviving") or ()),
        measured_in=report_id,
        note=entry.get("note"),
    )


def latest_scores(store: ArtifactStore) -> dict[str, ArchScore]:
    """Each architecture's latest measurement over every stored sensitivity report (ids sort
    by time). A report that cannot be read is left out: the report still builds, and the
    architectures it alone measured read as not scored."""
    folder = store.root / "sensitivity"
    found: dict[str, ArchScore] = {}
    for path in sorted(folder.glob("sensitivity-*.json")) if folder.is_dir() else ():
        try:
            report = read_json(path)
            entries = [arch_score(e, path.stem) for e in report.get("architectures") or ()]
        except (StoreError, KeyError, TypeError, ValueError, AttributeError):
            continue
        found.update({e.arch_hash: e for e in entries})
    return found


def score_text(scores: Mapping[str, ArchScore], arch_hash: str) -> str:
    found = scores.get(arch_hash)
    return found.text if found is not None else NEVER_MEASURED


def short_text(scores: Mapping[str, ArchScore], arch_hash: str) -> str:
    """For a table cell: ``86 % (12/14)`` or ``not scored``."""
    found = scores.get(arch_hash)
    if found is None or found.value is None:
        return "not scored"
    return f"{found.value * 100:.0f} % ({found.caught}/{found.exercised})"


def by_generator(scores: Iterable[ArchScore]) -> list[GeneratorScore]:
    """Faults caught over faults exercised per generator (its architectures' latest scores
    added up); rules, claude and hand-written always, others as they appear."""
    totals: dict[str, GeneratorScore] = {g: GeneratorScore(g) for g in GENERATORS}
    for s in scores:
        if s.value is None:
            continue
        was = totals.get(s.generator, GeneratorScore(s.generator))
        totals[s.generator] = GeneratorScore(
            s.generator, was.caught + s.caught, was.exercised + s.exercised, was.scored + 1
        )
    return list(totals.values())
