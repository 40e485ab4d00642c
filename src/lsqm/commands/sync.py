"""``lsqm sync``: clone or fast-forward the artifact store from its git remote."""

from __future__ import annotations

import click

from lsqm.commands.base import App, format_option, lsqm_command, print_json
from lsqm.pipeline import stages


@click.command("sync")
@format_option()
@lsqm_command
def sync(app: App, fmt: str) -> None:
    """Clone the artifact store from its git remote (ARTIFACT_REPO: a URL, a path or
    owner/name on GitHub), or bring it up to date; files not pushed yet are kept."""
    report = stages.sync(app.settings, app.store, dry_run=app.dry_run)
    if fmt == "json":
        print_json(report.to_json())
    else:
        click.echo(report.describe())
