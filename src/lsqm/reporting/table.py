"""The index's architectures table as compact arrays: every row an array of indices into
the lists before it, rendered in the browser page by page (``static/app.js``), so 5,000
architectures stay well under a megabyte."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lsqm.records import Category, Status
from lsqm.reporting.formats import TITLES
from lsqm.reporting.history import History, RunView
from lsqm.reporting.mutation import ArchScore, short_text

# The table's status order: what most needs a maintainer first.
SEVERITY = (Status.FAILED, Status.PARTIAL, Status.TIMEOUT, Status.ERROR, Status.PASSED)


def table_data(
    history: History,
    view: RunView,
    change: Mapping[str, str],
    mutation: Mapping[str, ArchScore],
) -> dict[str, Any]:
    """The architectures table as compact arrays (indices into the lists before them):
    5,000 rows stay well under a megabyte and render in the browser, page by page."""
    statuses = [s.value for s in Status]
    categories = [c.value for c in Category]
    services = sorted({s for h in view.rows for s in history.services(h)})
    service_index = {s: i for i, s in enumerate(services)}
    changes = [
        "regressions",
        "fixes",
        "flaky",
        "environment",
        "not_emulator",
        "changed",
        "added",
    ]
    rows = []
    for arch_hash, row in view.rows.items():
        moved = change.get(arch_hash)
        rows.append(
            [
                arch_hash,
                row.name or arch_hash,
                statuses.index(row.status.value),
                categories.index(row.category.value) if row.category else -1,
                row.signature,
                round(row.duration_s, 1),
                [service_index[s] for s in history.services(arch_hash)],
                row.tests_passed,
                row.tests_total,
                int(row.flaky),
                changes.index(moved) if moved else -1,
                short_text(mutation, arch_hash),
            ]
        )
    return {
        "run_id": view.run_id,
        "statuses": statuses,
        "severity": [s.value for s in SEVERITY],
        "categories": categories,
        "services": services,
        "changes": changes,
        "change_titles": {**TITLES, "added": "New architectures"},
        "columns": [
            "hash",
            "name",
            "status",
            "category",
            "signature",
            "duration",
            "services",
            "passed",
            "total",
            "flaky",
            "change",
            "mutation",
        ],
        "rows": rows,
    }
