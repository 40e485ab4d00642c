"""``lsqm validate``: deploy and test architectures on an emulator, one result per architecture."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from lsqm.commands.base import App, err_console, format_option, lsqm_command, print_json, say
from lsqm.commands.setup import split_versions
from lsqm.config import Settings
from lsqm.errors import UsageError
from lsqm.pipeline import stages
from lsqm.records import Result, Run, Status

STATUS_STYLE = {
    Status.PASSED: "green",
    Status.PARTIAL: "yellow",
    Status.FAILED: "red",
    Status.TIMEOUT: "magenta",
    Status.ERROR: "bold red",
}


def parse_shard(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    try:
        index, count = (int(x) for x in value.split("/"))
    except ValueError:
        raise UsageError(f"--shard must look like I/N (e.g. 1/4), not {value!r}") from None
    if not 1 <= index <= count:
        raise UsageError(f"--shard {value}: I must be between 1 and N")
    return index, count


@contextmanager
def progress_lines(total: int) -> Iterator[Callable[[Result], None]]:
    """A live bar on a terminal, one plain line per result elsewhere (CI logs)."""
    done = [0]
    if err_console.is_terminal:
        columns = (
            TextColumn("[bold]validate"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.description}"),
        )
        with Progress(*columns, console=err_console, transient=True) as bar:
            task = bar.add_task("", total=total)

            def advance(result: Result) -> None:
                bar.update(task, advance=1, description=f"{result.name} {result.status}")
                bar.console.print(result_line(result), markup=False)

            yield advance
        return

    def plain(result: Result) -> None:
        done[0] += 1
        say(f"[{done[0]}/{total}] " + result_line(result))

    yield plain


def result_line(result: Result) -> str:
    why = f" {result.category}: {result.signature}" if result.category else ""
    return (
        f"{result.status:<8} {result.display_name} ({result.arch_hash}, "
        f"{result.duration_s:.1f}s){why}"
    )


def summary_table(run: Run, results: list[Result]) -> Table:
    table = Table(title=f"run {run.run_id}", show_lines=False)
    for column in ("status", "architecture", "tests", "category", "why", "s"):
        table.add_column(column)
    for r in sorted(results, key=lambda r: (r.status, r.name)):
        table.add_row(
            f"[{STATUS_STYLE[r.status]}]{r.status}[/]",
            f"{r.name} {r.arch_hash[:8]}",
            f"{r.tests.passed}/{r.tests.total}",
            r.category or "",
            r.signature[:70],
            f"{r.duration_s:.0f}",
        )
    table.caption = " · ".join(f"{s} {run.summary.count(s)}" for s in Status)
    return table


@click.command("validate")
@click.option("--arch", "arch", multiple=True, help="validate only this architecture (repeatable)")
@click.option(
    "--parallel", type=click.IntRange(1, 16), default=None, help="workers (one emulator each)"
)
@click.option(
    "--timeout", type=click.FloatRange(min=1), default=None, help="limit per stage, seconds"
)
@click.option("--runtime", type=click.Choice(["auto", "host", "docker", "external"]), default=None)
@click.option("--endpoint", default=None, help="URL of an emulator you run (runtime external)")
@click.option("--reset-url", default=None, help="external emulator: POST here empties its state")
@click.option(
    "--health-path", default=None, help="external emulator: GET path that answers when healthy"
)
@click.option(
    "--emulator-version", default=None, help="external emulator: its version, if not reported"
)
@click.option("--profile", default=None, help="an emulator of lsqm.yaml's emulator_profiles")
@click.option(
    "--localstack-version",
    "versions",
    multiple=True,
    help="LocalStack version(s): one run per version (repeatable or comma-separated)",
)
@click.option(
    "--emulator",
    "emulators",
    multiple=True,
    help="localstack (default), moto, ministack, localemu, or NAME of one you run (with "
    "--endpoint); NAME:VERSION pins a version; one run per emulator (repeatable or "
    "comma-separated)",
)
@click.option("--shard", default=None, help="I/N: validate every N-th architecture from the I-th")
@click.option("--run-id", default=None, help="resume (or name) this run")
@click.option(
    "--relax-constraints",
    is_flag=True,
    default=None,
    help="try architectures whose provider version constraints cannot be met",
)
@click.option(
    "--rerun-failures",
    type=click.IntRange(0, 5),
    default=None,
    metavar="N",
    help="rerun each failing architecture up to N times; a changing verdict is flaky",
)
@click.option(
    "--shared-provider/--no-shared-provider",
    default=None,
    help="one AWS provider process per architecture (default) or one per terraform phase",
)
@format_option()
@lsqm_command
def validate(
    app: App,
    arch: tuple[str, ...],
    parallel: int | None,
    timeout: float | None,
    runtime: str | None,
    endpoint: str | None,
    reset_url: str | None,
    health_path: str | None,
    emulator_version: str | None,
    profile: str | None,
    versions: tuple[str, ...],
    emulators: tuple[str, ...],
    shard: str | None,
    run_id: str | None,
    relax_constraints: bool | None,
    rerun_failures: int | None,
    shared_provider: bool | None,
    fmt: str,
) -> None:
    """Deploy each architecture to the emulator with Terraform, run its tests, record verdicts.

    Several emulators (LocalStack versions, moto, MiniStack, LocalEmu) make one run each, of
    the same architectures, tagged with the emulator and version and sharing one ``group``.
    An emulator that cannot serve the run (no Docker daemon, an unhealthy endpoint) is
    refused before anything is written (exit 3)."""
    chosen = stages.targets(split_versions(emulators), split_versions(versions))
    if profile and not emulators:
        chosen = [stages.Target("")]  # the profile names the emulator

    def settings_for(target: stages.Target) -> Settings:
        return app.configure(
            parallel=parallel,
            timeout=timeout,
            runtime=runtime,
            endpoint=endpoint,
            reset_url=reset_url,
            health_path=health_path,
            emulator_version=emulator_version,
            profile=profile,
            **(target.settings() if target.emulator else {}),
            relax_provider_constraints=relax_constraints,
            share_provider_process=shared_provider,
            rerun_failures=rerun_failures,
        )

    store = app.store
    outputs = []
    group = None
    for done in stages.validate_targets(
        settings_for, store, chosen, run_id=run_id, arch=list(arch), shard=parse_shard(shard),
        dry_run=app.dry_run, progress=progress_lines, say=app.info,
    ):  # fmt: skip
        group = done.group
        if done.run is None:
            click.echo(
                f"would validate {len(done.plan.todo)} architecture(s) on {done.target.label} "
                f"in run {done.plan.run_id}"
            )
            continue
        results = list(store.results(done.plan.run_id).values())
        outputs.append(stages.ValidatedRun.of(done.run, results))
        if fmt != "json":
            Console().print(summary_table(done.run, results))
    if fmt == "json" and outputs:
        shaped = (
            outputs[0] if len(outputs) == 1 else stages.ValidatedGroup(group=group, runs=outputs)
        )
        print_json(shaped.to_json())
