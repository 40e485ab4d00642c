"""``lsqm report``: the static site of a run, or its Markdown summary or JUnit XML for CI."""

from __future__ import annotations

from pathlib import Path

import click

from lsqm.commands.base import App, lsqm_command, print_json
from lsqm.errors import UsageError
from lsqm.pipeline import stages
from lsqm.reporting.formats import junit_xml, run_markdown
from lsqm.reporting.site import SiteReport

DEFAULT_OUTPUT = Path("lsqm-report")


@click.command("report")
@click.option("--run", "run_id", default=None, help="run id or unique prefix [default: latest]")
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=True),
    default=None,
    help=f"folder of the site (html, json) [default: ./{DEFAULT_OUTPUT}]",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "markdown", "junit", "json"]),
    default="html",
    show_default=True,
    help="html: the site; markdown: a GitHub step summary; junit: one testcase per "
    "architecture; json: the report's numbers (and the site, with --output)",
)
@click.option(
    "--templates",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=None,
    help="a folder of templates that replace the bundled ones, file by file",
)
@lsqm_command
def report(
    app: App, run_id: str | None, output: Path | None, fmt: str, templates: Path | None
) -> None:
    """Write the report of a run: a static site (works from file:// and GitHub Pages), or
    Markdown / JUnit XML on stdout for CI."""
    store = app.store
    if fmt in ("markdown", "junit"):
        if output is not None:
            raise UsageError(f"--format {fmt} prints to stdout; redirect it instead of --output")
        summary = stages.run_report(store, run_id)
        if fmt == "markdown":
            click.echo(run_markdown(summary), nl=False)
        else:
            services = {h: a.services for h, a in summary.history.architectures.items()}
            click.echo(junit_xml(summary.view, services), nl=False)
        return
    if fmt == "json":
        summary = stages.run_report(store, run_id)
        data = summary.to_json()
        if output is not None and not app.dry_run:
            data["site"] = _site(app, output, summary.view.run_id, templates).to_json()
        print_json(data)
        return
    if app.dry_run:
        chosen = stages.run_report(store, run_id).view.run_id
        click.echo(f"would write the report of run {chosen} to {output or DEFAULT_OUTPUT}")
        return
    site = _site(app, output or DEFAULT_OUTPUT, run_id, templates)
    app.info(f"report of run {site.run_id}: {site.pages} page(s) in {site.output}")
    click.echo(site.output / "index.html")


def _site(app: App, output: Path, run_id: str | None, templates: Path | None) -> SiteReport:
    return stages.report(app.settings, app.store, output, run_id, templates=templates, say=app.info)
