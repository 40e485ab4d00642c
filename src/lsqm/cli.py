"""The command line: the global options, the commands, and the one place where an outcome
becomes an exit code.

Exit codes: 0 ok; 1 worked and found something to act on; 2 usage or configuration error;
3 a required tool or credential is missing; 130 interrupted (Ctrl-C, SIGTERM, SIGHUP).
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import click

from lsqm import proc
from lsqm.commands import COMMANDS
from lsqm.commands.base import App, say
from lsqm.config import CONFIG_FILE
from lsqm.errors import ActionNeeded, Interrupted, LsqmError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help=f"settings file (YAML); default: ./{CONFIG_FILE} when present",
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
    if config is None and Path(CONFIG_FILE).is_file():
        config = Path(CONFIG_FILE)
    ctx.obj = App(config_file=config, artifacts=artifacts, verbose=verbose, dry_run=dry_run)


for _command in COMMANDS:
    cli.add_command(_command)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; ``main([...])`` lets tests call the CLI in-process."""
    with _signals_interrupt():
        try:
            cli.main(args=list(argv) if argv is not None else None, standalone_mode=False)
        except (KeyboardInterrupt, click.exceptions.Abort):
            proc.kill_all()
            say("interrupted")
            return Interrupted.exit_code
        except ActionNeeded as exc:
            if exc.args:
                say(exc.message)
            return exc.exit_code
        except Interrupted as exc:
            proc.kill_all()
            say(exc.message)
            return exc.exit_code
        except LsqmError as exc:
            say(f"error: {exc.message}")
            return exc.exit_code
        except click.ClickException as exc:
            exc.show()
            return 2
        except click.exceptions.Exit as exc:  # --help, --version
            return int(exc.exit_code)
    return 0


@contextmanager
def _signals_interrupt() -> Iterator[None]:
    """SIGTERM (a CI cancel) and SIGHUP (the terminal closed) end lsqm like Ctrl-C: children
    killed, results kept, temp folders removed. Their children live in sessions of their
    own, so without this a hang-up would never reach them."""

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = {}
    for sig in (signal.SIGTERM, signal.SIGHUP):
        # Only the main thread may set handlers; an in-process caller elsewhere keeps its own.
        with contextlib.suppress(ValueError):
            previous[sig] = signal.signal(sig, interrupt)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
