"""``lsqm status``: what the store holds, how the latest run went, and the top gaps."""

from __future__ import annotations

from typing import Any

import click

from lsqm import pipeline
from lsqm.commands.base import App, format_option, lsqm_command, print_json
from lsqm.emulator.catalogue import CATALOGUE
from lsqm.reporting.render import pct, pts


@click.command("status")
@format_option()
@lsqm_command
def status(app: App, fmt: str) -> None:
    """Show the store's contents, the latest run with its change, and the top 5 gaps."""
    data = pipeline.status(app.store)
    if fmt == "json":
        print_json(data)
        return
    for line in status_lines(data):
        click.echo(line)


def status_lines(data: dict[str, Any]) -> list[str]:
    kinds = ", ".join(f"{k} {v}" for k, v in data["apps_by_generator"].items()) or "none"
    lines = [
        f"store          {data['artifacts_dir']}",
        f"architectures  {data['architectures']} ({data['apps']} with tests: {kinds})",
    ]
    q = data["quality"]
    if q["apps"]:
        lines.append(
            f"tests          {q['tests']}; {q['api_calls']} API calls, {q['assertions']} "
            f"assertions; resources covered {q['resources_covered']}/{q['resources_total']} "
            f"({q['resources_behavioural']} behaviourally)"
        )
    lines.append(f"runs           {data['runs']}")
    for run_id in data.get("unmerged_runs", []):
        lines.append(f"unmerged       {run_id}: shards only; combine them with 'lsqm merge'")
    latest = data["latest_run"]
    if latest:
        s = latest["summary"]
        counts = " ".join(f"{k}={v}" for k, v in s.items() if k != "total")
        version = latest["emulator"].get("version", "unknown")
        kind = latest["emulator"].get("kind", "localstack")
        title = CATALOGUE[kind].title if kind in CATALOGUE else kind
        lines.append(f"latest run     {latest['run_id']} ({latest['status']}, {title} {version})")
        change = ""
        if data["previous_run"]:
            change = f", {pts(data['pass_rate_change'])} since {data['previous_run']['run_id']}"
        lines.append(
            f"pass rate      {pct(latest['pass_rate'])} ({s['PASSED']}/{s['total']}){change}"
        )
        lines.append(f"verdicts       {counts}")
    gaps = data["top_gaps"]
    if gaps:
        lines.append("top gaps")
        for i, gap in enumerate(gaps, 1):
            lines.append(
                f"  {i}. {gap['signature']} [{gap['category']}] {gap['count']} architecture(s); "
                f"{', '.join(gap['services']) or '-'}; since {gap['first_seen']}"
            )
    return lines
