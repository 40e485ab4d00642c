"""The records lsqm keeps: what `validate` writes and every reader (status, compare, report,
notify, merge) reads; docs/design.md, "The records" documents every field. One class per
file kind of the artifact store:

    runs/<run_id>/run.json                 Run
    runs/<run_id>/results/<hash>.json      Result (with StageRecord, TestCounts, TestCase)
    runs/<run_id>/index.json               RunIndex (a ResultRow per result; a cache)
    runs/<run_id>/calls.json               RunCalls (each result's trace in brief; a cache)
    architectures/<hash>/architecture.json ArchitectureRecord
    apps/<hash>/app.json                   AppRecord

Statuses and categories are enums with a fixed vocabulary. Every model keeps fields it does
not know (``extra="allow"``), so a file written by a newer lsqm survives a read and a rewrite
by an older one, and files written by earlier versions stay readable (new fields default).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Status(StrEnum):
    """A result's status (docs/design.md, "Verdicts"); decided only in validation/verdict.py."""

    PASSED = "PASSED"
    PARTIAL = "PARTIAL"
    FAILED = "FAILED"
    TIMEOUT = "TIMEOUT"
    ERROR = "ERROR"


class Category(StrEnum):
    """Why a result is not PASSED. A fixed vocabulary the report groups by: add codes when
    needed, never reuse one."""

    EMULATOR_UNSUPPORTED = "emulator_unsupported"
    EMULATOR_ERROR = "emulator_error"
    EMULATOR_REJECTED = "emulator_rejected"
    EMULATOR_BEHAVIOUR = "emulator_behaviour"
    EMULATOR_UNAVAILABLE = "emulator_unavailable"
    PROVIDER_CRASH = "provider_crash"
    TERRAFORM_CONFIG = "terraform_config"
    ENVIRONMENT = "environment"
    TIMEOUT = "timeout"
    HARNESS = "harness"
    NO_TESTS = "no_tests"

    @property
    def meaning(self) -> str:
        return CATEGORY_MEANING[self]

    @property
    def blames_emulator(self) -> bool:
        """Whether a result of this category is evidence about the emulator."""
        return self in EMULATOR_CATEGORIES


CATEGORY_MEANING: dict[Category, str] = {
    Category.EMULATOR_UNSUPPORTED: "the emulator does not implement it (501, not implemented, "
    "paid tier)",
    Category.EMULATOR_ERROR: "the emulator failed internally (5xx, internal error)",
    Category.EMULATOR_REJECTED: "the emulator refused a request that the configuration makes (4xx)",
    Category.EMULATOR_BEHAVIOUR: "deployed, but a test found the emulator behaving wrongly",
    Category.EMULATOR_UNAVAILABLE: "the emulator died or stopped answering during the work",
    Category.PROVIDER_CRASH: "the Terraform provider crashed on the emulator's answer (often a "
    "response field AWS always sends)",
    Category.TERRAFORM_CONFIG: "the configuration itself is wrong or needs outside inputs",
    Category.ENVIRONMENT: "what runs it lacks what the architecture needs (Docker, network, "
    "versions)",
    Category.TIMEOUT: "a stage ran past its limit",
    Category.HARNESS: "lsqm or the test code failed, not the emulator",
    Category.NO_TESTS: "no test ran",
}

# Categories that say something about the emulator (a regression into one of them is the
# emulator's); environment, harness, configuration and missing tests say nothing about it.
EMULATOR_CATEGORIES = frozenset(
    {
        Category.EMULATOR_UNSUPPORTED,
        Category.EMULATOR_ERROR,
        Category.EMULATOR_REJECTED,
        Category.EMULATOR_BEHAVIOUR,
        Category.EMULATOR_UNAVAILABLE,
        Category.PROVIDER_CRASH,
        Category.TIMEOUT,
    }
)

STAGES = ("init", "apply", "plan", "test", "destroy")


class Record(BaseModel):
    """Base of every stored record: unknown fields are kept, not refused or dropped."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


class StageRecord(Record):
    """One stage of one architecture: ``ok`` is None when the stage did not run."""

    ok: bool | None = None
    seconds: float = 0.0
    exit_code: int | None = None
    timed_out: bool = False
    skipped: bool = False


class TestCounts(Record):
    __test__ = False  # not a pytest test class

    total: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0

    @property
    def ran(self) -> int:
        """Tests that actually executed (skipped ones did not)."""
        return self.passed + self.failed + self.errors


TestOutcome = Literal["passed", "failed", "error", "skipped"]


class TestCase(Record):
    """One test of the app, as JUnit reported it."""

    __test__ = False  # not a pytest test class

    name: str
    outcome: TestOutcome
    seconds: float = 0.0
    message: str = ""  # the failure's text, redacted and cut to a readable length


class ProviderUse(Record):
    source: str
    version: str
    process: str  # "shared", or "per-command (why)"


class EmulatorUse(Record):
    """The emulator that served one result. ``kind`` + ``version`` are part of the result's
    identity: the same architecture on LocalStack 2026.3.0 and on MiniStack 1.5.33 is two
    results, read side by side by ``compare --matrix`` (empty in results written before
    they were recorded; the run's ``emulator`` says it for those)."""

    runtime: str
    restarts: int = 0
    kind: str = ""  # catalogue name ("localstack", "moto", "ministack", "localemu") or the user's
    version: str = ""  # what the running emulator reported, else the version lsqm installed


class ToolchainUse(Record):
    """The Terraform and provider versions one result was made with: most breakages users
    report come from a provider bump, not from the emulator, so they sit beside its version."""

    terraform: str = ""  # "1.11.4"
    providers: dict[str, str] = Field(default_factory=dict)  # lock file: source -> version


class TraceCall(Record):
    """AWS API calls of one kind that reached the emulator during one result's work.

    Calls are counted per (service, operation, caller, test, status, error code), so a trace
    stays small however chatty terraform is; ``first`` keeps the order the kinds first
    appeared in and ``last`` where the last of them came, which is how a failure is pinned
    to the call that caused it.
    """

    service: str  # botocore's service name: "sqs", "apigatewayv2", ...
    operation: str  # botocore's operation name: "ReceiveMessage", ... ("" when unknown)
    caller: str  # "init" | "apply" | "plan" | "destroy" | "test" | "other"
    test: str | None = None  # the test's name when caller == "test"
    status: int = 0  # the HTTP status the emulator answered (0: no answer)
    error_code: str | None = None  # "InternalFailure", "QueueDoesNotExist", ...
    count: int = 1
    seconds: float = 0.0  # total latency of these calls
    first: int = 0  # position of the first of these calls in the architecture's work
    last: int = 0  # position of the last of them (a failing test's last call is its culprit)


TERRAFORM_CALLERS = frozenset({"init", "apply", "plan", "destroy"})
NOT_IMPLEMENTED_CODES = frozenset({"NotImplemented", "NotImplementedError", "NotSupported"})
# A signature that names its operation: ``apigatewayv2.CreateApi 501 InternalFailure``,
# ``sqs.ReceiveMessage: test_dlq_redrive: no message arrived``.
_OPERATION_SIGNATURE = re.compile(r"^([a-z0-9][a-z0-9-]*)\.([A-Z][A-Za-z0-9]*)\b")


def operation_name(call: TraceCall) -> str:
    """``service.Operation``, how coverage and signatures name an operation."""
    return f"{call.service}.{call.operation}"


def unsupported(call: TraceCall) -> bool:
    """The emulator answered that it does not implement the call (501, not implemented)."""
    return call.status == 501 or (call.error_code or "") in NOT_IMPLEMENTED_CODES


def failed_operation(
    status: Status, category: Category | None, signature: str, trace: Iterable[TraceCall]
) -> str | None:
    """The operation (``service.Operation``) a result fails at, or None.

    The one place this is decided. Only a result that is not PASSED and whose category blames
    the emulator fails at an operation (an environment or configuration failure blocks on no
    call): the one its signature starts with, else the first call of its trace (in the order
    calls first appeared) the emulator answered with a 5xx (501 included).
    """
    if status is Status.PASSED or category is None or not category.blames_emulator:
        return None
    named = _OPERATION_SIGNATURE.match(signature)
    if named:
        return f"{named.group(1)}.{named.group(2)}"
    failing = [c for c in trace if c.status >= 500 and c.operation]
    return operation_name(min(failing, key=lambda c: c.first)) if failing else None


def call_flags(trace: Iterable[TraceCall]) -> dict[str, str]:
    """A trace in a run index's few bytes: per ``service.Operation`` (in the order calls
    first appeared) letters saying who called it and how the emulator answered:
    ``f`` terraform (init, apply, plan, destroy), ``t`` the tests, ``o`` anything else;
    ``u`` some call was unsupported (501, not implemented), ``e`` some other 5xx."""
    letters: dict[str, set[str]] = {}
    for call in sorted(trace, key=lambda c: c.first):
        if not call.operation:
            continue
        flags = letters.setdefault(operation_name(call), set())
        if call.caller in TERRAFORM_CALLERS:
            flags.add("f")
        elif call.caller == "test":
            flags.add("t")
        else:
            flags.add("o")
        if unsupported(call):
            flags.add("u")
        elif call.status >= 500:
            flags.add("e")
    return {op: "".join(sorted(flags, key="ftoue".index)) for op, flags in letters.items()}


class Attempt(Record):
    """An earlier attempt of a result that was rerun (``validate --rerun-failures``)."""

    status: Status
    category: Category | None = None
    signature: str = ""
    message: str = ""
    tests: TestCounts = Field(default_factory=TestCounts)
    started_at: str = ""
    duration_s: float = 0.0


class Result(Record):
    """The verdict on one architecture in one run (``runs/<run>/results/<hash>.json``)."""

    arch_hash: str
    name: str = ""
    run_id: str = ""
    status: Status
    category: Category | None = None
    signature: str = ""
    message: str = ""
    tests: TestCounts = Field(default_factory=TestCounts)
    test_cases: list[TestCase] = Field(default_factory=list)
    stages: dict[str, StageRecord] = Field(default_factory=dict)
    started_at: str = ""
    duration_s: float = 0.0
    child_process_s: float = 0.0
    provider: ProviderUse | None = None
    emulator: EmulatorUse | None = None
    toolchain: ToolchainUse | None = None  # None: written before it was recorded
    workspace_notes: list[str] = Field(default_factory=list)
    relaxed_constraints: bool | None = None
    drift: bool | None = None
    provider_rerun: str | None = None
    attempts: list[Attempt] = Field(default_factory=list)
    flaky: bool = False
    trace: list[TraceCall] = Field(default_factory=list)  # empty: not recorded

    @property
    def display_name(self) -> str:
        return self.name or self.arch_hash

    @property
    def failing_stage(self) -> str | None:
        """The first stage that ran and did not succeed (None when all that ran did)."""
        for name in STAGES:
            stage = self.stages.get(name)
            if stage is not None and stage.ok is False:
                return name
        return None

    @property
    def fails_at(self) -> str | None:
        """The operation this result fails at (:func:`failed_operation`)."""
        return failed_operation(self.status, self.category, self.signature, self.trace)

    def attempt(self) -> Attempt:
        """This result's verdict as an attempt (kept when the architecture is rerun)."""
        return Attempt(
            status=self.status,
            category=self.category,
            signature=self.signature,
            message=self.message,
            tests=self.tests,
            started_at=self.started_at,
            duration_s=self.duration_s,
        )


class ResultRow(Record):
    """What a reader of many runs needs of one result (history, compare, the report's table):
    one line of a run's index (``runs/<run>/index.json``), so 5,000 architectures in 52 runs
    read as 52 files instead of 260,000. The trace in brief is not here but in the run's
    :class:`RunCalls`, which only coverage and the count of tested operations read."""

    name: str = ""
    status: Status
    category: Category | None = None
    signature: str = ""
    flaky: bool = False
    duration_s: float = 0.0
    tests_passed: int = 0
    tests_total: int = 0
    failing_stage: str | None = None
    emulator: str = ""  # EmulatorUse.kind ("" in rows of older results)
    emulator_version: str = ""  # EmulatorUse.version
    terraform: str = ""  # ToolchainUse.terraform
    aws_provider: str = ""  # the AWS provider's version of ToolchainUse.providers
    fails_at: str | None = None  # the operation the result fails at (:func:`failed_operation`)

    @classmethod
    def of(cls, result: Result) -> ResultRow:
        used, tools = result.emulator, result.toolchain
        aws = next(
            (v for k, v in (tools.providers if tools else {}).items() if k.endswith("/aws")), ""
        )
        return cls(
            emulator=used.kind if used else "",
            emulator_version=used.version if used else "",
            terraform=tools.terraform if tools else "",
            aws_provider=aws,
            name=result.name,
            status=result.status,
            category=result.category,
            signature=result.signature,
            flaky=result.flaky,
            duration_s=result.duration_s,
            tests_passed=result.tests.passed,
            tests_total=result.tests.total,
            failing_stage=result.failing_stage,
            fails_at=result.fails_at,
        )


# What a run index's format version says: 1 (before RunCalls) may carry each row's trace in
# brief inline, as ``calls``; 2 never does.
INDEX_VERSION = 2


class RunIndex(Record):
    """``runs/<run>/index.json``: a row per result of the run, keyed by architecture hash.
    A cache of the result files: the store drops it whenever a result is written."""

    version: int = INDEX_VERSION
    run_id: str
    results: dict[str, ResultRow] = Field(default_factory=dict)


# One result's trace in brief (:func:`call_flags`); None: no trace recorded, never "no calls".
Calls = dict[str, str] | None


def calls_of(result: Result) -> Calls:
    """:data:`Calls` of one result."""
    return call_flags(result.trace) if result.trace else None


def called_by_tests(calls: Calls) -> set[str]:
    """Operations the tests called at run time (empty without a trace)."""
    return {op for op, flags in (calls or {}).items() if "t" in flags}


class RunCalls(Record):
    """``runs/<run>/calls.json``: each result's trace in brief, keyed by architecture hash
    (every result of the run, untraced ones as null). Kept apart from the index, which every
    reader of many runs reads, because it is bigger than the rows and only coverage and the
    count of tested operations need it; a cache of the result files like the index, written
    and dropped with it."""

    version: int = 1
    run_id: str
    results: dict[str, Calls] = Field(default_factory=dict)


class Summary(Record):
    """Counts by status over a run's results."""

    PASSED: int = 0
    PARTIAL: int = 0
    FAILED: int = 0
    TIMEOUT: int = 0
    ERROR: int = 0
    total: int = 0

    def count(self, status: Status) -> int:
        return int(getattr(self, status.value))

    @property
    def pass_rate(self) -> float | None:
        """PASSED / total, None for an empty run."""
        return self.PASSED / self.total if self.total else None


def summarize(results: Iterable[Result | ResultRow]) -> Summary:
    counts = Counter(r.status for r in results)
    return Summary(**{s.value: counts.get(s, 0) for s in Status}, total=sum(counts.values()))


class RunStatus(StrEnum):
    RUNNING = "running"
    COMPLETE = "complete"
    INTERRUPTED = "interrupted"
    INCOMPLETE = "incomplete"  # merged from shards, some missing or unfinished


class RunSettings(Record):
    parallel: int = 1
    timeout_s: float = 0.0
    relax_provider_constraints: bool = False
    region: str = "us-east-1"
    rerun_failures: int = 0


class TerraformInfo(Record):
    version: str = ""
    binary: str = ""
    offline_mirror: bool = False
    providers: dict[str, str] = Field(default_factory=dict)


class EmulatorInfo(Record):
    kind: str = "localstack"
    runtime: str = ""
    version: str = ""
    notes: list[str] = Field(default_factory=list)


class ShardInfo(Record):
    """Which part of a run one ``validate --shard I/N`` covered, and the plan it was cut from:
    shards planned from different stores (different ``plan``) would overlap or leave gaps."""

    index: int
    count: int
    selected: int = 0  # architectures in the whole run (every shard)
    plan: str = ""  # digest of the whole partition (every architecture and its shard)


class ShardsMerged(Record):
    """What ``lsqm merge`` combined into a run's ``run.json``."""

    count: int
    merged: list[int] = Field(default_factory=list)
    missing: list[int] = Field(default_factory=list)  # no record of these shards
    unfinished: list[int] = Field(default_factory=list)  # recorded, but not complete


class Run(Record):
    """One validate run (``runs/<run_id>/run.json``); ids sort by time as strings.

    A shard (``validate --shard I/N``) keeps its own record in
    ``runs/<run_id>/shards/<I>-of-<N>.json`` with ``shard`` set, so shards validated on
    different machines never write the same file; ``lsqm merge`` writes the run's
    ``run.json`` from them, with ``shards`` saying what was merged and what is missing.
    """

    run_id: str
    started_at: str = ""
    finished_at: str | None = None
    interrupted_at: str | None = None
    resumed_at: list[str] = Field(default_factory=list)
    status: RunStatus = RunStatus.RUNNING
    architectures: list[str] = Field(default_factory=list)
    settings: RunSettings = Field(default_factory=RunSettings)
    terraform: TerraformInfo = Field(default_factory=TerraformInfo)
    emulator: EmulatorInfo | None = None
    emulator_restarts: int = 0
    sandbox: str = ""  # "bwrap", or "none" (then ``warnings`` says why)
    warnings: list[str] = Field(default_factory=list)
    summary: Summary = Field(default_factory=Summary)
    group: str | None = None  # runs made by one command over several emulators/versions
    shard: ShardInfo | None = None  # set on a shard's own record
    shards: ShardsMerged | None = None  # set on a run merged from shards

    @property
    def emulator_version(self) -> str | None:
        return self.emulator.version if self.emulator else None

    @property
    def emulator_label(self) -> str:
        """``localstack 4.14.0``, ``moto 5.2.5``: what a version matrix names a column."""
        if self.emulator is None:
            return "unknown"
        return f"{self.emulator.kind} {self.emulator.version}"


class Source(Record):
    """Where an architecture came from."""

    kind: str = "local"
    name: str | None = None  # the sources.yaml entry
    url: str | None = None
    path: str | None = None
    commit: str | None = None


class ArchitectureRecord(Record):
    """``architectures/<hash>/architecture.json``."""

    hash: str = ""
    name: str = ""
    root: str = "."
    source: Source = Field(default_factory=Source)
    services: list[str] = Field(default_factory=list)
    # services outside the emulator's list, kept on purpose: they are the gaps to measure
    unsupported_services: list[str] = Field(default_factory=list)
    resource_types: list[str] = Field(default_factory=list)
    data_types: list[str] = Field(default_factory=list)
    providers: list[str] = Field(default_factory=list)
    local_modules: list[str] = Field(default_factory=list)
    origin: dict[str, Any] = Field(default_factory=dict)  # stars, topics, downloads, ...
    discovered_at: str = ""

    @property
    def popularity(self) -> int:
        """Repository stars or registry downloads, where the source records them (else 0)."""
        return int(self.origin.get("stars") or 0) + int(self.origin.get("downloads") or 0)


class AppRecord(Record):
    """``apps/<hash>/app.json``: who wrote the tests and what they exercise."""

    generator: str = ""
    model: str | None = None
    source: str | None = None  # where hand-written tests were added from
    architecture: str = ""  # its name when generated
    created_at: str = ""
    metrics: dict[str, Any] = Field(default_factory=dict)
    coverage: list[dict[str, Any]] = Field(default_factory=list)
    checks: dict[str, Any] = Field(default_factory=dict)  # the gate's report
    unread_modules: list[str] = Field(default_factory=list)
    tokens: dict[str, int] | None = None
    cost_usd: float | None = None

    @property
    def hand_written(self) -> bool:
        return self.generator == "hand-written"


class Output(BaseModel):
    """Base of what a command prints with ``--format json`` (not stored): typed for the
    code, the JSON shape a contract. A field nobody set is left out of the JSON (absent,
    not null): optional parts appear only when they apply."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True)
