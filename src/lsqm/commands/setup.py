"""``lsqm setup``: provision what validate needs, idempotently, and say what was found."""

from __future__ import annotations

import click

from lsqm import pipeline
from lsqm.commands.base import App, format_option, lsqm_command, print_json


@click.command("setup")
@click.option("--localstack-version", default=None, help="LocalStack version to install")
@click.option("--runtime", type=click.Choice(["auto", "host", "docker", "external"]), default=None)
@click.option("--offline", is_flag=True, default=None, help="use the offline Terraform toolchain")
@format_option()
@lsqm_command
def setup(
    app: App, localstack_version: str | None, runtime: str | None, offline: bool | None, fmt: str
) -> None:
    """Install or find the emulator runtime, Terraform and the AWS provider (cached)."""
    settings = app.configure(
        localstack_version=localstack_version, runtime=runtime, offline_toolchain=offline
    )
    report = pipeline.provision(settings, app.info)
    if fmt == "json":
        print_json(report)
    else:
        click.echo(f"ready: runtime {report['runtime']}, {report['terraform']['describe']}")
