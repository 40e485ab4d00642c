"""``lsqm setup``: provision what validate needs, idempotently, and say what was found."""

from __future__ import annotations

import click

from lsqm.cli import App, format_option, lsqm_command, print_json
from lsqm.emulator import resolve_runtime
from lsqm.toolchain.localstack import ensure_localstack
from lsqm.toolchain.terraform import ensure_terraform


@click.command("setup")
@click.option("--localstack-version", default=None, help="LocalStack version to install")
@click.option("--runtime", type=click.Choice(["auto", "host", "docker", "external"]), default=None)
@click.option("--offline", is_flag=True, default=None, help="use the offline Terraform toolchain")
@format_option
@lsqm_command
def setup(
    app: App, localstack_version: str | None, runtime: str | None, offline: bool | None, fmt: str
) -> None:
    """Install or find the emulator runtime, Terraform and the AWS provider (cached)."""
    settings = app.settings
    if localstack_version:
        settings.localstack_version = localstack_version
    if runtime:
        settings.runtime = runtime  # type: ignore[assignment]
    if offline:
        settings.offline_toolchain = True
    chosen = resolve_runtime(settings)
    report: dict[str, object] = {"runtime": chosen, "cache_dir": str(settings.cache_dir)}
    if chosen == "host":
        app.info(f"LocalStack {settings.localstack_version}: checking the host runtime …")
        install = ensure_localstack(settings.cache_dir, settings.localstack_version)
        app.info(install.describe())
        report["localstack"] = {
            "version": install.version,
            "venv": str(install.venv),
            "installed_now": install.installed_now,
        }
    app.info("Terraform: checking …")
    toolchain = ensure_terraform(settings)
    app.info(toolchain.describe())
    report["terraform"] = {
        "binary": str(toolchain.binary),
        "version": toolchain.version,
        "mirror": str(toolchain.mirror) if toolchain.mirror else None,
        "offline_providers": toolchain.offline_providers,
    }
    if fmt == "json":
        print_json(report)
    else:
        click.echo(f"ready: runtime {chosen}, {toolchain.describe()}")


COMMANDS = [setup]
