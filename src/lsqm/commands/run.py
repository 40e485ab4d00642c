"""``lsqm run``: the weekly job in one command, each stage through the store (see
:mod:`lsqm.pipeline`)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from lsqm.commands.base import App, format_option, lsqm_command, print_json
from lsqm.commands.validate import progress_lines, summary_table
from lsqm.pipeline import chain


@click.command("run")
@click.option("--parallel", type=click.IntRange(1, 16), default=None, help="validate workers")
@click.option("--timeout", type=click.FloatRange(min=1), default=None, help="limit per stage, s")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="mine at most N new")
@click.option(
    "--generator", type=click.Choice(["rules", "claude"]), default=None,
    help="default: the setting; claude falls back to rules without ANTHROPIC_API_KEY",
)  # fmt: skip
@click.option("--budget", type=click.IntRange(min=1), default=None, help="token budget (claude)")
@click.option("--localstack-version", default=None)
@click.option(
    "--emulator",
    default=None,
    help="the emulator validate runs on (localstack, moto, ministack, localemu; default: the "
    "setting)",
)
@click.option("--message", "-m", default=None, help="commit message of the push")
@click.option(
    "--report-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
    help="where report writes the site [default: ./lsqm-report]",
)  # fmt: skip
@format_option()
@lsqm_command
def run(
    app: App,
    parallel: int | None,
    timeout: float | None,
    limit: int | None,
    generator: str | None,
    budget: int | None,
    localstack_version: str | None,
    emulator: str | None,
    message: str | None,
    report_dir: Path | None,
    fmt: str,
) -> None:
    """The whole job: sync, mine, generate, setup, validate, report, compare, push, notify.

    Each stage runs when it is configured and says why it is skipped when not. With
    --dry-run nothing changes and each stage says what it would do. Running again resumes:
    an unfinished latest run is continued.
    """
    settings = app.configure(
        parallel=parallel, timeout=timeout, localstack_version=localstack_version,
        emulator=emulator,
    )  # fmt: skip
    options = chain.RunOptions(
        limit=limit, generator=generator, budget=budget, message=message,
        report_dir=report_dir or chain.RunOptions.report_dir, dry_run=app.dry_run,
    )  # fmt: skip
    store = app.store
    ctx = chain.run_all(
        settings, store, options=options, validate_progress=progress_lines, say=app.info,
        check=False,
    )  # fmt: skip
    results = list(store.results(ctx.run.run_id).values()) if ctx.run else []
    if fmt == "json":
        print_json(ctx.summary(results).to_json())
    elif ctx.run:
        Console().print(summary_table(ctx.run, results))
    ctx.check()
