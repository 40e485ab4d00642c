"""``lsqm merge [DIR]...``: combine the shards of one run into one run."""

from __future__ import annotations

from pathlib import Path

import click

from lsqm.commands.base import App, format_option, lsqm_command, print_json
from lsqm.errors import ActionNeeded, UsageError
from lsqm.pipeline import stages


@click.command("merge")
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path, file_okay=False))
@click.option("--run-id", default=None, help="the run to merge when the folders hold several")
@format_option()
@lsqm_command
def merge(app: App, sources: tuple[Path, ...], run_id: str | None, fmt: str) -> None:
    """Merge the shards of one run (``validate --shard I/N --run-id ID`` on several machines)
    found in DIR... (stores, run folders or downloaded shard folders) and in the store into
    the store's runs/ID/run.json. Exit 1 when a shard is missing or did not finish."""
    if app.dry_run:
        raise UsageError("merge writes only runs/<id>/ of the store; --dry-run has nothing to show")
    report = stages.merge(app.store, list(sources), run_id)
    if fmt == "json":
        print_json(report.to_json())
    else:
        s, summary = report.shards, report.run.summary
        counts = " ".join(f"{k}={v}" for k, v in summary.to_json().items() if k != "total")
        click.echo(
            f"run {report.run.run_id} ({report.run.status}): {len(s.merged)} of {s.count} "
            f"shard(s), {summary.total} result(s): {counts}"
        )
    problems = report.problems()
    if problems:
        raise ActionNeeded("; ".join(problems))
