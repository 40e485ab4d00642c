"""What every command shares: the App it receives, ``--format``, JSON output, messages.

Commands parse options, call the library (:mod:`lsqm.pipeline.stages`), and print. They
raise :mod:`lsqm.errors` exceptions; :func:`lsqm.cli.main` alone turns them into messages
and exit codes. Settings are built once per command, through :func:`load_settings` with the
command's options as overrides — never by assigning to a Settings object.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from lsqm.config import Settings, load_settings
from lsqm.store import ArtifactStore

F = TypeVar("F", bound=Callable[..., Any])

err_console = Console(stderr=True, highlight=False)


@dataclass
class App:
    """What every command receives: how to build settings, the store, how to talk."""

    config_file: Path | None
    artifacts: Path | None
    verbose: bool = False
    dry_run: bool = False
    _settings: Settings | None = field(default=None, repr=False)

    def configure(self, **overrides: Any) -> Settings:
        """The settings, with this command's options (None: not given) applied on top."""
        self._settings = load_settings(self.config_file, artifacts_dir=self.artifacts, **overrides)
        return self._settings

    @property
    def settings(self) -> Settings:
        return self._settings or self.configure()

    @property
    def store(self) -> ArtifactStore:
        return ArtifactStore(self.settings.artifacts_dir)

    def info(self, message: str) -> None:
        """A line for the user on stderr (stdout is kept for data)."""
        say(message)


def say(message: str) -> None:
    """Print to stderr; a closed terminal (SIGHUP) must not turn into a second error."""
    with contextlib.suppress(OSError):
        err_console.print(message, markup=False, soft_wrap=True)


def print_json(data: Any) -> None:
    """JSON on stdout and nothing else (the ``--format json`` contract)."""
    click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))


def format_option(*choices: str) -> Callable[[F], F]:
    """``--format``: text by default; ``json`` prints only JSON on stdout."""
    kinds = ["text", "json", *choices]

    def decorate(f: F) -> F:
        return click.option(
            "--format",
            "fmt",
            type=click.Choice(kinds),
            default="text",
            show_default=True,
            help="json prints only JSON on stdout",
        )(f)

    return decorate


def lsqm_command(f: Callable[..., Any]) -> Callable[..., Any]:
    """Give a command the :class:`App` built from the global options."""

    @click.pass_obj
    @wraps(f)
    def wrapper(app: App, *args: Any, **kwargs: Any) -> Any:
        return f(app, *args, **kwargs)

    return wrapper
