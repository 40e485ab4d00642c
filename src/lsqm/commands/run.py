"""``lsqm run``: the main job, each stage through the store: setup -> mine -> generate ->
validate. Without a sources.yaml it runs the embedded default: the bundled examples with
their hand-written tests, the built-in generator for anything without tests, LocalStack as
a host process and the offline Terraform toolchain."""

from __future__ import annotations

import click

from lsqm.cli import App, format_option, lsqm_command
from lsqm.commands.add import add_local
from lsqm.commands.generate import generate
from lsqm.commands.mine import mine
from lsqm.commands.setup import setup
from lsqm.commands.validate import validate
from lsqm.discovery import sources as source_config


def add_bundled_examples(app: App) -> list[str]:
    """Store every bundled example with its hand-written tests (``<example>/tests``)."""
    examples = source_config.bundled_examples()
    if examples is None:
        return []
    hashes = []
    for folder in sorted(p for p in examples.iterdir() if p.is_dir() and any(p.glob("*.tf"))):
        tests = folder / "tests"
        hashes.append(add_local(app.store, folder, tests if tests.is_dir() else None))
    app.info(f"mine: {len(hashes)} bundled example(s) with hand-written tests in the store")
    return hashes


@click.command("run")
@click.option("--parallel", type=click.IntRange(1, 16), default=None, help="validate workers")
@click.option("--timeout", type=click.FloatRange(min=1), default=None, help="limit per stage, s")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="mine at most N new")
@format_option
@click.pass_context
@lsqm_command
def run(
    app: App,
    ctx: click.Context,
    parallel: int | None,
    timeout: float | None,
    limit: int | None,
    fmt: str,
) -> None:
    """Run the whole job: setup, mine, generate, validate."""
    ctx.invoke(setup, fmt="text")
    if source_config.sources_file(app.settings) is None:
        add_bundled_examples(app)
    else:
        ctx.invoke(mine, source_names=(), limit=limit, explain=None, fmt="text")
    ctx.invoke(generate, kind="rules", budget=None, arches=(), force=False, fmt="text")
    ctx.invoke(validate, parallel=parallel, timeout=timeout, fmt=fmt)


COMMANDS = [run]
