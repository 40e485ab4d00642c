"""``lsqm sensitivity``: faults injected into the emulator's answers to the tests, one per
run, and how many the tests catch (definitions in :mod:`lsqm.validation.sensitivity`)."""

from __future__ import annotations

import click

from lsqm.commands.base import App, format_option, lsqm_command, print_json
from lsqm.errors import UsageError
from lsqm.validation.sensitivity import measure


def _percent(score: dict[str, object]) -> str:
    value = score.get("score")
    return f"{score['caught']}/{score['exercised']}" + (
        f" ({float(value) * 100:.0f} %)" if isinstance(value, int | float) else ""
    )


@click.command("sensitivity")
@click.argument("arch", nargs=-1)
@click.option(
    "--faults",
    "faults_limit",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="at most N faults per architecture (default: every exercised one)",
)
@click.option(
    "--fault",
    "only",
    multiple=True,
    metavar="ID",
    help="only this fault (repeatable), e.g. sqs.ReceiveMessage:message_lost",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 8),
    default=1,
    show_default=True,
    help="architectures measured at once, one emulator each",
)
@format_option()
@lsqm_command
def sensitivity(
    app: App,
    arch: tuple[str, ...],
    faults_limit: int | None,
    only: tuple[str, ...],
    workers: int,
    fmt: str,
) -> None:
    """Mutation score of the tests: each architecture deployed once, its tests run clean,
    then once per fault of the operations they call; terraform's requests are never touched.

    ARCH: architecture hashes (default: every stored architecture with tests).
    """
    store = app.store
    hashes = list(arch) or [h for h in store.architecture_hashes() if store.has_app(h)]
    if not hashes:
        raise UsageError("no architectures with tests: 'lsqm add' or 'lsqm generate' first")
    report = measure(
        app.settings, store, hashes, say=app.info, faults_limit=faults_limit,
        only=frozenset(only), workers=workers,
    )  # fmt: skip
    if fmt == "json":
        print_json(report)
        return
    for a in report["architectures"]:
        click.echo(f"{a['name']} ({a['arch_hash'][:8]}, {a['generator']}): {_percent(a['score'])}")
        if a["note"]:
            click.echo(f"  {a['note']}")
        for service, score in a["by_service"].items():
            click.echo(f"  {service}: {_percent(score)}")
        for fault in a["surviving"]:
            click.echo(f"  survived {fault['id']}: {fault['words']}")
        click.echo(f"  not exercised: {len(a['not_exercised'])}")
        for fault in a["stack"]["drifted_after"]:
            click.echo(f"  the tests failed clean after {fault}: deployed again")
    for generator, score in report["by_generator"].items():
        click.echo(f"generator {generator}: {_percent(score)}")
    for bug in report["classification_bugs"]:
        click.echo(
            f"classification bug: {bug['fault']} on {bug['arch_hash'][:8]}"
            f" blamed on {bug['category']}"
        )
    click.echo(f"stored as sensitivity/{report['id']}.json")
