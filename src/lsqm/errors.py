"""The exceptions lsqm raises, and the exit code each one means to a user.

    LsqmError                    base; never shown as a traceback
    ├── UsageError      (exit 2) a mistake in options, config.yaml or sources.yaml
    ├── ToolMissing     (exit 3) a required tool, runtime or credential is absent
    ├── StoreError      (exit 2) the artifact store is unreadable or inconsistent
    ├── CommandError             an external command failed (carries argv, exit code, output)
    │   └── CommandTimeout       ... or ran past its limit (its process group was killed)
    └── EmulatorError            the emulator did not start, died, or stopped answering

The CLI is the only place that turns these into messages and exit codes.
"""

from __future__ import annotations

from collections.abc import Sequence


class LsqmError(Exception):
    """Base of every error lsqm raises on purpose."""

    exit_code: int = 2

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.__class__.__name__


class UsageError(LsqmError):
    """The user asked for something that cannot work; the message says what to fix."""

    exit_code = 2


class ToolMissing(LsqmError):
    """A required tool is not installed; the message says how to get it."""

    exit_code = 3


class StoreError(LsqmError):
    exit_code = 2


class CommandError(LsqmError):
    """An external command exited non-zero."""

    exit_code = 1

    def __init__(self, argv: Sequence[str], exit_code: int | None, output: str) -> None:
        self.argv = list(argv)
        self.returncode = exit_code
        self.output = output
        tail = output.strip().splitlines()[-5:]
        super().__init__(f"{argv[0]} exited with {exit_code}: " + " | ".join(tail))


class CommandTimeout(CommandError):
    def __init__(self, argv: Sequence[str], seconds: float, output: str) -> None:
        super().__init__(argv, None, output)
        self.args = (f"{argv[0]} ran past its {seconds:.0f}s limit and was killed",)


class EmulatorError(LsqmError):
    exit_code = 1
