"""``lsqm coverage``: which AWS operations the stored architectures call, and how each
emulator release answers them (definitions in :mod:`lsqm.reporting.coverage`)."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from lsqm.commands.base import App, format_option, lsqm_command, print_json
from lsqm.reporting.coverage import (
    NO_TRACE,
    Coverage,
    cell_text,
    coverage_csv,
    coverage_markdown,
    load_coverage,
)

TEXT_ROWS = 40


@click.command("coverage")
@click.option("--run", "run_id", metavar="ID", default=None, help="one run (id or unique prefix)")
@format_option("csv", "markdown")
@lsqm_command
def coverage(app: App, run_id: str | None, fmt: str) -> None:
    """Operations the architectures call, per emulator release: how many call each, pass,
    fail at it (terraform or tests), ranked by the architectures it blocks; scores per
    release (correct / wrong / unsupported / not exercised, kept apart).

    Default: the latest run of each emulator release in the store.
    """
    result = load_coverage(app.store, run_id)
    if fmt == "json":
        print_json(result.to_json())
    elif fmt == "csv":
        click.echo(coverage_csv(result), nl=False)
    elif fmt == "markdown":
        click.echo(coverage_markdown(result), nl=False)
    else:
        print_text(result)


def print_text(result: Coverage) -> None:
    console = Console(highlight=False, soft_wrap=False)
    scores = Table(title="Scores per emulator release (operations)", title_justify="left")
    scores.add_column("target", no_wrap=True)
    scores.add_column(
        "run", no_wrap=True, min_width=max((len(t.run_id) for t in result.targets), default=3)
    )
    for column in ("traced", "correct", "wrong", "unsupported", "not exercised"):
        scores.add_column(column, justify="right")
    for t in result.targets:
        s = result.scores[t.label]
        traced = f"{t.traced}/{t.results}" if t.traced else NO_TRACE
        scores.add_row(
            t.label,
            t.run_id,
            traced,
            str(s.correct),
            str(s.wrong),
            str(s.unsupported),
            str(s.not_exercised),
        )
    console.print(scores)
    if not result.traced:
        console.print(f"{NO_TRACE}: these runs were validated before lsqm recorded calls.")
        return
    ops = Table(
        title="Operations, most blocking first: calling (tf, tests): pass, fail at it",
        title_justify="left",
    )
    widest = max((len(op.operation) for op in result.operations[:TEXT_ROWS]), default=9)
    ops.add_column("operation", no_wrap=True, min_width=widest)
    ops.add_column("blocks", justify="right")
    for t in result.targets:
        ops.add_column(t.label)
    for op in result.operations[:TEXT_ROWS]:
        cells = [cell_text(op.cells.get(t.label)) for t in result.targets]
        ops.add_row(op.operation, str(op.blocks), *cells)
    console.print(ops)
    more = len(result.operations) - TEXT_ROWS
    if more > 0:
        console.print(f"{more} more operations: --format csv lists them all.")
