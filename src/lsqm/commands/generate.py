"""``lsqm generate``: write apps/<hash>/ for architectures that have none (or --force)."""

from __future__ import annotations

import click

from lsqm.commands.base import App, format_option, lsqm_command, print_json
from lsqm.errors import ActionNeeded
from lsqm.generation.run import Outcome
from lsqm.pipeline import stages


@click.command("generate")
@click.option(
    "--generator", "kind", type=click.Choice(["rules", "claude"]), default=None,
    help="rules: built-in, deterministic (default); claude: needs ANTHROPIC_API_KEY",
)  # fmt: skip
@click.option("--budget", type=click.IntRange(min=1), default=None, help="token budget (claude)")
@click.option("--arch", "arches", multiple=True, metavar="HASH", help="only these (repeatable)")
@click.option("--force", is_flag=True, help="replace generated apps that exist")
@format_option()
@lsqm_command
def generate(
    app: App, kind: str | None, budget: int | None, arches: tuple[str, ...], force: bool, fmt: str
) -> None:
    """Write tests (apps/<hash>/) for stored architectures."""
    settings = app.configure(generator=kind)
    store = app.store
    hashes = stages.select_architectures(store, list(arches))
    if app.dry_run:
        todo = [h for h in hashes if force or not store.has_app(h)]
        if fmt == "json":
            print_json({"generator": settings.generator, "would_generate": todo})
        else:
            app.info(f"would generate {len(todo)} app(s) with the {settings.generator} generator")
        return
    total = len(hashes)
    done = 0

    def progress(outcome: Outcome) -> None:
        nonlocal done
        done += 1
        detail = f": {outcome.message}" if outcome.message and outcome.status != "exists" else ""
        app.info(f"[{done}/{total}] {outcome.arch_hash} {outcome.status}{detail}")

    report = stages.generate(
        settings, store, budget=budget, hashes=hashes, force=force, progress=progress
    )
    counts = report.counts
    if fmt == "json":
        print_json(report.to_json())
    else:
        parts = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        app.info(f"generate ({report.generator}): {parts or 'nothing to do'}")
        if counts.get("not_attempted"):
            app.info("the token budget ran out; raise --budget to generate the rest")
    if counts.get("failed"):
        raise ActionNeeded()
