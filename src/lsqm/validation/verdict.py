"""The one place that decides a result's status (docs/design.md, "Verdicts").

PASSED   deploy succeeded, at least one test ran, and every test passed
PARTIAL  deploy succeeded, some tests passed and some failed or errored
FAILED   the emulator rejected or broke the deployment, or every test failed
TIMEOUT  a stage ran past its limit
ERROR    the harness or environment failed, not the emulator
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lsqm.errors import LsqmError
from lsqm.records import Attempt, Category, Status, TraceCall
from lsqm.validation.classify import (
    FAILED_CATEGORIES,
    Failure,
    classify_test_failure,
    dominant,
    name_by_trace,
)
from lsqm.validation.junit import JUnitCounts

# pytest's exit codes (pytest.ExitCode): 0 ok, 1 tests failed, 2 interrupted,
# 3 internal error, 4 usage error, 5 no tests collected.
PYTEST_NO_TESTS = 5


@dataclass(frozen=True)
class Verdict:
    status: Status
    category: Category | None
    signature: str
    message: str


# Verdicts decided before the emulator was asked anything, or by the configuration itself:
# a rerun would repeat them exactly, so they are never rerun.
_DETERMINISTIC = frozenset({Category.ENVIRONMENT, Category.TERRAFORM_CONFIG, Category.NO_TESTS})


def worth_rerunning(status: Status, category: Category | None) -> bool:
    """Whether a verdict may change on a rerun (``validate --rerun-failures``)."""
    return status is not Status.PASSED and category not in _DETERMINISTIC


def same_verdict(a: Verdict | Attempt, b: Verdict | Attempt) -> bool:
    """Two attempts agree when status, category and signature are the same."""
    return (a.status, a.category, a.signature) == (b.status, b.category, b.signature)


def harness_failed(exc: LsqmError, what: str | None = None) -> Verdict:
    """lsqm itself failed (a copy, a tool, a schema): never the emulator's fault."""
    return Verdict(
        Status.ERROR, Category.HARNESS, what or f"harness: {type(exc).__name__}", exc.message
    )


def emulator_lost(signature: str, message: str) -> Verdict:
    """No emulator could serve the architecture (it died, or would not start or restart)."""
    return Verdict(Status.ERROR, Category.EMULATOR_UNAVAILABLE, signature, message)


def _healthy_after(failure: Failure) -> Failure:
    """A test lost its connection to the emulator, yet the emulator answered its health
    check afterwards: it dropped a request, which is an emulator error, not an outage."""
    if failure.category is not Category.EMULATOR_UNAVAILABLE:
        return failure
    return Failure(
        Category.EMULATOR_ERROR,
        "test: a connection to the emulator failed while it stayed healthy",
        failure.message,
        failure.test,
    )


def deploy_failed(failure: Failure, *, timed_out: bool, emulator_alive: bool) -> Verdict:
    """The verdict when init or apply did not succeed."""
    if timed_out:
        return Verdict(Status.TIMEOUT, Category.TIMEOUT, failure.signature, failure.message)
    if not emulator_alive:
        return emulator_lost("emulator died during deploy", failure.message)
    status = Status.FAILED if failure.category in FAILED_CATEGORIES else Status.ERROR
    return Verdict(status, failure.category, failure.signature, failure.message)


def tests_finished(
    counts: JUnitCounts,
    *,
    exit_code: int | None,
    timed_out: bool,
    emulator_alive: bool,
    has_app: bool,
    endpoint: str | None = None,
    trace: Sequence[TraceCall] = (),
) -> Verdict:
    """The verdict after a successful deploy, from what the tests did.

    ``emulator_alive`` is the emulator's health checked after the tests: only a failed check
    makes a result ``emulator_unavailable``. ``trace`` (the calls so far) names the operation
    behind a failure in its signature."""
    if timed_out:
        return Verdict(
            Status.TIMEOUT,
            Category.TIMEOUT,
            "tests: ran past the time limit",
            "the test stage ran past its limit; its process group was killed",
        )
    if not emulator_alive:
        return emulator_lost(
            "emulator died during tests", "the emulator stopped answering while the tests ran"
        )
    if not has_app:
        return Verdict(
            Status.ERROR,
            Category.NO_TESTS,
            "no tests: app missing",
            "deployed, but there are no tests for it; run 'lsqm generate'",
        )
    if exit_code == PYTEST_NO_TESTS or (counts.ran == 0 and not counts.failures):
        return Verdict(
            Status.ERROR,
            Category.NO_TESTS,
            "no tests collected",
            "pytest collected no test (a test module without tests is not a pass)",
        )
    if exit_code not in (0, 1) and counts.ran == 0:
        return Verdict(
            Status.ERROR,
            Category.HARNESS,
            f"pytest exit {exit_code}",
            f"pytest could not run the tests (exit code {exit_code})",
        )
    bad = counts.failed + counts.errors
    if bad == 0 and counts.passed >= 1 and exit_code == 0:
        return Verdict(Status.PASSED, None, "", f"{counts.passed} test(s) passed")
    if bad == 0:
        # pytest said something failed but no test case recorded it (e.g. a session error).
        return Verdict(
            Status.ERROR,
            Category.HARNESS,
            f"pytest exit {exit_code}",
            f"pytest exited {exit_code} with no failing test recorded",
        )
    failures = [classify_test_failure(text, name, endpoint) for name, text in counts.failures]
    failure = name_by_trace(dominant([_healthy_after(f) for f in failures]), trace, "test")
    summary = f"{counts.passed} passed, {bad} failed: {failure.message}"
    if counts.passed >= 1:
        return Verdict(Status.PARTIAL, failure.category, failure.signature, summary)
    if failure.category in (Category.ENVIRONMENT, Category.HARNESS):
        return Verdict(Status.ERROR, failure.category, failure.signature, summary)
    return Verdict(Status.FAILED, failure.category, failure.signature, summary)
