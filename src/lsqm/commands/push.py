"""``lsqm push [--message M]``: commit what the stages wrote and push it."""

from __future__ import annotations

import click

from lsqm.commands.base import App, format_option, lsqm_command, print_json
from lsqm.pipeline import stages


@click.command("push")
@click.option("--message", "-m", default=None, help="commit message [default: what changed]")
@format_option()
@lsqm_command
def push(app: App, message: str | None, fmt: str) -> None:
    """Commit new architectures, apps and runs into the store's git history and push them;
    when another writer pushed first, rebase and try again. ARTIFACT_REPO_TOKEN (or
    GITHUB_TOKEN) is handed to git through its environment, never its configuration."""
    report = stages.push(app.settings, app.store, message=message, dry_run=app.dry_run)
    if fmt == "json":
        print_json(report.to_json())
    elif app.dry_run:
        changed = ", ".join(f"{n} {k}" for k, n in report.changed.items() if n) or "nothing"
        click.echo(f"would commit {changed} and push to {report.remote} ({report.branch})")
    else:
        for path in report.capped:
            app.info(f"log cut to {app.settings.log_cap_bytes} bytes for git: {path}")
        click.echo(report.describe())
