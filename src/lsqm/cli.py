"""The command line: parses options, calls the stages, prints. No decisions live here.

Exit codes: 0 ok; 1 worked and found something to act on; 2 usage or configuration error;
3 a required tool or credential is missing; 130 interrupted.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from lsqm.config import Settings, load_settings
from lsqm.errors import LsqmError
from lsqm.store import ArtifactStore

F = TypeVar("F", bound=Callable[..., Any])

err_console = Console(stderr=True, highlight=False)


@dataclass
class App:
    """What every command receives: settings, the store, and how to talk to the user."""

    settings: Settings
    verbose: bool
    dry_run: bool

    @property
    def store(self) -> ArtifactStore:
        return ArtifactStore(self.settings.artifacts_dir)

    def info(self, message: str) -> None:
        err_console.print(message)


def print_json(data: Any) -> None:
    """JSON on stdout and nothing else (the ``--format json`` contract)."""
    click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))


def format_option(f: F) -> F:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help="json prints only JSON on stdout",
    )(f)


def lsqm_command(f: F) -> F:
    """Give a command the App and turn LsqmError into a one-line message and exit code."""

    @click.pass_obj
    @wraps(f)
    def wrapper(obj: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        try:
            app = App(
                settings=load_settings(obj["config"], artifacts_dir=obj["artifacts"]),
                verbose=obj["verbose"],
                dry_run=obj["dry_run"],
            )
            return f(app, *args, **kwargs)
        except LsqmError as exc:
            err_console.print(
                f"[bold red]error:[/bold red] {exc.message}", markup=True, soft_wrap=True
            )
            sys.exit(exc.exit_code)

    return wrapper  # type: ignore[return-value]


class _Commands(click.Group):
    """Attaches the command modules on first use, so importing one of them (which imports
    this module) never runs into a half-initialised circle."""

    _loaded = False

    def _load(self) -> None:
        if not self._loaded:
            self._loaded = True
            from lsqm.commands import register_all

            register_all(self)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self._load()
        return super().get_command(ctx, cmd_name)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="settings file (YAML); default: ./lsqm.yaml when present",
)
@click.option(
    "--artifacts",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="artifact store directory [default: ./lsqm-artifacts, env LSQM_ARTIFACTS]",
)
@click.option("-v", "--verbose", is_flag=True, help="say more about what happens")
@click.option("--dry-run", is_flag=True, help="say what would be done, change nothing")
@click.version_option(package_name="lsqm")
@click.pass_context
def cli(
    ctx: click.Context, config: Path | None, artifacts: Path | None, verbose: bool, dry_run: bool
) -> None:
    """lsqm — the LocalStack Quality Monitor."""
    if config is None and Path("lsqm.yaml").is_file():
        config = Path("lsqm.yaml")
    ctx.obj = {"config": config, "artifacts": artifacts, "verbose": verbose, "dry_run": dry_run}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; ``main([...])`` lets tests call the CLI in-process."""
    try:
        cli.main(args=list(argv) if argv is not None else None, standalone_mode=False)
    except click.exceptions.Abort:
        err_console.print("interrupted")
        return 130
    except click.ClickException as exc:
        exc.show()
        return 2
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 2
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
