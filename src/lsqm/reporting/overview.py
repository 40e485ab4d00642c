"""The store at a glance (``lsqm status``): what it holds, how the latest run went and how
that changed, and the top gaps — the same numbers the report and ``compare`` show."""

from __future__ import annotations

from collections import Counter
from typing import Any

from lsqm.records import AppRecord
from lsqm.reporting.compare import compare
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
