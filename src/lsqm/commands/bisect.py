"""``lsqm bisect ARCH --good V1 --bad V2``: the first release (LocalStack's, or MiniStack's or
LocalEmu's with ``--emulator``) between two where the architecture's verdict changes,
installing only the releases it probes."""

from __future__ import annotations

import click

from lsqm.commands.base import App, format_option, lsqm_command, print_json
from lsqm.config import Settings
from lsqm.errors import ActionNeeded
from lsqm.pipeline import stages
from lsqm.validation.bisect import Bisection


@click.command("bisect")
@click.argument("arch")
@click.option("--good", required=True, help="a LocalStack release (usually the older one)")
@click.option("--bad", required=True, help="a release where the verdict is different")
@click.option(
    "--confirm",
    type=click.IntRange(1, 3),
    default=2,
    show_default=True,
    help="runs that must agree before a version's verdict counts (a flaky verdict is rerun)",
)
@click.option("--all", "prereleases", is_flag=True, help="search dev builds too")
@click.option(
    "--emulator",
    type=click.Choice(["localstack", "ministack", "localemu"]),
    default="localstack",
    show_default=True,
    help="whose releases to walk",
)
@click.option("--timeout", type=click.FloatRange(min=1), default=None, help="limit per stage, s")
@format_option()
@lsqm_command
def bisect(
    app: App,
    arch: str,
    good: str,
    bad: str,
    confirm: int,
    prereleases: bool,
    emulator: str,
    timeout: float | None,
    fmt: str,
) -> None:
    """Find the first release where ARCH's verdict changes (ARCH: hash, prefix or name)."""

    def settings_for(version: str) -> Settings:
        pinned = {"emulator": emulator, f"{emulator}_version": version}
        return app.configure(**pinned, runtime="host", timeout=timeout)

    found, folder = stages.bisect_versions(
        settings_for,
        app.store,
        arch,
        good,
        bad,
        confirm=confirm,
        prereleases=prereleases,
        say=app.info,
    )
    if fmt == "json":
        print_json({**found.to_json(), "folder": str(folder)})
    else:
        click.echo("\n".join(describe(found)))
        click.echo(f"runs and bisect.json: {folder}")
    if found.outcome in ("ambiguous", "untestable"):
        raise ActionNeeded("")


def describe(found: Bisection) -> list[str]:
    """What a person reads: the answer, the verdict change and its signature, the cost."""
    cost = (
        f"{found.probes} of {len(found.versions)} releases probed "
        f"({found.runs} runs), {found.versions[0]} .. {found.versions[-1]}"
    )
    if found.outcome == "no_change":
        first = found.verdicts[found.versions[0]]
        return [f"no change: {first} on both ends", cost]
    if found.outcome == "untestable":
        ends = [found.verdicts.get(v) for v in (found.versions[0], found.versions[-1])]
        why = "; ".join(f"{v}" for v in ends if v is not None and v.skipped)
        return [f"an end of the range cannot be tested: {why}", cost]
    before, after = found.before, found.after
    assert before is not None and after is not None
    lines = []
    if found.outcome == "found":
        lines.append(f"first changed in {found.first_changed} (last same: {found.last_same})")
    else:
        lines.append(
            f"changed in one of {', '.join(found.candidates)} "
            "(those in between could not be tested)"
        )
    lines.append(f"verdict: {before} -> {after}")
    if after.signature:
        lines.append(f"signature: {after.signature}")
    if before.signature:
        lines.append(f"before:    {before.signature}")
    flaky = [v for v, r in found.verdicts.items() if r.flaky]
    if flaky:
        lines.append(f"flaky (rerun until two agreed): {', '.join(flaky)}")
    lines.append(cost)
    return lines
