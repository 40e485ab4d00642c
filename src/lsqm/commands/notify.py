"""``lsqm notify [--run ID]``: tell people what a run changed (Slack, GitHub's step summary)."""

from __future__ import annotations

import click

from lsqm.commands.base import App, format_option, lsqm_command, print_json
from lsqm.pipeline import stages


@click.command("notify")
@click.option("--run", "run_id", default=None, help="the run to tell about (default: the latest)")
@format_option()
@lsqm_command
def notify(app: App, run_id: str | None, fmt: str) -> None:
    """Post the run's pass rate, its change, regressions, fixes and top new gap to Slack
    (SLACK_WEBHOOK_URL) and write GitHub's step summary (GITHUB_STEP_SUMMARY). A failed post
    is reported, never a failed command: the run's results are written already."""
    settings = app.settings
    if app.dry_run:
        app.info("would notify: " + ("Slack" if settings.slack_webhook_url else "no webhook"))
        return
    deliveries = stages.notify_all(settings, app.store, run_id)
    if not deliveries:
        app.info("nothing to notify: no webhook (SLACK_WEBHOOK_URL) and no step summary")
    if fmt == "json":
        print_json([{"channel": d.channel, "ok": d.ok, "detail": d.detail} for d in deliveries])
        return
    for delivery in deliveries:
        app.info(f"{delivery.channel}: {'ok' if delivery.ok else 'failed'}: {delivery.detail}")
