"""``lsqm clean --keep N``: delete the folders of all but the newest N runs."""

from __future__ import annotations

import click

from lsqm.commands.base import App, format_option, lsqm_command, print_json
from lsqm.pipeline import stages


@click.command("clean")
@click.option(
    "--keep", type=click.IntRange(min=1), required=True, help="newest runs to keep (by run id)"
)
@format_option()
@lsqm_command
def clean(app: App, keep: int, fmt: str) -> None:
    """Keep the newest N runs and delete older runs' folders (with --dry-run: list them)."""
    plan = stages.clean(app.store, keep, dry_run=app.dry_run)
    if fmt == "json":
        print_json(plan.to_json(app.dry_run))
        return
    verb = "would delete" if app.dry_run else "deleted"
    for run_id in plan.deleted:
        click.echo(f"{verb} {run_id}")
    click.echo(f"kept {len(plan.kept)} run(s), {verb} {len(plan.deleted)}")
