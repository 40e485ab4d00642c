"""Signatures from the emulator's side: a failure names the operation behind it, read from a
trace built by hand (the category stays as classify decided it)."""

from __future__ import annotations

from typing import Any

from lsqm.records import Category, TraceCall
from lsqm.trace.proxy import Call
from lsqm.trace.record import aggregate
from lsqm.validation import verdict as verdicts
from lsqm.validation.classify import Failure, classify_test_failure, name_by_trace
from lsqm.validation.junit import JUnitCounts


def _row(service: str, operation: str, caller: str, first: int, **extra: Any) -> TraceCall:
    extra.setdefault("last", first)
    extra.setdefault("status", 200)
    return TraceCall(service=service, operation=operation, caller=caller, first=first, **extra)


APPLY = [
    _row("apigatewayv2", "GetApis", "apply", 0, status=200),
    _row("apigatewayv2", "CreateApi", "apply", 1, status=501, error_code="InternalFailure"),
    _row("sqs", "CreateQueue", "apply", 2, status=500, error_code="InternalError"),
]


def test_a_deploy_failure_names_the_first_call_the_emulator_could_not_serve() -> None:
    failure = Failure(Category.EMULATOR_UNSUPPORTED, "aws_apigatewayv2_api:501: x", "x")
    named = name_by_trace(failure, APPLY, "apply")
    assert named.signature == "apigatewayv2.CreateApi 501 InternalFailure"
    assert named.category is Category.EMULATOR_UNSUPPORTED  # the category stays


def test_only_the_failing_stages_calls_count() -> None:
    failure = Failure(Category.EMULATOR_ERROR, "aws_sqs_queue: x", "x")
    plan_only = [_row("sqs", "GetQueueAttributes", "plan", 0, status=500)]
    assert name_by_trace(failure, plan_only, "apply") == failure


def test_not_implemented_in_an_error_code_is_a_fault_whatever_the_status() -> None:
    rows = [_row("s3", "PutBucketLogging", "apply", 0, status=400, error_code="NotImplemented")]
    failure = Failure(Category.EMULATOR_UNSUPPORTED, "aws_s3_bucket: x", "NotImplemented")
    assert (
        name_by_trace(failure, rows, "apply").signature == "s3.PutBucketLogging 400 NotImplemented"
    )


def test_a_refused_deploy_names_the_call_refused_with_terraforms_error_code() -> None:
    rows = [
        _row("sqs", "CreateQueue", "apply", 0, status=400, error_code="InvalidAttributeValue"),
        _row("sqs", "GetQueueUrl", "apply", 1, status=400, error_code="QueueDoesNotExist"),
    ]
    failure = Failure(
        Category.EMULATOR_REJECTED, "aws_sqs_queue:InvalidAttributeValue:400: bad",
        "creating SQS Queue: InvalidAttributeValue: bad",
    )  # fmt: skip
    named = name_by_trace(failure, rows, "apply")
    assert named.signature == "sqs.CreateQueue 400 InvalidAttributeValue"


def test_what_the_trace_cannot_explain_keeps_its_signature() -> None:
    for category in (Category.ENVIRONMENT, Category.HARNESS, Category.TERRAFORM_CONFIG,
                     Category.EMULATOR_UNAVAILABLE, Category.PROVIDER_CRASH):  # fmt: skip
        failure = Failure(category, "as classified", "m")
        assert name_by_trace(failure, APPLY, "apply") == failure
    unknown = [_row("sqs", "", "apply", 0, status=500)]  # no operation to name
    failure = Failure(Category.EMULATOR_ERROR, "as classified", "m")
    assert name_by_trace(failure, unknown, "apply") == failure


TESTS = [
    _row("sqs", "CreateQueue", "apply", 0),
    _row("sqs", "GetQueueAttributes", "test", 1, test="test_attributes"),
    _row("sqs", "SendMessage", "test", 2, test="test_dlq_redrive"),
    _row("sqs", "ReceiveMessage", "test", 3, last=6, test="test_dlq_redrive", count=3),
    _row("sqs", "DeleteMessage", "test", 4, test="test_dlq_redrive"),
    _row("sqs", "PurgeQueue", "test", 7, test="test_other"),
]
ASSERTION = """def test_dlq_redrive(sqs, outputs):
>       assert found, "no message arrived"
E       AssertionError: no message arrived
E       assert []
"""


def test_a_failing_test_names_its_last_call() -> None:
    failure = classify_test_failure(ASSERTION, "tests.test_sqs::test_dlq_redrive")
    assert failure.category is Category.EMULATOR_BEHAVIOUR
    named = name_by_trace(failure, TESTS, "test")
    assert (
        named.signature
        == "sqs.ReceiveMessage: test_dlq_redrive: AssertionError: no message arrived"
    )


def test_a_failing_test_with_a_fault_names_the_fault() -> None:
    rows = [*TESTS, _row("sqs", "SendMessage", "test", 5, status=500, error_code="InternalError",
                         test="test_dlq_redrive")]  # fmt: skip
    failure = classify_test_failure(ASSERTION, "tests.test_sqs::test_dlq_redrive")
    assert name_by_trace(failure, rows, "test").signature == "sqs.SendMessage 500 InternalError"


def test_the_verdict_carries_the_named_signature() -> None:
    counts = JUnitCounts(total=2, passed=1, failed=1)
    counts.failures.append(("tests.test_sqs::test_dlq_redrive", ASSERTION))
    verdict = verdicts.tests_finished(counts, exit_code=1, timed_out=False, emulator_alive=True,
                             has_app=True, trace=TESTS)  # fmt: skip
    assert verdict.category is Category.EMULATOR_BEHAVIOUR
    assert verdict.signature.startswith("sqs.ReceiveMessage: test_dlq_redrive: ")
    untraced = verdicts.tests_finished(counts, exit_code=1, timed_out=False, emulator_alive=True,
                              has_app=True)  # fmt: skip
    assert untraced.signature.startswith("test_dlq_redrive: ")  # as before, without a trace


class _Names:
    """Stands in for botocore's naming: the operation is written in the path."""

    def name(self, call: Call) -> tuple[str, str]:
        service, _, operation = call.target.strip("/").partition("/")
        return service, operation


def _call(index: int, target: str, caller: str = "apply", **extra: Any) -> Call:
    return Call(index=index, method="POST", target=target, host="h", headers={}, body_head=b"",
                caller=caller, test=extra.pop("test", None), **extra)  # fmt: skip


def test_calls_fold_into_rows_with_counts_latency_and_order() -> None:
    calls = [
        _call(0, "/sqs/CreateQueue", seconds=0.5),
        _call(1, "/sqs/GetQueueAttributes", seconds=0.25),
        _call(2, "/sqs/GetQueueAttributes", seconds=0.25),
        _call(3, "/sqs/ReceiveMessage", "test", test="test_a", seconds=1.0),
        _call(4, "/sqs/GetQueueUrl", "test", test="test_a", status=400,
              error_head=b'{"__type":"QueueDoesNotExist"}'),
        _call(5, "/sqs/ReceiveMessage", "test", test="test_a", seconds=1.0),
        _call(6, "/sqs/ReceiveMessage", "test", test="test_b", seconds=1.0),
    ]  # fmt: skip
    rows = aggregate(calls, _Names())  # type: ignore[arg-type]
    assert [(r.operation, r.caller, r.test, r.count, r.first, r.last) for r in rows] == [
        ("CreateQueue", "apply", None, 1, 0, 0),
        ("GetQueueAttributes", "apply", None, 2, 1, 2),
        ("ReceiveMessage", "test", "test_a", 2, 3, 5),
        ("GetQueueUrl", "test", "test_a", 1, 4, 4),
        ("ReceiveMessage", "test", "test_b", 1, 6, 6),
    ]
    assert rows[1].seconds == 0.5 and rows[3].error_code == "QueueDoesNotExist"
    assert rows[3].status == 400
