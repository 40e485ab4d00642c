"""``lsqm validate``: deploy and test architectures on an emulator, one result per architecture."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from lsqm import pipeline
from lsqm.commands.base import App, err_console, format_option, lsqm_command, print_json, say
from lsqm.commands.setup import split_versions
from lsqm.config import Settings
from lsqm.emulator import check_reachable, resolve_runtime
from lsqm.errors import UsageError
from lsqm.records import Result, Run, Status
from lsqm.store import ArtifactStore

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
    chosen = pipeline.targets(split_versions(emulators), split_versions(versions))
    if profile and not emulators:
        chosen = [pipeline.Target("")]  # the profile names the emulator
    if len(chosen) > 1 and run_id:
        raise UsageError("--run-id resumes one run: give one emulator and version with it")

    def settings_for(target: pipeline.Target) -> Settings:
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

    for target in chosen:  # every target is valid and reachable before the first run
        checked = settings_for(target)
        if not app.dry_run:
            check_reachable(checked, resolve_runtime(checked))
    store = app.store
    group = pipeline.new_group(len(chosen))
    outputs = []
    for target in chosen:
        settings = settings_for(target)
        plan = pipeline.plan_validation(
            store, run_id=run_id, arch=list(arch), shard=parse_shard(shard)
        )
        if plan.resumed:
            app.info(f"resuming run {plan.run_id}: {len(plan.done)} done, {len(plan.todo)} to go")
        if plan.shard:
            s = plan.shard
            app.info(
                f"shard {s.index}/{s.count} of run {plan.run_id}: "
                f"{len(plan.todo) + len(plan.done)} of {s.selected} architecture(s); "
                "merge the shards with 'lsqm merge'"
            )
        if app.dry_run:
            click.echo(
                f"would validate {len(plan.todo)} architecture(s) on {target.label} "
                f"in run {plan.run_id}"
            )
            continue
        if len(chosen) > 1:
            app.info(f"== {target.label}: run {plan.run_id}")
        with progress_lines(len(plan.todo)) as on_result:
            run = pipeline.validate(
                settings, store, plan, on_result=on_result, say=app.info, group=group
            )
        results = list(store.results(plan.run_id).values())
        outputs.append((run, results))
        if fmt != "json":
            Console().print(summary_table(run, results))
    if fmt == "json" and outputs:
        shaped = [run_json(run, results) for run, results in outputs]
        print_json(shaped[0] if len(shaped) == 1 else {"group": group, "runs": shaped})


def run_json(run: Run, results: list[Result]) -> dict[str, Any]:
    """``validate --format json`` for one run (docs/design.md, "lsqm validate")."""
    return {
        "run_id": run.run_id,
        "emulator": run.emulator.to_json() if run.emulator else None,
        "group": run.group,
        "summary": run.summary.to_json(),
        "results": [r.to_json() for r in results],
    }


def print_run(store: ArtifactStore, run: Run, fmt: str) -> None:
    """One run's results: :func:`run_json` or the summary table."""
    results = list(store.results(run.run_id).values())
    if fmt == "json":
        print_json(run_json(run, results))
    else:
        Console().print(summary_table(run, results))
