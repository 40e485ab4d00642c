"""``lsqm compare [BASE] [HEAD]``: what changed between two runs; exit 1 on regressions.
``lsqm compare --matrix [RUN...]``: the same architectures on several emulators."""

from __future__ import annotations

import click

from lsqm.commands.base import App, format_option, lsqm_command, print_json
from lsqm.errors import ActionNeeded, UsageError
from lsqm.pipeline import stages
from lsqm.reporting.formats import compare_markdown, compare_text
from lsqm.reporting.matrix import build_matrix, matrix_text


@click.command("compare")
@click.argument("runs", nargs=-1)
@click.option(
    "--matrix",
    is_flag=True,
    help="architecture x emulator: scores per emulator and what passes on one but not "
    "another (runs: default the latest of each emulator and version)",
)
@format_option("markdown")
@lsqm_command
def compare(app: App, runs: tuple[str, ...], matrix: bool, fmt: str) -> None:
    """Compare two runs (default: the previous run and the latest; ids or unique prefixes).

    Regressions are PASSED architectures now failing on the emulator; flaky flips and
    environment-only changes are listed apart and never count as regressions. Exit 1 when
    there are regressions. With --matrix, any number of runs side by side (exit 0).
    """
    if matrix:
        found = build_matrix(app.store, list(runs) or None)
        if fmt == "json":
            print_json(found.to_json())
        else:
            click.echo(matrix_text(found))
        return
    if len(runs) > 2:
        raise UsageError("compare takes at most two runs (BASE HEAD); use --matrix for more")
    base = runs[0] if runs else None
    head = runs[1] if len(runs) > 1 else None
    comparison = stages.compare_runs(app.store, base, head)
    if fmt == "json":
        print_json(comparison.to_json())
    elif fmt == "markdown":
        click.echo(compare_markdown(comparison), nl=False)
    else:
        click.echo(compare_text(comparison))
    if comparison.regressions:
        raise ActionNeeded()
