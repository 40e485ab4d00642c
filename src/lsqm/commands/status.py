"""``lsqm status``: what the store holds, how the latest run went, and the top gaps."""

from __future__ import annotations

import click

from lsqm.commands.base import App, format_option, lsqm_command, print_json
from lsqm.emulator.catalogue import CATALOGUE
from lsqm.pipeline import stages
from lsqm.reporting.overview import Overview, RuntimeCalls
from lsqm.reporting.render import pct, pts


@click.command("status")
@format_option()
@lsqm_command
def status(app: App, fmt: str) -> None:
    """Show the store's contents, the latest run with its change, and the top 5 gaps."""
    view = stages.status(app.store)
    if fmt == "json":
        print_json(view.to_json())
        return
    for line in status_lines(view):
        click.echo(line)


def status_lines(view: Overview) -> list[str]:
    kinds = ", ".join(f"{k} {v}" for k, v in view.apps_by_generator.items()) or "none"
    lines = [
        f"store          {view.artifacts_dir}",
        f"architectures  {view.architectures} ({view.apps} with tests: {kinds})",
    ]
    q = view.quality
    if q and q.apps:
        lines.append(
            f"tests          {q.tests}; {q.api_calls} API call sites, {q.assertions} "
            f"assertions; resources covered {q.resources_covered}/{q.resources_total} "
            f"({q.resources_behavioural} behaviourally)"
        )
    lines.append(f"runs           {view.runs}")
    for run_id in view.unmerged_runs or []:
        lines.append(f"unmerged       {run_id}: shards only; combine them with 'lsqm merge'")
    latest = view.latest_run
    if latest:
        s = latest.summary
        counts = " ".join(f"{k}={v}" for k, v in s.items() if k != "total")
        version = (latest.emulator or {}).get("version", "unknown")
        kind = (latest.emulator or {}).get("kind", "localstack")
        title = CATALOGUE[kind].title if kind in CATALOGUE else kind
        lines.append(f"latest run     {latest.run_id} ({latest.status}, {title} {version})")
        change = ""
        if view.previous_run:
            change = f", {pts(view.pass_rate_change)} since {view.previous_run.run_id}"
        lines.append(f"pass rate      {pct(latest.pass_rate)} ({s['PASSED']}/{s['total']}){change}")
        lines.append(f"verdicts       {counts}")
        if latest.runtime_calls is not None:
            lines.append(f"at run time    {runtime_line(latest.runtime_calls)}")
    if view.top_gaps:
        lines.append("top gaps")
        for i, gap in enumerate(view.top_gaps, 1):
            lines.append(
                f"  {i}. {gap.signature} [{gap.category}] {gap.count} architecture(s); "
                f"{', '.join(gap.services) or '-'}; since {gap.first_seen}"
            )
    return lines


def runtime_line(calls: RuntimeCalls) -> str:
    """The operations the latest run's tests called, beside the static count of call sites."""
    if not calls.recorded:
        return f"{calls.note} (calls the tests made are counted from traced runs)"
    partial = (
        f" of {calls.traced}/{calls.results} traced results" if calls.traced < calls.results else ""
    )
    return (
        f"the tests called {calls.test_operations} operations{partial} "
        f"({calls.operations} with terraform's)"
    )
