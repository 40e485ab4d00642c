"""Every exception lsqm raises on purpose, and the exit code each one means to a user.

    LsqmError                      base; never shown as a traceback
    ├── UsageError        (exit 2) a mistake in options, lsqm.yaml or sources.yaml
    ├── StoreError        (exit 2) the artifact store is unreadable or inconsistent
    ├── ToolMissing       (exit 3) a required tool, runtime or credential is absent
    │   └── EmulatorUnavailable    no emulator can serve the run (no Docker daemon, an
    │                              external endpoint not healthy): nothing is validated
    ├── ActionNeeded      (exit 1) the command worked and found what its user must act on
    ├── Interrupted     (exit 130) Ctrl-C, SIGTERM or SIGHUP: children killed, results kept
    ├── CommandError               an external command failed (argv, exit code, output)
    │   └── CommandTimeout         ... or ran past its limit (its process group was killed)
    ├── EmulatorError              the emulator did not start, died, or stopped answering
    ├── ProviderNotShared          the AWS provider would not start in debug mode (terraform
    │                              then starts its own processes)
    ├── SourceError                discovery: a source could not be listed or fetched
    │   ├── UnsafeArchive          an archive entry would land outside its folder
    │   └── RateLimitExhausted     the API's rate-limit budget ran out
    └── GenerationError            generation: no app for one architecture
        ├── GateRefused            generated code failed the gate
        ├── MalformedAnswer        the model's answer could not be read as files
        └── TokenBudgetExhausted   the next call would exceed the token budget

``lsqm.cli.main`` is the only place that turns these into messages and exit codes.
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


class StoreError(LsqmError):
    exit_code = 2


class ToolMissing(LsqmError):
    """A required tool is not installed; the message says how to get it."""

    exit_code = 3


class EmulatorUnavailable(ToolMissing):
    """The run's emulator cannot serve it before anything starts (no Docker daemon, an
    external endpoint that is not healthy): refused with exit 3 and no result written, so
    a scheduled run never records an environment problem as every architecture's verdict."""


class ActionNeeded(LsqmError):
    """Not a failure of lsqm: the work is done and found something (a regression, a failed
    generation, a source error) its user must act on. The message may be empty."""

    exit_code = 1


class Interrupted(LsqmError):
    """The user or the system stopped lsqm; what was written is kept (the message says how
    to resume)."""

    exit_code = 130


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


class ProviderNotShared(LsqmError):
    """The provider could not be started in debug mode (the caller uses terraform's own)."""

    exit_code = 1


class SourceError(LsqmError):
    """A source could not be listed or fetched (network, git, API); other sources go on."""

    exit_code = 1


class UnsafeArchive(SourceError):
    """An archive holds an entry that would land outside its folder (or is a device, a link
    out, or too big): the whole archive is refused."""


class RateLimitExhausted(SourceError):
    """The API's rate-limit budget ran out and the wait is longer than allowed."""


class GenerationError(LsqmError):
    """A generator could not produce an app for one architecture; the run goes on."""

    exit_code = 1


class GateRefused(GenerationError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("generated code refused: " + "; ".join(problems[:5]))


class MalformedAnswer(GenerationError):
    """The model's answer could not be read as test files."""


class TokenBudgetExhausted(GenerationError):
    """The next call would exceed the token budget: stop generating, keep what was stored."""
