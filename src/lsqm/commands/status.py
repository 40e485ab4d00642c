"""``lsqm status``: what the store holds and how the latest run went."""

from __future__ import annotations

from typing import Any

import click

from lsqm.commands.base import App, format_option, lsqm_command, print_json
from lsqm.generation.metrics import quality_summary
from lsqm.store import ArtifactStore


def store_status(store: ArtifactStore) -> dict[str, Any]:
    hashes = store.architecture_hashes()
    runs = store.run_ids()
    latest = store.run(runs[-1]) if runs else None
    apps = {h: store.app(h) for h in hashes}
    return {
        "artifacts_dir": str(store.root),
        "architectures": len(hashes),
        "apps": sum(1 for a in apps.values() if a),
        "without_tests": [h for h, a in apps.items() if not a],
        "quality": quality_summary([a for a in apps.values() if a]),
        "runs": len(runs),
        "latest_run": {
            "run_id": latest.run_id,
            "status": latest.status,
            "summary": latest.summary.to_json(),
            "emulator": latest.emulator.to_json() if latest.emulator else {},
        }
        if latest
        else None,
    }


@click.command("status")
@format_option()
@lsqm_command
def status(app: App, fmt: str) -> None:
    """Show the store's contents and the latest run's summary."""
    data = store_status(app.store)
    if fmt == "json":
        print_json(data)
        return
    click.echo(f"store        {data['artifacts_dir']}")
    click.echo(f"architectures {data['architectures']} ({data['apps']} with tests)")
    q = data["quality"]
    if q["apps"]:
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(q["by_generator"].items()))
        click.echo(
            f"tests        {q['tests']} ({kinds}); {q['api_calls']} API calls, "
            f"{q['assertions']} assertions; resources covered {q['resources_covered']}/"
            f"{q['resources_total']} ({q['resources_behavioural']} behaviourally)"
        )
    click.echo(f"runs         {data['runs']}")
    latest = data["latest_run"]
    if latest:
        s = latest["summary"]
        counts = " ".join(f"{k}={v}" for k, v in s.items() if k != "total")
        click.echo(f"latest run   {latest['run_id']} ({latest['status']}): {counts}")
