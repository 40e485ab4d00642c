"""The emulator matrix: the same architectures on several emulators (and versions), side by
side. ``compare --matrix`` prints it; the report's ``matrix.html`` draws it.

Each column is one run, named by its emulator and version. Every result is scored once
(:func:`lsqm.reporting.scores.result_score`, the one decision, shared with ``coverage``):

    correct         PASSED
    wrong           the emulator answered and was wrong: a test failed, a 4xx/5xx it should
                    not give, a provider crash on its answer, or it died during the work
    unsupported     the emulator says it does not implement it (501, not implemented)
    not_exercised   nothing was learnt about the emulator (environment, configuration,
                    harness, no tests, time limit)

kept apart, so "unsupported" is never read as "wrong" nor "not exercised" as either. An
architecture PASSED on one column and not on another is a disagreement, listed with both
sides' verdicts and signatures: a lead for both projects, and for a user a reason to choose.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Container
from dataclasses import dataclass, field
from typing import Any

from lsqm.errors import UsageError
from lsqm.records import Category, ResultRow, Status
from lsqm.reporting.history import History, RunView, load_run, resolve_run
from lsqm.reporting.render import JsonBlock
from lsqm.reporting.scores import Score, Scores, result_score
from lsqm.store import ArtifactStore


def score(row: ResultRow) -> Score:
    """A result's matrix score (:func:`lsqm.reporting.scores.result_score` decides)."""
    return result_score(row.status, row.category)


@dataclass(frozen=True)
class Column:
    run_id: str
    emulator: str
    version: str
    rows: dict[str, ResultRow]

    @property
    def label(self) -> str:
        return f"{self.emulator} {self.version}"

    def scores(self) -> dict[str, int]:
        return Scores.tally(score(r) for r in self.rows.values()).model_dump()

    def seconds_per_architecture(self) -> float | None:
        times = [r.duration_s for r in self.rows.values() if r.duration_s]
        return round(sum(times) / len(times), 1) if times else None


@dataclass(frozen=True)
class Disagreement:
    """``name`` PASSED on ``passes`` and not on ``fails``; both verdicts as recorded."""

    arch_hash: str
    name: str
    passes: str
    fails: str
    status: str
    category: str
    signature: str

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Matrix:
    columns: list[Column]
    names: dict[str, str]  # arch hash -> name
    services: dict[str, list[str]]  # arch hash -> services it uses
    disagreements: list[Disagreement] = field(default_factory=list)

    def cell(self, arch_hash: str, column: Column) -> ResultRow | None:
        return column.rows.get(arch_hash)

    def service_pass_rates(self) -> dict[str, dict[str, float | None]]:
        """``{service: {column label: PASSED / results using it}}``."""
        rates: dict[str, dict[str, float | None]] = {}
        by_service: dict[str, list[str]] = defaultdict(list)
        for arch_hash, services in self.services.items():
            for service in services:
                by_service[service].append(arch_hash)
        for service in sorted(by_service):
            rates[service] = {}
            for column in self.columns:
                rows = [column.rows[h] for h in by_service[service] if h in column.rows]
                passed = sum(r.status == Status.PASSED for r in rows)
                rates[service][column.label] = round(passed / len(rows), 3) if rows else None
        return rates

    def order(self) -> list[str]:
        """The architectures' hashes as every reader lists them: by name, then hash."""
        return sorted(self.names, key=lambda h: (self.names[h], h))

    def column_summaries(self) -> list[dict[str, Any]]:
        """Each column's counts and scores (the scores table of the text and the page)."""
        return [
            {
                "run_id": c.run_id,
                "emulator": c.emulator,
                "version": c.version,
                "label": c.label,
                "results": len(c.rows),
                "pass_rate": round(c.scores()["correct"] / len(c.rows), 3) if c.rows else None,
                "scores": c.scores(),
                "seconds_per_architecture": c.seconds_per_architecture(),
            }
            for c in self.columns
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "columns": self.column_summaries(),
            "architectures": [
                {
                    "arch_hash": h,
                    "name": self.names[h],
                    "services": self.services.get(h, []),
                    "cells": {
                        c.label: (
                            {
                                "status": str(row.status),
                                "category": str(row.category) if row.category else None,
                                "signature": row.signature,
                                "score": score(row).value,
                                "duration_s": row.duration_s,
                            }
                            if (row := c.rows.get(h))
                            else None
                        )
                        for c in self.columns
                    },
                }
                for h in self.order()
            ],
            "services": self.service_pass_rates(),
            "disagreements": [d.to_json() for d in self.disagreements],
        }

    def page_context(self, linked: Container[str]) -> dict[str, Any]:
        """What ``matrix.html`` renders: the two small tables as they are, the grid and the
        disagreements as one JSON block (:meth:`page_data`)."""
        return {
            "m": self,
            "columns": self.column_summaries(),
            "services": self.service_pass_rates(),
            "page_data": JsonBlock(self.page_data(linked)),
        }

    def page_data(self, linked: Container[str]) -> dict[str, Any]:
        """The grid and the disagreements of ``matrix.html`` as index lists, every string
        once, for ``static/matrix.js`` to draw page by page: 5,000 architectures on 8
        emulators as HTML were 12 MB. An architecture's name links to its page when
        ``linked`` holds it (it is in the report's run). Disagreements are
        ``[architecture, passes column, fails column]``, taken from :attr:`disagreements`
        (the browser reads the verdict there from the cell, never decides anything)."""
        statuses = {s: i for i, s in enumerate(Status)}
        categories = {c: i for i, c in enumerate(Category)}
        scores = {s: i for i, s in enumerate(Score)}
        signatures: dict[str, int] = {}
        order = self.order()
        architectures = []
        for arch_hash in order:
            cells: list[list[int] | None] = []
            for column in self.columns:
                row = column.rows.get(arch_hash)
                if row is None:
                    cells.append(None)
                    continue
                cell = [
                    statuses[row.status],
                    categories[row.category] if row.category else -1,
                    signatures.setdefault(row.signature, len(signatures)),
                    scores[score(row)],
                ]
                if row.flaky:
                    cell.append(1)
                cells.append(cell)
            linked_flag = int(arch_hash in linked)
            architectures.append([arch_hash, self.names[arch_hash], linked_flag, cells])
        at = {h: i for i, h in enumerate(order)}
        column_at: dict[str, int] = {}
        for i, column in enumerate(self.columns):
            column_at.setdefault(column.label, i)
        return {
            "columns": [c.label for c in self.columns],
            "statuses": [s.value for s in statuses],
            "categories": [c.value for c in categories],
            "scores": [s.value for s in scores],
            "signatures": list(signatures),
            "row": ["hash", "name", "linked", "cells"],
            "cell": ["status", "category", "signature", "score", "flaky"],  # flaky: only if 1
            "architectures": architectures,
            "disagreements": [
                [at[d.arch_hash], column_at[d.passes], column_at[d.fails]]
                for d in self.disagreements
            ],
        }


def _column(view: RunView) -> Column:
    info = view.run.emulator
    return Column(
        run_id=view.run_id,
        emulator=info.kind if info else "localstack",
        version=(info.version if info else "") or "unknown",
        rows=view.rows,
    )


def default_runs(store: ArtifactStore) -> list[str]:
    """The latest run of each emulator and version in the store, oldest first."""
    latest: dict[str, str] = {}
    for run_id in store.run_ids():
        info = store.run(run_id).emulator
        key = f"{info.kind} {info.version}" if info else "localstack unknown"
        latest[key] = run_id  # run ids sort by time
    return sorted(latest.values())


def build_matrix(
    store: ArtifactStore, run_ids: list[str] | None = None, history: History | None = None
) -> Matrix:
    """The matrix of ``run_ids`` (ids or unique prefixes; default :func:`default_runs`).
    ``history``: runs and architectures already read (the report's), not read again."""
    chosen = [resolve_run(store, r) for r in run_ids] if run_ids else default_runs(store)
    if len(chosen) < 1:
        raise UsageError("no runs to put in a matrix; validate on some emulators first")
    read = {view.run_id: view for view in history.runs} if history else {}
    columns = [_column(read.get(r) or load_run(store, r)) for r in dict.fromkeys(chosen)]
    names: dict[str, str] = {}
    services: dict[str, list[str]] = {}
    for column in columns:
        for arch_hash, row in column.rows.items():
            names.setdefault(arch_hash, row.name or arch_hash)
    for arch_hash in names:
        if history and arch_hash in history.architectures:
            services[arch_hash] = history.services(arch_hash)
            continue
        try:
            services[arch_hash] = store.architecture(arch_hash).services
        except Exception:  # an architecture removed since: its results still count
            services[arch_hash] = []
    matrix = Matrix(columns, names, services)
    matrix.disagreements = _disagreements(matrix)
    return matrix


def _disagreements(matrix: Matrix) -> list[Disagreement]:
    found = []
    for arch_hash in matrix.order():
        name = matrix.names[arch_hash]
        cells = [(c, c.rows.get(arch_hash)) for c in matrix.columns]
        passing = [c for c, row in cells if row is not None and row.status == Status.PASSED]
        for column, row in cells:
            if row is None or row.status == Status.PASSED:
                continue
            for good in passing:
                found.append(
                    Disagreement(
                        arch_hash=arch_hash,
                        name=name,
                        passes=good.label,
                        fails=column.label,
                        status=str(row.status),
                        category=str(row.category) if row.category else "",
                        signature=row.signature,
                    )
                )
    return found


def matrix_text(matrix: Matrix) -> str:
    """``compare --matrix``'s text: scores per emulator, then each disagreement."""
    data = matrix.to_json()
    lines = ["emulator                  results  pass   correct wrong unsupp. not-ex.  s/arch"]
    for c in data["columns"]:
        rate = f"{c['pass_rate']:.0%}" if c["pass_rate"] is not None else "-"
        s = c["scores"]
        secs = c["seconds_per_architecture"]
        lines.append(
            f"{c['label']:<25} {c['results']:>7}  {rate:>4}   {s['correct']:>7} {s['wrong']:>5} "
            f"{s['unsupported']:>7} {s['not_exercised']:>7}  {secs if secs is not None else '-':>6}"
        )
    if matrix.disagreements:
        lines.append("")
        lines.append("passes on one, not on the other:")
        for d in matrix.disagreements:
            why = f"{d.category}: {d.signature}" if d.category else d.signature
            lines.append(f"  {d.name}: passes on {d.passes}; {d.status} on {d.fails} ({why})")
    return "\n".join(lines)
