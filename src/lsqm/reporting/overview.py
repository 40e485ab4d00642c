"""The store at a glance (``lsqm status``): what it holds, how the latest run went and how
that changed, and the top gaps — the same numbers the report and ``compare`` show."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from lsqm.records import AppRecord, ResultRow
from lsqm.reporting.compare import compare
from lsqm.reporting.coverage import NO_TRACE
from lsqm.reporting.gaps import top_gaps
from lsqm.reporting.history import History
from lsqm.store import ArtifactStore

TOP = 5


def overview(
    store: ArtifactStore, apps: dict[str, AppRecord | None] | None = None, top: int = TOP
) -> dict[str, Any]:
    """``apps``: the stored apps by architecture, when the caller has read them already."""
    hashes = store.architecture_hashes()
    if apps is None:
        apps = {h: store.app(h) for h in hashes}
    generators = Counter(a.generator or "unknown" for a in apps.values() if a)
    runs = store.run_ids()
    data: dict[str, Any] = {
        "artifacts_dir": str(store.root),
        "architectures": len(hashes),
        "apps": sum(1 for a in apps.values() if a),
        "apps_by_generator": dict(sorted(generators.items())),
        "without_tests": [h for h, a in apps.items() if not a],
        "runs": len(runs),
        "latest_run": None,
        "previous_run": None,
        "pass_rate_change": None,
        "top_gaps": [],
    }
    if not runs:
        return data
    history = History.load(store)
    latest, previous = history.latest, history.previous
    data["latest_run"] = {
        "run_id": latest.run_id,
        "status": latest.run.status.value,
        "summary": latest.summary.to_json(),
        "pass_rate": latest.pass_rate,
        "emulator": latest.run.emulator.to_json() if latest.run.emulator else {},
        "terraform": latest.run.terraform.version,
        "runtime_calls": runtime_calls(latest.rows.values()),
    }
    if previous is not None:
        data["previous_run"] = {
            "run_id": previous.run_id,
            "summary": previous.summary.to_json(),
            "pass_rate": previous.pass_rate,
        }
        data["pass_rate_change"] = compare(previous, latest).pass_rate_change
    data["top_gaps"] = [g.to_json() for g in top_gaps(history, limit=top)]
    return data


def runtime_calls(rows: Iterable[ResultRow]) -> dict[str, Any]:
    """What a run's traces say the tests exercised: distinct ``service.Operation`` the tests
    called at run time (calls made through a client fixture included, which a static count
    of call sites misses), and operations called at all. ``recorded`` is False when no
    result of the run has a trace ("no trace recorded"), never a count of 0."""
    results = traced = 0
    tests: set[str] = set()
    everything: set[str] = set()
    for row in rows:
        results += 1
        if row.calls is None:
            continue
        traced += 1
        tests |= row.test_operations
        everything.update(row.calls)
    if not traced:
        return {"recorded": False, "note": NO_TRACE, "results": results, "traced": 0}
    return {
        "recorded": True,
        "results": results,
        "traced": traced,
        "test_operations": len(tests),
        "operations": len(everything),
    }
