"""``lsqm run``: the main job, each stage through the store (see :mod:`lsqm.pipeline`)."""

from __future__ import annotations

import click

from lsqm import pipeline
from lsqm.commands.base import App, format_option, lsqm_command
from lsqm.commands.validate import print_run, progress_lines


@click.command("run")
@click.option("--parallel", type=click.IntRange(1, 16), default=None, help="validate workers")
@click.option("--timeout", type=click.FloatRange(min=1), default=None, help="limit per stage, s")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="mine at most N new")
@format_option()
@lsqm_command
def run(app: App, parallel: int | None, timeout: float | None, limit: int | None, fmt: str) -> None:
    """Run the whole job: setup, mine, generate, validate."""
    settings = app.configure(parallel=parallel, timeout=timeout)
    store = app.store
    with progress_lines(0) as on_result:
        record = pipeline.run_all(settings, store, limit=limit, on_result=on_result, say=app.info)
    print_run(store, record, fmt)
