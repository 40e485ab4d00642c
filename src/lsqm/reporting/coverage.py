"""Which AWS operations real architectures call, and how each emulator answers them
(``lsqm coverage``, the report's coverage page), read from each run's index.

A result's trace (``Result.trace``: the calls that reached the emulator) is kept in brief
beside the run's index (``runs/<run>/calls.json``, :class:`~lsqm.records.RunCalls`; the
index row has ``fails_at``), so coverage reads two small files per run, never the result
files. Results without a trace (stores written before traces were
recorded) are counted apart as ``untraced`` and never as "calls nothing".

Targets. A target is one emulator release, ``Run.emulator_label`` (``localstack 4.14.0``,
``moto 5.2.5``). By default each target is judged by its latest run in the store (the runs of
one ``validate --localstack-version A,B`` share a ``group`` and so appear side by side);
``--run ID`` judges that run alone.

Per target and operation (``service.Operation``), counting architectures of the run:

- ``calling``: its trace has the operation (``terraform``: called by init, apply, plan or
  destroy; ``tests``: called by a test; an architecture can be in both);
- ``passing``: of those, PASSED;
- ``failing_at``: of those, the result fails at the operation
  (:func:`lsqm.records.failed_operation`: not PASSED, a category that blames the emulator,
  and the signature starts with the operation, else the trace's first 5xx call), split by
  the failing stage: ``failing_at_tests`` when it is the test stage, else
  ``failing_at_terraform``;
- ``unsupported``: of those, some call of the operation was answered 501 or "not
  implemented"; ``errors``: some call was answered with another 5xx.

Scores per target, in the style of the public conformance suites, each operation in exactly
one of four counts, never blended into one number (:func:`lsqm.reporting.scores.judge`, the
decision ``compare --matrix`` scores results with):

- ``unsupported``: some architecture's call was answered 501 / not implemented;
- ``wrong``: answered, but some architecture fails at it (a 5xx, a refusal, or a test's
  assertion on what it answered), or some call was answered with a 5xx (a server error is
  never a correct answer, even in a result whose verdict blames the environment; that
  result's verdict, and what it blocks, still follow its category);
- ``correct``: called, every call answered below 500, and no architecture fails at it;
- ``not_exercised``: called on another target of this coverage, never on this one.

Operations are ranked by the architectures they block: distinct architectures failing at
the operation on any target, then by architectures calling it.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Iterable

from pydantic import BaseModel, Field

from lsqm.records import Calls, ResultRow, Run, Status
from lsqm.reporting.history import load_run, require_runs, resolve_run
from lsqm.reporting.scores import Score, Scores, judge
from lsqm.store import ArtifactStore
from lsqm.versions import version_key

NO_TRACE = "no trace recorded"


class Target(BaseModel):
    """One emulator release, judged by one run."""

    label: str  # "localstack 4.14.0"
    kind: str
    version: str
    run_id: str
    group: str | None = None
    results: int = 0  # results in the run
    traced: int = 0  # of those, with a trace


class Cell(BaseModel):
    """One operation on one target: architectures of the target's run."""

    calling: int = 0
    terraform: int = 0
    tests: int = 0
    passing: int = 0
    failing_at: int = 0
    failing_at_terraform: int = 0
    failing_at_tests: int = 0
    unsupported: int = 0
    errors: int = 0
    score: Score = Score.CORRECT


class Operation(BaseModel):
    """One operation across the targets (a target whose run never called it is absent)."""

    operation: str  # "sqs.CreateQueue"
    service: str
    blocks: int = 0  # distinct architectures failing at it, on any target
    calling: int = 0  # distinct architectures calling it, on any target
    cells: dict[str, Cell] = Field(default_factory=dict)  # by target label


class Coverage(BaseModel):
    targets: list[Target] = Field(default_factory=list)
    scores: dict[str, Scores] = Field(default_factory=dict)  # by target label
    operations: list[Operation] = Field(default_factory=list)  # most blocking first

    @property
    def traced(self) -> bool:
        return any(t.traced for t in self.targets)

    def to_json(self) -> dict[str, object]:
        return self.model_dump(mode="json")


def latest_per_target(store: ArtifactStore) -> list[Run]:
    """The latest run of each emulator release in the store, in release order (kind, then
    version: SemVer before CalVer)."""
    return latest_runs(store.run(run_id) for run_id in require_runs(store))


def latest_runs(runs: Iterable[Run]) -> list[Run]:
    """Of ``runs``, the latest (by id: ids sort by time) of each emulator release, in
    release order."""
    latest: dict[str, Run] = {}
    for run in sorted(runs, key=lambda r: r.run_id):
        latest[run.emulator_label] = run
    return sorted(latest.values(), key=_release_order)


def _release_order(run: Run) -> tuple[str, tuple[int, object], str]:
    kind = run.emulator.kind if run.emulator else ""
    return (kind, version_key(run.emulator_version or "0"), run.run_id)


def load_coverage(store: ArtifactStore, run_id: str | None = None) -> Coverage:
    """Coverage of ``run_id`` (an id or a unique prefix), or of the latest run of each
    emulator release."""
    runs = [store.run(resolve_run(store, run_id))] if run_id else latest_per_target(store)
    return coverage_of(
        [
            (run, load_run(store, run.run_id).rows, store.run_calls(run.run_id).results)
            for run in runs
        ]
    )


RunRows = tuple[Run, dict[str, ResultRow], dict[str, Calls]]


def coverage_of(runs: list[RunRows]) -> Coverage:
    """Coverage of these runs, one target each (a pure function of their index rows and
    calls: ``(run, rows, calls)``, both keyed by architecture hash)."""
    targets: list[Target] = []
    cells: dict[str, dict[str, Cell]] = defaultdict(dict)  # operation -> label -> cell
    blocked: dict[str, set[str]] = defaultdict(set)
    calling: dict[str, set[str]] = defaultdict(set)
    for run, rows, run_calls in runs:
        target = Target(
            label=run.emulator_label,
            kind=run.emulator.kind if run.emulator else "unknown",
            version=run.emulator_version or "unknown",
            run_id=run.run_id,
            group=run.group,
            results=len(rows),
        )
        targets.append(target)
        uses, failing = _tally(rows, run_calls, target, calling, blocked)
        for (operation, letters, passed), n in uses.items():
            cell = cells[operation].setdefault(target.label, Cell())
            cell.calling += n
            cell.terraform += n * ("f" in letters)
            cell.tests += n * ("t" in letters)
            cell.passing += n * passed
            cell.unsupported += n * ("u" in letters)
            cell.errors += n * ("e" in letters)
        for (operation, in_tests), n in failing.items():
            cell = cells[operation][target.label]
            cell.failing_at += n
            if in_tests:
                cell.failing_at_tests += n
            else:
                cell.failing_at_terraform += n
    labels = [t.label for t in targets]
    tally: dict[str, list[Score]] = {label: [] for label in labels}
    operations = []
    for name, by_label in cells.items():
        for label in labels:
            found = by_label.get(label)
            if found is not None:
                found.score = _score(found)
            never = judge(exercised=False, unsupported=False, wrong=False)
            tally[label].append(found.score if found else never)
        operations.append(
            Operation(
                operation=name,
                service=name.split(".", 1)[0],
                blocks=len(blocked[name]),
                calling=len(calling[name]),
                cells={label: by_label[label] for label in labels if label in by_label},
            )
        )
    operations.sort(key=lambda o: (-o.blocks, -o.calling, o.operation))
    scores = {label: Scores.tally(tally[label]) for label in labels}
    return Coverage(targets=targets, scores=scores, operations=operations)


def _tally(
    rows: dict[str, ResultRow],
    run_calls: dict[str, Calls],
    target: Target,
    calling: dict[str, set[str]],
    blocked: dict[str, set[str]],
) -> tuple[Counter[tuple[str, str, bool]], Counter[tuple[str, bool]]]:
    """One run's rows counted by (operation, flags, passed) and failures by (operation, in
    the tests): plain counters, so 5,000 rows of 20 operations take milliseconds."""
    uses: Counter[tuple[str, str, bool]] = Counter()
    failing: Counter[tuple[str, bool]] = Counter()
    for arch_hash, row in rows.items():
        calls = run_calls.get(arch_hash)
        if calls is None:
            continue
        target.traced += 1
        passed = row.status is Status.PASSED
        uses.update([(operation, letters, passed) for operation, letters in calls.items()])
        for operation in calls:
            calling[operation].add(arch_hash)
        at = row.fails_at
        if at:
            if at not in calls:  # the signature names a call the trace missed
                uses[at, "", passed] += 1
                calling[at].add(arch_hash)
            failing[at, row.failing_stage == "test"] += 1
            blocked[at].add(arch_hash)
    return uses, failing


def _score(cell: Cell) -> Score:
    """An operation some architecture called on the target (:func:`judge` decides)."""
    return judge(
        exercised=True,
        unsupported=cell.unsupported > 0,
        wrong=cell.failing_at > 0 or cell.errors > 0,
    )


# -- formats ---------------------------------------------------------------------------------
CSV_COLUMNS = [
    "operation",
    "service",
    "target",
    "run_id",
    "score",
    "calling",
    "terraform",
    "tests",
    "passing",
    "failing_at",
    "failing_at_terraform",
    "failing_at_tests",
    "unsupported",
    "errors",
    "blocks",
]


def coverage_csv(coverage: Coverage) -> str:
    """One line per operation and target, most blocking operations first; an operation a
    target never called has a line with score ``not_exercised`` and empty counts."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for op in coverage.operations:
        for target in coverage.targets:
            found = op.cells.get(target.label)
            head = [op.operation, op.service, target.label, target.run_id]
            if found is None:
                writer.writerow([*head, Score.NOT_EXERCISED.value, *[""] * 9, op.blocks])
                continue
            counts = found.model_dump(exclude={"score"}).values()
            writer.writerow([*head, found.score.value, *counts, op.blocks])
    return out.getvalue()


def cell_text(cell: Cell | None) -> str:
    """``12 (tf 10, tests 4): 9 pass, 2 fail at it`` — one target's cell in a line."""
    if cell is None:
        return "not exercised"
    text = f"{cell.calling} (tf {cell.terraform}, tests {cell.tests}): {cell.passing} pass"
    if cell.failing_at:
        text += (
            f", {cell.failing_at} fail at it (tf {cell.failing_at_terraform}, "
            f"tests {cell.failing_at_tests})"
        )
    if cell.unsupported:
        text += f", {cell.unsupported} unsupported"
    if cell.errors:
        text += f", {cell.errors} answered 5xx"
    return text


def coverage_markdown(coverage: Coverage, limit: int = 50) -> str:
    """The scores per target, then the ``limit`` most blocking operations (0: all)."""
    lines = ["## Operation coverage", ""]
    if not coverage.traced:
        return "\n".join([*lines, f"{NO_TRACE} in {_runs(coverage)}.", ""])
    lines += [
        "| target | run | traced | correct | wrong | unsupported | not exercised |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for t in coverage.targets:
        s = coverage.scores[t.label]
        lines.append(
            f"| {t.label} | `{t.run_id}` | {t.traced}/{t.results} | {s.correct} | {s.wrong} "
            f"| {s.unsupported} | {s.not_exercised} |"
        )
    shown = coverage.operations[:limit] if limit else coverage.operations
    labels = [t.label for t in coverage.targets]
    lines += [
        "",
        "| operation | blocks | " + " | ".join(labels) + " |",
        "| --- | --- | " + " | ".join("---" for _ in labels) + " |",
    ]
    for op in shown:
        cells = " | ".join(_md_cell(op.cells.get(label)) for label in labels)
        lines.append(f"| `{op.operation}` | {op.blocks} | {cells} |")
    if len(shown) < len(coverage.operations):
        lines += ["", f"{len(coverage.operations) - len(shown)} more operations: `--format csv`."]
    return "\n".join([*lines, ""])


def _md_cell(cell: Cell | None) -> str:
    return f"{cell.score.value}: {cell_text(cell)}" if cell else "not exercised"


def _runs(coverage: Coverage) -> str:
    return ", ".join(t.run_id for t in coverage.targets) or "no run"


__all__ = [
    "NO_TRACE",
    "Cell",
    "Coverage",
    "Operation",
    "Score",
    "Scores",
    "Target",
    "cell_text",
    "coverage_csv",
    "coverage_markdown",
    "coverage_of",
    "latest_per_target",
    "latest_runs",
    "load_coverage",
]
