"""The store at a glance (``lsqm status``): what it holds, how the latest run went and how
that changed, and the top gaps — the same numbers the report and ``compare`` show."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from lsqm.records import AppRecord, Calls, Output, called_by_tests
from lsqm.reporting.compare import compare
from lsqm.reporting.coverage import NO_TRACE
from lsqm.reporting.gaps import top_gaps
from lsqm.reporting.history import History
from lsqm.store import ArtifactStore

TOP = 5


class Quality(Output):
    """Totals over the stored apps' metrics (:func:`lsqm.generation.metrics.quality_summary`)."""

    apps: int
    by_generator: dict[str, int]
    tests: int
    api_calls: int
    assertions: int
    resources_total: int
    resources_covered: int
    resources_behavioural: int


class RuntimeCalls(Output):
    """What a run's traces say the tests exercised: distinct ``service.Operation`` the tests
    called at run time (calls made through a client fixture included, which a static count
    of call sites misses), and operations called at all. ``recorded`` is False when no
    result of the run has a trace ("no trace recorded"), never a count of 0."""

    recorded: bool
    results: int
    traced: int
    note: str | None = None
    test_operations: int | None = None
    operations: int | None = None


class RunGlance(Output):
    """A run as ``status`` shows it; ``status``, ``emulator`` and ``terraform`` for the
    latest run only."""

    run_id: str
    summary: dict[str, Any]  # records.Summary's JSON (a newer lsqm may add fields)
    pass_rate: float | None
    status: str | None = None
    emulator: dict[str, Any] | None = None
    terraform: str | None = None
    runtime_calls: RuntimeCalls | None = None


class GapGlance(Output):
    """One of the top gaps (:meth:`lsqm.reporting.gaps.Gap.to_json`)."""

    signature: str
    category: str | None
    count: int
    architectures: list[str]
    names: list[str]
    services: list[str]
    resource_types: list[str]
    first_seen: str
    last_seen: str
    weight: float
    popularity: int
    statuses: dict[str, int]


class Overview(Output):
    """``lsqm status``: what the store holds, the latest run and its change since the one
    before, the top gaps; ``quality`` and ``unmerged_runs`` when the caller gives them."""

    artifacts_dir: str
    architectures: int
    apps: int
    apps_by_generator: dict[str, int]
    without_tests: list[str]
    runs: int
    latest_run: RunGlance | None
    previous_run: RunGlance | None
    pass_rate_change: float | None
    top_gaps: list[GapGlance]
    quality: Quality | None = None
    unmerged_runs: list[str] | None = None


def overview(
    store: ArtifactStore,
    apps: dict[str, AppRecord | None] | None = None,
    top: int = TOP,
) -> Overview:
    """``apps``: the stored apps by architecture, when the caller has read them already."""
    hashes = store.architecture_hashes()
    if apps is None:
        apps = {h: store.app(h) for h in hashes}
    generators = Counter(a.generator or "unknown" for a in apps.values() if a)
    runs = store.run_ids()
    latest_run = previous_run = change = None
    gaps: list[GapGlance] = []
    if runs:
        history = History.load(store)
        latest, previous = history.latest, history.previous
        latest_run = RunGlance(
            run_id=latest.run_id,
            status=latest.run.status.value,
            summary=latest.summary.to_json(),
            pass_rate=latest.pass_rate,
            emulator=latest.run.emulator.to_json() if latest.run.emulator else {},
            terraform=latest.run.terraform.version,
            runtime_calls=runtime_calls(store.run_calls(latest.run_id).results.values()),
        )
        if previous is not None:
            previous_run = RunGlance(
                run_id=previous.run_id,
                summary=previous.summary.to_json(),
                pass_rate=previous.pass_rate,
            )
            change = compare(previous, latest).pass_rate_change
        gaps = [GapGlance.model_validate(g.to_json()) for g in top_gaps(history, limit=top)]
    return Overview(
        artifacts_dir=str(store.root),
        architectures=len(hashes),
        apps=sum(1 for a in apps.values() if a),
        apps_by_generator=dict(sorted(generators.items())),
        without_tests=[h for h, a in apps.items() if not a],
        runs=len(runs),
        latest_run=latest_run,
        previous_run=previous_run,
        pass_rate_change=change,
        top_gaps=gaps,
    )


def runtime_calls(run_calls: Iterable[Calls]) -> RuntimeCalls:
    """:class:`RuntimeCalls` of a run's results' calls (:class:`lsqm.records.RunCalls`)."""
    results = traced = 0
    tests: set[str] = set()
    everything: set[str] = set()
    for calls in run_calls:
        results += 1
        if calls is None:
            continue
        traced += 1
        tests |= called_by_tests(calls)
        everything.update(calls)
    if not traced:
        return RuntimeCalls(recorded=False, note=NO_TRACE, results=results, traced=0)
    return RuntimeCalls(
        recorded=True,
        results=results,
        traced=traced,
        test_operations=len(tests),
        operations=len(everything),
    )
