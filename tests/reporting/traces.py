"""A store whose results carry operation traces, written through the store's own writers:
three runs on two LocalStack versions, the last two made by one command (one ``group``).

    R0  localstack 4.14.0  (older; coverage's default skips it: R1 is 4.14.0's latest)
        queue   PASSED
    R1  localstack 4.14.0  group g1
        queue   PARTIAL emulator_behaviour  sqs.ReceiveMessage: a test found no message
        api     FAILED emulator_unsupported  apigatewayv2.CreateApi 501 InternalFailure
        old     FAILED emulator_error, no trace (validated before traces)
    R2  localstack 2026.3.0  group g1
        queue   PASSED
        api     PASSED
        env     ERROR environment (its 500 says nothing about the emulator)
        old     PASSED, no trace
"""

from __future__ import annotations

from pathlib import Path

from lsqm.records import (
    Category,
    EmulatorInfo,
    Result,
    Run,
    RunStatus,
    Status,
    TraceCall,
    summarize,
)
from lsqm.store import ArtifactStore

from .histories import PASSED, History, V, failed, make_result

T0 = "20261026T040000Z-000000"
T1 = "20261102T040000Z-aaaaaa"
T2 = "20261109T040000Z-bbbbbb"
GROUP = "g1"

RECEIVE_FAILS = "sqs.ReceiveMessage: test_app::test_two: no message arrived"
CREATE_API_501 = "apigatewayv2.CreateApi 501 InternalFailure"


def call(
    service: str,
    operation: str,
    caller: str,
    status: int = 200,
    error_code: str | None = None,
    test: str | None = None,
    count: int = 1,
) -> TraceCall:
    return TraceCall(
        service=service,
        operation=operation,
        caller=caller,
        test=test,
        status=status,
        error_code=error_code,
        count=count,
        seconds=0.01 * count,
    )


def ordered(*calls: TraceCall) -> list[TraceCall]:
    return [c.model_copy(update={"first": i}) for i, c in enumerate(calls)]


def queue_trace(received: bool) -> list[TraceCall]:
    return ordered(
        call("sts", "GetCallerIdentity", "init"),
        call("sqs", "CreateQueue", "apply"),
        call("sqs", "GetQueueAttributes", "apply", count=3),
        call("sqs", "GetQueueAttributes", "plan"),
        call("sqs", "SendMessage", "test", test="test_app::test_two"),
        call(
            "sqs", "ReceiveMessage", "test", test="test_app::test_two", count=1 if received else 5
        ),
        call("sqs", "DeleteQueue", "destroy"),
    )


def api_trace(supported: bool) -> list[TraceCall]:
    if not supported:
        return ordered(
            call("sts", "GetCallerIdentity", "init"),
            call("apigatewayv2", "CreateApi", "apply", 501, "InternalFailure"),
        )
    return ordered(
        call("sts", "GetCallerIdentity", "init"),
        call("apigatewayv2", "CreateApi", "apply"),
        call("apigatewayv2", "GetApi", "plan"),
        call("apigatewayv2", "DeleteApi", "destroy"),
    )


ENV_TRACE = ordered(
    call("sts", "GetCallerIdentity", "init"),
    call("iam", "CreateRole", "apply"),
    call("lambda", "CreateFunction", "apply", 500, "ServiceException"),
)


def build_traced(root: Path) -> History:
    h = History(ArtifactStore(root))
    h.arch("queue", ("sqs",), ("aws_sqs_queue",))
    h.arch("api", ("apigatewayv2",), ("aws_apigatewayv2_api",))
    h.arch("env", ("lambda", "iam"), ("aws_lambda_function",))
    h.arch("old", ("sns",), ("aws_sns_topic",))
    write_run(h, T0, "4.14.0", None, {"queue": (PASSED, queue_trace(True))})
    write_run(
        h,
        T1,
        "4.14.0",
        GROUP,
        {
            "queue": (failed(Category.EMULATOR_BEHAVIOUR, RECEIVE_FAILS), queue_trace(False)),
            "api": (failed(Category.EMULATOR_UNSUPPORTED, CREATE_API_501), api_trace(False)),
            "old": (failed(Category.EMULATOR_ERROR, "aws_sns_topic:500: boom"), []),
        },
    )
    write_run(
        h,
        T2,
        "2026.3.0",
        GROUP,
        {
            "queue": (PASSED, queue_trace(True)),
            "api": (PASSED, api_trace(True)),
            "env": (
                failed(Category.ENVIRONMENT, "lambda cannot execute without Docker"),
                ENV_TRACE,
            ),
            "old": (PASSED, []),
        },
    )
    return h


def write_run(
    h: History,
    run_id: str,
    version: str,
    group: str | None,
    verdicts: dict[str, tuple[V, list[TraceCall]]],
) -> Run:
    results: list[Result] = []
    for name, (verdict, trace) in verdicts.items():
        result = make_result(run_id, h.hashes[name], name, verdict)
        result = result.model_copy(update={"trace": trace})
        h.store.write_result(result)
        results.append(result)
    run = Run(
        run_id=run_id,
        started_at=f"{run_id[:4]}-{run_id[4:6]}-{run_id[6:8]}T04:00:00Z",
        finished_at=f"{run_id[:4]}-{run_id[4:6]}-{run_id[6:8]}T04:10:00Z",
        status=RunStatus.COMPLETE,
        architectures=sorted(h.hashes[n] for n in verdicts),
        emulator=EmulatorInfo(kind="localstack", runtime="host", version=version),
        summary=summarize(results),
        group=group,
    )
    h.store.write_run(run)
    h.store.write_run_index(run_id)
    return run


__all__ = ["GROUP", "T0", "T1", "T2", "Status", "build_traced", "call", "ordered"]
