"""``lsqm validate``: deploy and test architectures on LocalStack, one result per architecture."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from lsqm import proc
from lsqm.cli import App, err_console, format_option, lsqm_command, print_json
from lsqm.errors import UsageError
from lsqm.validation.pool import execute, plan_run

STATUS_STYLE = {
    "PASSED": "green",
    "PARTIAL": "yellow",
    "FAILED": "red",
    "TIMEOUT": "magenta",
    "ERROR": "bold red",
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
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (a CI cancel) is handled like Ctrl-C: stop children, keep results."""

    def handler(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def _progress(total: int) -> Iterator[Callable[[dict[str, Any]], None]]:
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

            def advance(result: dict[str, Any]) -> None:
                bar.update(
                    task, advance=1, description=f"{result.get('name', '')} {result['status']}"
                )
                bar.console.print(_line(result))

            yield advance
        return

    def plain(result: dict[str, Any]) -> None:
        done[0] += 1
        err_console.print(f"[{done[0]}/{total}] " + _line(result), markup=False)

    yield plain


def _line(result: dict[str, Any]) -> str:
    why = f" {result['category']}: {result['signature']}" if result.get("category") else ""
    name = result.get("name", result["arch_hash"])
    return f"{result['status']:<8} {name} ({result['arch_hash']}, {result['duration_s']:.1f}s){why}"


def summary_table(run: dict[str, Any], results: list[dict[str, Any]]) -> Table:
    table = Table(title=f"run {run['run_id']}", show_lines=False)
    for column in ("status", "architecture", "tests", "category", "why", "s"):
        table.add_column(column)
    for r in sorted(results, key=lambda r: (r["status"], r.get("name", ""))):
        tests = r["tests"]
        table.add_row(
            f"[{STATUS_STYLE.get(r['status'], '')}]{r['status']}[/]",
            f"{r.get('name', '')} {r['arch_hash'][:8]}",
            f"{tests['passed']}/{tests['total']}",
            r.get("category") or "",
            (r.get("signature") or "")[:70],
            f"{r['duration_s']:.0f}",
        )
    s = run["summary"]
    table.caption = " · ".join(
        f"{k} {s[k]}" for k in ("PASSED", "PARTIAL", "FAILED", "TIMEOUT", "ERROR")
    )
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
@click.option("--localstack-version", default=None)
@click.option("--shard", default=None, help="I/N: validate every N-th architecture from the I-th")
@click.option("--run-id", default=None, help="resume (or name) this run")
@click.option(
    "--relax-constraints",
    is_flag=True,
    default=None,
    help="try architectures whose provider version constraints cannot be met",
)
@click.option(
    "--shared-provider/--no-shared-provider",
    default=None,
    help="one AWS provider process per architecture (default) or one per terraform phase",
)
@format_option
@lsqm_command
def validate(
    app: App,
    arch: tuple[str, ...],
    parallel: int | None,
    timeout: float | None,
    runtime: str | None,
    endpoint: str | None,
    localstack_version: str | None,
    shard: str | None,
    run_id: str | None,
    relax_constraints: bool | None,
    shared_provider: bool | None,
    fmt: str,
) -> None:
    """Deploy each architecture to LocalStack with Terraform, run its tests, record verdicts."""
    s = app.settings
    for key, value in (
        ("parallel", parallel),
        ("timeout", timeout),
        ("runtime", runtime),
        ("endpoint", endpoint),
        ("localstack_version", localstack_version),
        ("relax_provider_constraints", relax_constraints),
        ("share_provider_process", shared_provider),
    ):
        if value is not None:
            setattr(s, key, value)
    store = app.store
    plan = plan_run(store, run_id=run_id, arch=list(arch) or None, shard=parse_shard(shard))
    if not plan.todo and not plan.done:
        raise UsageError(
            f"no architectures in {store.architectures_dir}; add some with 'lsqm add PATH' "
            "or 'lsqm mine'"
        )
    if plan.resumed:
        app.info(f"resuming run {plan.run_id}: {len(plan.done)} done, {len(plan.todo)} to go")
    if app.dry_run:
        click.echo(f"would validate {len(plan.todo)} architecture(s) in run {plan.run_id}")
        return
    with _sigterm_as_interrupt(), _progress(len(plan.todo)) as on_result:
        try:
            run = execute(s, store, plan, on_result=on_result, on_status=app.info)
        except KeyboardInterrupt:
            proc.kill_all()
            app.info(
                f"interrupted: results written so far are kept; resume with "
                f"'lsqm validate --run-id {plan.run_id}'"
            )
            sys.exit(130)
    results = list(store.results(plan.run_id).values())
    if fmt == "json":
        print_json({"run_id": plan.run_id, "summary": run["summary"], "results": results})
        return
    Console().print(summary_table(run, results))


COMMANDS = [validate]
