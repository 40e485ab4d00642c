"""Report formats for terminals and CI: a comparison as text or Markdown, a run as Markdown
(a GitHub step summary) or JUnit XML (one testcase per architecture)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

from lsqm.records import ResultRow, Status
from lsqm.reporting.compare import BUCKETS, Comparison, compare
from lsqm.reporting.gaps import Gap, blockers, top_gaps
from lsqm.reporting.history import History, RunView, pass_rate_by_run, pass_rate_by_version
from lsqm.reporting.render import environment, pct, pts

# Section titles, in the order a reader acts on them.
TITLES = {
    "regressions": "Regressions (PASSED before, now failing on the emulator)",
    "fixes": "Fixes (failing on the emulator before, PASSED now)",
    "flaky": "Flaky flips (a flaky verdict on either side: not regressions)",
    "environment": "Environment-only changes (say nothing about the emulator)",
    "not_emulator": "To or from PASSED for a reason that is not the emulator",
    "changed": "Changed (not passing in either run)",
    "added": "New architectures",
    "removed": "Removed architectures",
}

# Lists longer than this are cut in a step summary (GitHub keeps 1 MiB of it).
MARKDOWN_ROWS = 25


def verdict(row: ResultRow) -> str:
    """PASSED, or "FAILED emulator_error: <signature>" (+ " (flaky)")."""
    text = row.status.value
    if row.status is not Status.PASSED:
        text += f" {row.category.value if row.category else 'uncategorised'}"
        if row.signature:
            text += f": {row.signature}"
    return text + (" (flaky)" if row.flaky else "")


def _run_line(view: RunView) -> str:
    return f"{view.run_id} ({view.emulator_title} {view.emulator_version})"


def _rate(view: RunView) -> str:
    return f"{pct(view.pass_rate)} ({view.summary.PASSED}/{view.summary.total})"


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def counts_line(comparison: Comparison) -> str:
    c = comparison.counts()
    return ", ".join(
        [
            _plural(c["regressions"], "regression", "regressions"),
            _plural(c["fixes"], "fix", "fixes"),
            _plural(c["flaky"], "flaky flip", "flaky flips"),
            _plural(c["environment"], "environment-only change", "environment-only changes"),
            f"{c['not_emulator']} not blamed on the emulator",
            f"{c['changed']} changed",
            f"{c['added']} new",
            f"{c['removed']} removed",
            f"{c['unchanged']} unchanged",
        ]
    )


def compare_text(comparison: Comparison) -> str:
    base, head = comparison.base, comparison.head
    version = comparison.version_change
    lines = [
        f"compare {_run_line(base)} -> {_run_line(head)}"
        + (f", {head.emulator_title} {version[2]}" if version else ""),
        f"pass rate {_rate(base)} -> {_rate(head)}, {pts(comparison.pass_rate_change)}",
    ]
    common, before, after = comparison.common
    lines.append(f"in both runs: {common} architectures, passed {before} -> {after}")
    lines.append(counts_line(comparison))
    for name in BUCKETS:
        changes = comparison.bucket(name)
        if changes:
            lines += ["", f"{TITLES[name]}:"]
            lines += [
                f"  {c.name} ({c.arch_hash}): {verdict(c.base)} -> {verdict(c.head)}"
                for c in changes
            ]
    for name, entries in (("added", comparison.added), ("removed", comparison.removed)):
        if entries:
            lines += ["", f"{TITLES[name]}:"]
            lines += [f"  {e.name} ({e.arch_hash}): {verdict(e.row)}" for e in entries]
    return "\n".join(lines)


def compare_markdown(comparison: Comparison, limit: int | None = None) -> str:
    return (
        environment()
        .get_template("compare.md.j2")
        .render(
            c=comparison,
            titles=TITLES,
            buckets=BUCKETS,
            limit=limit,
            verdict=verdict,
            counts_line=counts_line(comparison),
        )
    )


@dataclass
class RunReport:
    """What a run's summary says: the run, what changed since the one before, its top gaps."""

    history: History
    view: RunView
    comparison: Comparison | None
    gaps: list[Gap]
    blockers: list[Gap]

    @classmethod
    def of(cls, history: History) -> RunReport:
        view, previous = history.latest, history.previous
        return cls(
            history,
            view,
            compare(previous, view) if previous else None,
            top_gaps(history, view),
            blockers(history, view),
        )

    def to_json(self) -> dict[str, Any]:
        c = self.comparison
        return {
            "run_id": self.view.run_id,
            "emulator_version": self.view.emulator_version,
            "terraform_version": self.view.run.terraform.version,
            "summary": self.view.summary.to_json(),
            "pass_rate": self.view.pass_rate,
            "previous_run": c.base.run_id if c else None,
            "pass_rate_change": c.pass_rate_change if c else None,
            "changes": c.counts() if c else None,
            "trend": [r.to_json() for r in pass_rate_by_run(self.history)],
            "by_version": [v.to_json() for v in pass_rate_by_version(self.history)],
            "top_gaps": [g.to_json() for g in self.gaps],
            "blockers": [g.to_json() for g in self.blockers],
        }


def run_markdown(report: RunReport) -> str:
    """A GitHub step summary: verdict counts, what changed, the top gaps; lists are cut at
    :data:`MARKDOWN_ROWS` rows so the summary stays within GitHub's limit."""
    return (
        environment()
        .get_template("run.md.j2")
        .render(
            r=report,
            v=report.view,
            c=report.comparison,
            titles=TITLES,
            buckets=BUCKETS,
            limit=MARKDOWN_ROWS,
            verdict=verdict,
            statuses=list(Status),
            counts_line=counts_line(report.comparison) if report.comparison else "",
        )
    )


def junit_xml(view: RunView, services: dict[str, list[str]]) -> str:
    """One testcase per architecture: PASSED passes, ERROR (the harness or environment, not
    the emulator) is an error, every other status a failure; category and signature say why."""
    suite = ET.Element(
        "testsuite",
        name=f"lsqm {view.run_id}",
        tests=str(view.summary.total),
        failures=str(view.summary.total - view.summary.PASSED - view.summary.ERROR),
        errors=str(view.summary.ERROR),
        skipped="0",
        time=f"{sum(r.duration_s for r in view.rows.values()):.2f}",
        timestamp=view.run.started_at,
    )
    props = ET.SubElement(suite, "properties")
    for key, value in (
        ("emulator_version", view.emulator_version),
        ("terraform_version", view.run.terraform.version),
    ):
        ET.SubElement(props, "property", name=key, value=value)
    for arch_hash, row in sorted(view.rows.items(), key=lambda i: (i[1].name, i[0])):
        group = (services.get(arch_hash) or ["aws"])[0]
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"lsqm.{group}",
            name=f"{row.name or arch_hash} ({arch_hash})",
            time=f"{row.duration_s:.2f}",
        )
        if row.status is Status.PASSED:
            continue
        kind = "error" if row.status is Status.ERROR else "failure"
        category = row.category.value if row.category else "uncategorised"
        outcome = ET.SubElement(
            case, kind, message=f"{row.status.value} {category}: {row.signature}", type=category
        )
        outcome.text = "\n".join(
            [
                f"status: {row.status.value}",
                f"category: {category}",
                f"signature: {row.signature}",
                f"failing stage: {row.failing_stage or '-'}",
                f"tests: {row.tests_passed}/{row.tests_total} passed",
                *(["flaky: the verdict changed when rerun"] if row.flaky else []),
            ]
        )
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"
