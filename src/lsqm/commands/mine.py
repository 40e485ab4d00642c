"""``lsqm mine [--source NAME|PATH]... [--limit N]`` and ``lsqm mine --explain PATH``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from lsqm.commands.base import App, format_option, lsqm_command, print_json
from lsqm.discovery.filter import Decision, Policy, evaluate
from lsqm.discovery.miner import Summary
from lsqm.errors import ActionNeeded, UsageError
from lsqm.pipeline import stages


def _repository_root(path: Path) -> Path:
    """The enclosing git repository (the bound for path escapes), else the folder itself."""
    for folder in [path, *path.parents]:
        if (folder / ".git").exists():
            return folder
    return path


def _print_decision(decision: Decision) -> None:
    verdict = "accepted" if decision.accepted else "rejected"
    click.echo(f"{decision.folder}: {verdict}")
    for reason in decision.reasons:
        click.echo(f"  {reason.code}: {reason.detail}")
    if decision.inventory.services:
        click.echo(f"  services: {', '.join(decision.inventory.services)}")
    for service, types in sorted(decision.unsupported.items()):
        click.echo(
            f"  outside the emulator's services (kept, a gap): {service} ({', '.join(types)})"
        )
    if decision.module_dirs:
        click.echo(f"  local modules: {', '.join(decision.rel(m) for m in decision.module_dirs)}")


def _print_summary(summary: Summary) -> None:
    s = summary
    click.echo(
        f"candidates seen: {s.candidates_seen}  accepted (new): {s.accepted}  "
        f"unchanged: {s.unchanged_accepted}  duplicates: {s.duplicates}  "
        f"rejected: {s.rejected} ({s.rejected_remembered} remembered)"
    )
    for code, count in sorted(s.by_reason.items(), key=lambda kv: (-kv[1], kv[0])):
        click.echo(f"  {code}: {count}")
    click.echo(f".tf files parsed: {s.tf_files_parsed} in {s.elapsed_s:.2f}s")
    if s.limit_reached:
        click.echo("stopped at --limit")
    for error in s.errors:
        click.echo(f"error: {error}")


@click.command("mine")
@click.option(
    "--source", "source_names", multiple=True, metavar="NAME|PATH",
    help="a source from sources.yaml, a folder or a git URL (repeatable; default: all)",
)  # fmt: skip
@click.option("--limit", type=click.IntRange(min=1), help="stop after N newly accepted")
@click.option(
    "--explain", type=click.Path(path_type=Path, exists=True, file_okay=False),
    help="decide one folder and print every reason; stores nothing",
)  # fmt: skip
@format_option()
@lsqm_command
def mine(
    app: App, source_names: tuple[str, ...], limit: int | None, explain: Path | None, fmt: str
) -> None:
    """Discover self-contained AWS architectures and store the new ones."""
    policy = Policy.from_settings(app.settings.discovery)
    if explain is not None:
        if source_names or limit:
            raise UsageError(
                "--explain decides one folder; do not combine it with --source/--limit"
            )
        folder = explain.absolute()
        decision = evaluate(folder, _repository_root(folder), policy)
        if fmt == "json":
            print_json(decision.to_json())
        else:
            _print_decision(decision)
        return
    every = 50 if sys.stderr.isatty() else 500  # plain lines; fewer of them in CI logs
    last = [0]

    def progress(message: str, summary: Summary) -> None:
        if message.startswith(("source ", "error:")) or app.verbose:
            app.info(message)
        elif summary.candidates_seen >= last[0] + every:
            last[0] = summary.candidates_seen
            app.info(
                f"  ... {summary.candidates_seen} candidates: {summary.accepted} accepted, "
                f"{summary.rejected} rejected"
            )

    summary = stages.mine(
        app.settings, app.store, source_names=source_names, limit=limit, dry_run=app.dry_run,
        progress=progress, say=app.info,
    )  # fmt: skip
    if fmt == "json":
        print_json(summary.to_json())
    else:
        _print_summary(summary)
    if summary.errors:
        raise ActionNeeded()
