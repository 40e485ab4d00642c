"""``lsqm setup``: provision what validate needs, idempotently, and say what was found;
``--list`` shows the LocalStack versions installed side by side and those PyPI offers."""

from __future__ import annotations

import click

from lsqm.commands.base import App, format_option, lsqm_command, print_json
from lsqm.errors import UsageError
from lsqm.pipeline.provision import VersionList, list_versions, provision


def split_versions(values: tuple[str, ...]) -> list[str]:
    """``--localstack-version`` repeated and/or comma-separated, in the order given."""
    return list(dict.fromkeys(v.strip() for value in values for v in value.split(",") if v.strip()))


def human_bytes(count: int) -> str:
    return f"{count / 1e6:.0f} MB" if count < 1e9 else f"{count / 1e9:.1f} GB"


@click.command("setup")
@click.option(
    "--localstack-version",
    "versions",
    multiple=True,
    help="LocalStack version(s) to install side by side (repeatable or comma-separated)",
)
@click.option(
    "--version",
    "emulator_versions",
    multiple=True,
    help="version(s) of the chosen --emulator (LocalStack, MiniStack, LocalEmu) side by side",
)
@click.option(
    "--emulator",
    type=click.Choice(["localstack", "moto", "ministack", "localemu"]),
    default=None,
)
@click.option("--runtime", type=click.Choice(["auto", "host", "docker", "external"]), default=None)
@click.option("--offline", is_flag=True, default=None, help="use the offline Terraform toolchain")
@click.option("--list", "show", is_flag=True, help="show installed and available versions")
@click.option("--all", "show_all", is_flag=True, help="with --list: dev builds and yanked too")
@format_option()
@lsqm_command
def setup(
    app: App,
    versions: tuple[str, ...],
    emulator_versions: tuple[str, ...],
    emulator: str | None,
    runtime: str | None,
    offline: bool | None,
    show: bool,
    show_all: bool,
    fmt: str,
) -> None:
    """Install or find the emulator runtime(s), Terraform and the AWS provider (cached)."""
    others = split_versions(emulator_versions)
    if others and emulator in (None, "localstack"):
        versions, others = versions + tuple(others), []
    chosen = others or split_versions(versions)
    if others and emulator == "moto" and len(others) > 1:
        raise UsageError("--emulator moto installs one --version at a time")
    pinned = {f"{emulator or 'localstack'}_version": chosen[0]} if chosen else {}
    settings = app.configure(
        **pinned,
        emulator=emulator,
        runtime=runtime,
        offline_toolchain=offline,
    )
    if show:
        listing = list_versions(settings, prereleases=show_all)
        if fmt == "json":
            print_json(listing.to_json())
        else:
            click.echo("\n".join(versions_lines(listing)))
        return
    report = provision(settings, app.info, versions=chosen or None)
    if fmt == "json":
        print_json(report.to_json())
    else:
        for entry in report.localstack_versions or []:
            click.echo(f"LocalStack {entry.version}: " + "; ".join(entry.notes or ["ok"]))
        for found in (report.ministack or []) + (report.localemu or []):
            click.echo(f"{settings.emulator} {found.version}: ok (Python {found.python})")
        click.echo(f"ready: runtime {report.runtime}, {report.terraform.describe}")


def versions_lines(listing: VersionList) -> list[str]:
    """One line per version, oldest first: installed ones marked ``*`` with python, disk
    (``own``: not shared with uv's cache) and what lsqm's plugin gives on them."""
    lines = []
    for row in listing.versions:
        mark = "*" if row.installed else " "
        line = f"{mark} {row.version:<14} {row.released:<10}"
        if row.installed:
            disk = f"{human_bytes(row.disk_bytes)} ({human_bytes(row.own_bytes)} own)"
            default = " [default]" if row.version == listing.default else ""
            line += f"  py{row.python or '?':<5} {disk:<20} {row.capabilities}{default}"
        elif row.yanked:
            line += "  yanked"
        lines.append(line.rstrip())
    total = human_bytes(listing.installed_disk_bytes)
    lines.append(f"{len(listing.installed)} installed (*), {total} on disk")
    if listing.index_error:
        lines.append(f"PyPI not reached: {listing.index_error}")
    return lines
