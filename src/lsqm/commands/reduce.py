"""``lsqm reduce ARCH``: the smallest Terraform (and tests) that still fails the same way on
the same emulator version, with ``reduction.json`` and an ``ISSUE.md`` ready to file."""

from __future__ import annotations

from pathlib import Path

import click

from lsqm.commands.base import App, format_option, lsqm_command, print_json
from lsqm.config import Settings
from lsqm.errors import ActionNeeded
from lsqm.pipeline import stages
from lsqm.records import Run


@click.command("reduce")
@click.argument("arch")
@click.option(
    "--run", "run_id", default=None, help="the run whose verdict to keep (default: latest)"
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="output folder (default: reductions/<hash>/ in the store)",
)
@click.option(
    "--budget",
    type=click.FloatRange(min=1),
    default=900.0,
    show_default=True,
    help="seconds for the whole search; when they run out the smallest failing config is kept",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 8),
    default=1,
    show_default=True,
    help="emulators probing candidates in parallel",
)
@click.option("--timeout", type=click.FloatRange(min=1), default=None, help="limit per stage, s")
@format_option()
@lsqm_command
def reduce(
    app: App,
    arch: str,
    run_id: str | None,
    out: Path | None,
    budget: float,
    workers: int,
    timeout: float | None,
    fmt: str,
) -> None:
    """Cut ARCH's failing configuration down to what still fails the same way."""

    def settings_for(run: Run) -> Settings:
        """The run's emulator and version: the same failure needs the same emulator."""
        emulator = run.emulator
        if emulator is None:
            return app.configure(timeout=timeout)
        known = emulator.version not in ("", "unknown")
        fields = {"moto": "moto_version", "ministack": "ministack_version",
                  "localemu": "localemu_version"}  # fmt: skip
        field = fields.get(emulator.kind, "localstack_version")
        versions = {field: emulator.version} if known else {}
        return app.configure(emulator=emulator.kind, timeout=timeout, **versions)

    reduction = stages.reduce_failure(
        settings_for,
        app.store,
        arch,
        run_id=run_id,
        out=out,
        budget=budget,
        workers=workers,
        say=app.info,
    )
    if fmt == "json":
        print_json(reduction.to_json())
    else:
        click.echo(reduction.message)
        if reduction.out_dir:
            click.echo(f"main.tf, reduction.json and ISSUE.md: {reduction.out_dir}")
        click.echo(f"{reduction.probes} probes, {reduction.seconds:.0f}s")
    if reduction.ending in ("not_reproduced", "needs_network", "unconfirmed"):
        raise ActionNeeded("")
