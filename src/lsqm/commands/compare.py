"""``lsqm compare [BASE] [HEAD]``: what changed between two runs; exit 1 on regressions."""

from __future__ import annotations

import click

from lsqm.commands.base import App, format_option, lsqm_command, print_json
from lsqm.errors import ActionNeeded
from lsqm.pipeline import stages
from lsqm.reporting.formats import compare_markdown, compare_text


@click.command("compare")
@click.argument("base", required=False)
@click.argument("head", required=False)
@format_option("markdown")
@lsqm_command
def compare(app: App, base: str | None, head: str | None, fmt: str) -> None:
    """Compare two runs (default: the previous run and the latest; ids or unique prefixes).

    Regressions are PASSED architectures now failing on the emulator; flaky flips and
    environment-only changes are listed apart and never count as regressions. Exit 1 when
    there are regressions.
    """
    comparison = stages.compare_runs(app.store, base, head)
    if fmt == "json":
        print_json(comparison.to_json())
    elif fmt == "markdown":
        click.echo(compare_markdown(comparison), nl=False)
    else:
        click.echo(compare_text(comparison))
    if comparison.regressions:
        raise ActionNeeded()
