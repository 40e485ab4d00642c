"""``lsqm add PATH [--tests DIR]``: store one local architecture and its hand-written tests."""

from __future__ import annotations

from pathlib import Path

import click

from lsqm.commands.base import App, format_option, lsqm_command, print_json
from lsqm.ingest import add_local


@click.command("add")
@click.argument("path", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option(
    "--tests",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    help="folder of hand-written test_*.py for this architecture",
)
@click.option("--name", help="a readable name (default: the folder's name)")
@format_option()
@lsqm_command
def add(app: App, path: Path, tests: Path | None, name: str | None, fmt: str) -> None:
    """Store one local architecture (and its hand-written tests); print its hash."""
    arch_hash = add_local(app.store, path, tests, name)
    if fmt == "json":
        print_json({"hash": arch_hash})
    else:
        click.echo(arch_hash)
