"""``lsqm generate``: write apps/<hash>/ for architectures that have none (or --force)."""

from __future__ import annotations

from collections import Counter

import click

from lsqm.cli import App, format_option, lsqm_command, print_json
from lsqm.errors import ToolMissing, UsageError
from lsqm.generation.interface import Generator
from lsqm.generation.run import Outcome, generate_apps


def make_generator(app: App, kind: str, budget: int | None) -> Generator:
    settings = app.settings
    if kind == "rules":
        from lsqm.generation.rules.generator import RulesGenerator

        return RulesGenerator()
    if settings.anthropic_api_key is None:
        raise ToolMissing(
            "--generator claude needs ANTHROPIC_API_KEY in the environment; "
            "or use the built-in --generator rules"
        )
    from lsqm.generation.claude import ClaudeGenerator, TokenBudget

    return ClaudeGenerator(
        api_key=settings.anthropic_api_key.get_secret_value(),
        model=settings.anthropic_model,
        base_url=settings.anthropic_base_url,
        budget=TokenBudget(limit=budget if budget is not None else settings.generate_budget_tokens),
        max_tokens=settings.anthropic_max_tokens,
        prompt_bytes=settings.prompt_bytes,
    )


@click.command("generate")
@click.option(
    "--generator", "kind", type=click.Choice(["rules", "claude"]), default=None,
    help="rules: built-in, deterministic (default); claude: needs ANTHROPIC_API_KEY",
)  # fmt: skip
@click.option("--budget", type=click.IntRange(min=1), default=None, help="token budget (claude)")
@click.option("--arch", "arches", multiple=True, metavar="HASH", help="only these (repeatable)")
@click.option("--force", is_flag=True, help="replace generated apps that exist")
@format_option
@lsqm_command
def generate(
    app: App, kind: str | None, budget: int | None, arches: tuple[str, ...], force: bool, fmt: str
) -> None:
    """Write tests (apps/<hash>/) for stored architectures."""
    store = app.store
    known = store.architecture_hashes()
    unknown = [h for h in arches if h not in known]
    if unknown:
        raise UsageError(f"no architecture {', '.join(unknown)} in {store.architectures_dir}")
    hashes = list(arches) or known
    kind = kind or app.settings.generator
    if app.dry_run:
        todo = [h for h in hashes if force or not store.has_app(h)]
        if fmt == "json":
            print_json({"generator": kind, "would_generate": todo})
        else:
            app.info(f"would generate {len(todo)} app(s) with the {kind} generator")
        return
    generator = make_generator(app, kind, budget)
    total = len(hashes)
    done = 0

    def progress(outcome: Outcome) -> None:
        nonlocal done
        done += 1
        detail = f": {outcome.message}" if outcome.message and outcome.status != "exists" else ""
        app.info(f"[{done}/{total}] {outcome.arch_hash} {outcome.status}{detail}")

    outcomes = generate_apps(store, generator, hashes, force=force, progress=progress)
    counts = Counter(o.status for o in outcomes)
    results = [o.as_json() for o in outcomes]
    summary = {"generator": kind, "counts": dict(counts), "results": results}
    spent = getattr(generator, "budget", None)
    if spent is not None:
        summary["tokens"] = {"input": spent.input_tokens, "output": spent.output_tokens}
        summary["budget_exhausted"] = counts.get("not_attempted", 0) > 0
    if fmt == "json":
        print_json(summary)
    else:
        parts = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        app.info(f"generate ({kind}): {parts or 'nothing to do'}")
        if counts.get("not_attempted"):
            app.info("the token budget ran out; raise --budget to generate the rest")
    if counts.get("failed"):
        raise SystemExit(1)


COMMANDS = [generate]
