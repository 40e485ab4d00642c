"""``lsqm coverage`` on a store with two LocalStack versions (two runs of one command, one
``group``) written through the store's writers, checked exactly as JSON and CSV; the one
decision of which operation a result fails at; stores without traces."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lsqm.cli import main
from lsqm.records import (
    Category,
    ResultRow,
    RunIndex,
    Status,
    call_flags,
    called_by_tests,
    calls_of,
    failed_operation,
)
from lsqm.reporting.coverage import load_coverage

from .conftest import build_two_runs
from .traces import CREATE_API_501, T0, T1, T2, build_traced, call, ordered, queue_trace

V1, V2 = "localstack 4.14.0", "localstack 2026.3.0"


def run_cli(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["--artifacts", str(root), "coverage", *args])
    return code, capsys.readouterr().out


def cell(
    calling: int,
    terraform: int,
    tests: int,
    passing: int,
    failing: tuple[int, int] = (0, 0),  # (terraform, tests)
    unsupported: int = 0,
    errors: int = 0,
    score: str = "correct",
) -> dict[str, object]:
    return {
        "calling": calling,
        "terraform": terraform,
        "tests": tests,
        "passing": passing,
        "failing_at": sum(failing),
        "failing_at_terraform": failing[0],
        "failing_at_tests": failing[1],
        "unsupported": unsupported,
        "errors": errors,
        "score": score,
    }


def op(name: str, blocks: int, calling: int, **cells: dict[str, object]) -> dict[str, object]:
    by_label = {V1: cells["v1"]} if "v1" in cells else {}
    if "v2" in cells:
        by_label[V2] = cells["v2"]
    return {
        "operation": name,
        "service": name.split(".")[0],
        "blocks": blocks,
        "calling": calling,
        "cells": by_label,
    }


# R1 (4.14.0): queue fails at sqs.ReceiveMessage in its tests, api at CreateApi (501), old
# untraced. R2 (2026.3.0): queue and api pass, env is ERROR/environment with a 500 from
# lambda.CreateFunction (not a failure *at* it: its verdict blames the environment).
EXPECTED = {
    "targets": [
        {
            "label": V1,
            "kind": "localstack",
            "version": "4.14.0",
            "run_id": T1,
            "group": "g1",
            "results": 3,
            "traced": 2,
        },
        {
            "label": V2,
            "kind": "localstack",
            "version": "2026.3.0",
            "run_id": T2,
            "group": "g1",
            "results": 4,
            "traced": 3,
        },
    ],
    "scores": {
        V1: {"correct": 5, "wrong": 1, "unsupported": 1, "not_exercised": 4},
        V2: {"correct": 10, "wrong": 1, "unsupported": 0, "not_exercised": 0},
    },
    "operations": [
        op(
            "apigatewayv2.CreateApi",
            1,
            1,
            v1=cell(1, 1, 0, 0, (1, 0), unsupported=1, score="unsupported"),
            v2=cell(1, 1, 0, 1),
        ),
        op(
            "sqs.ReceiveMessage",
            1,
            1,
            v1=cell(1, 0, 1, 0, (0, 1), score="wrong"),
            v2=cell(1, 0, 1, 1),
        ),
        op("sts.GetCallerIdentity", 0, 3, v1=cell(2, 2, 0, 0), v2=cell(3, 3, 0, 2)),
        op("apigatewayv2.DeleteApi", 0, 1, v2=cell(1, 1, 0, 1)),
        op("apigatewayv2.GetApi", 0, 1, v2=cell(1, 1, 0, 1)),
        op("iam.CreateRole", 0, 1, v2=cell(1, 1, 0, 0)),
        op("lambda.CreateFunction", 0, 1, v2=cell(1, 1, 0, 0, errors=1, score="wrong")),
        op("sqs.CreateQueue", 0, 1, v1=cell(1, 1, 0, 0), v2=cell(1, 1, 0, 1)),
        op("sqs.DeleteQueue", 0, 1, v1=cell(1, 1, 0, 0), v2=cell(1, 1, 0, 1)),
        op("sqs.GetQueueAttributes", 0, 1, v1=cell(1, 1, 0, 0), v2=cell(1, 1, 0, 1)),
        op("sqs.SendMessage", 0, 1, v1=cell(1, 0, 1, 0), v2=cell(1, 0, 1, 1)),
    ],
}

EXPECTED_CSV = f"""\
operation,service,target,run_id,score,calling,terraform,tests,passing,failing_at,failing_at_terraform,failing_at_tests,unsupported,errors,blocks
apigatewayv2.CreateApi,apigatewayv2,{V1},{T1},unsupported,1,1,0,0,1,1,0,1,0,1
apigatewayv2.CreateApi,apigatewayv2,{V2},{T2},correct,1,1,0,1,0,0,0,0,0,1
sqs.ReceiveMessage,sqs,{V1},{T1},wrong,1,0,1,0,1,0,1,0,0,1
sqs.ReceiveMessage,sqs,{V2},{T2},correct,1,0,1,1,0,0,0,0,0,1
sts.GetCallerIdentity,sts,{V1},{T1},correct,2,2,0,0,0,0,0,0,0,0
sts.GetCallerIdentity,sts,{V2},{T2},correct,3,3,0,2,0,0,0,0,0,0
apigatewayv2.DeleteApi,apigatewayv2,{V1},{T1},not_exercised,,,,,,,,,,0
apigatewayv2.DeleteApi,apigatewayv2,{V2},{T2},correct,1,1,0,1,0,0,0,0,0,0
apigatewayv2.GetApi,apigatewayv2,{V1},{T1},not_exercised,,,,,,,,,,0
apigatewayv2.GetApi,apigatewayv2,{V2},{T2},correct,1,1,0,1,0,0,0,0,0,0
iam.CreateRole,iam,{V1},{T1},not_exercised,,,,,,,,,,0
iam.CreateRole,iam,{V2},{T2},correct,1,1,0,0,0,0,0,0,0,0
lambda.CreateFunction,lambda,{V1},{T1},not_exercised,,,,,,,,,,0
lambda.CreateFunction,lambda,{V2},{T2},wrong,1,1,0,0,0,0,0,0,1,0
sqs.CreateQueue,sqs,{V1},{T1},correct,1,1,0,0,0,0,0,0,0,0
sqs.CreateQueue,sqs,{V2},{T2},correct,1,1,0,1,0,0,0,0,0,0
sqs.DeleteQueue,sqs,{V1},{T1},correct,1,1,0,0,0,0,0,0,0,0
sqs.DeleteQueue,sqs,{V2},{T2},correct,1,1,0,1,0,0,0,0,0,0
sqs.GetQueueAttributes,sqs,{V1},{T1},correct,1,1,0,0,0,0,0,0,0,0
sqs.GetQueueAttributes,sqs,{V2},{T2},correct,1,1,0,1,0,0,0,0,0,0
sqs.SendMessage,sqs,{V1},{T1},correct,1,0,1,0,0,0,0,0,0,0
sqs.SendMessage,sqs,{V2},{T2},correct,1,0,1,1,0,0,0,0,0,0
"""


def test_coverage_of_two_versions_as_json_and_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = build_traced(tmp_path / "store").store.root
    code, out = run_cli(root, capsys, "--format", "json")
    assert code == 0
    assert json.loads(out) == EXPECTED
    code, out = run_cli(root, capsys, "--format", "csv")
    assert code == 0
    assert out == EXPECTED_CSV


def test_coverage_text_and_markdown_name_both_versions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = build_traced(tmp_path / "store").store.root
    code, out = run_cli(root, capsys)
    assert code == 0
    assert V1 in out and V2 in out and "apigatewayv2.CreateApi" in out
    code, out = run_cli(root, capsys, "--format", "markdown")
    assert code == 0
    assert f"| {V1} | `{T1}` | 2/3 | 5 | 1 | 1 | 4 |" in out
    assert f"| {V2} | `{T2}` | 3/4 | 10 | 1 | 0 | 0 |" in out
    first = next(line for line in out.splitlines() if line.startswith("| `"))
    assert first.startswith("| `apigatewayv2.CreateApi` | 1 | unsupported: 1 (tf 1, tests 0)")


def test_one_run_and_the_older_run_of_a_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The default takes each version's latest run; ``--run`` takes the one named (by prefix),
    and an operation no other target called is never "not exercised"."""
    root = build_traced(tmp_path / "store").store.root
    code, out = run_cli(root, capsys, "--run", T0[:10], "--format", "json")
    data = json.loads(out)
    assert code == 0
    assert [t["run_id"] for t in data["targets"]] == [T0]
    assert data["scores"] == {V1: {"correct": 6, "wrong": 0, "unsupported": 0, "not_exercised": 0}}
    code, out = run_cli(root, capsys, "--run", "2099")
    assert code == 2


def test_a_store_without_traces_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = build_two_runs(tmp_path / "store").store.root
    code, out = run_cli(root, capsys)
    assert code == 0
    assert "no trace recorded" in out
    code, out = run_cli(root, capsys, "--format", "markdown")
    assert "no trace recorded in 20261102T040000Z-aaaaaa, 20261109T040000Z-bbbbbb" in out
    data = json.loads(run_cli(root, capsys, "--format", "json")[1])
    assert data["operations"] == []
    assert [(t["results"], t["traced"]) for t in data["targets"]] == [(9, 0), (9, 0)]


def test_an_index_written_before_traces_still_reads(tmp_path: Path) -> None:
    """An index of format 1 written before traces (no ``calls`` in its rows, no
    ``calls.json`` beside it): read as "no trace recorded", not as no calls."""
    store = build_traced(tmp_path / "store").store
    path = store.run_dir(T2) / "index.json"
    data = json.loads(path.read_text())
    data["version"] = 1
    for row in data["results"].values():
        row.pop("fails_at")
    path.write_text(json.dumps(data))
    (store.run_dir(T2) / "calls.json").unlink()
    assert RunIndex.model_validate(data).results  # still a valid index
    coverage = load_coverage(store, T2)
    assert coverage.targets[0].traced == 0 and coverage.operations == []


# -- where a result fails ---------------------------------------------------------------------
BLAMED = Category.EMULATOR_ERROR


@pytest.mark.parametrize(
    ("status", "category", "signature", "expected"),
    [
        (
            Status.FAILED,
            BLAMED,
            "apigatewayv2.CreateApi 501 InternalFailure",
            "apigatewayv2.CreateApi",
        ),
        (
            Status.PARTIAL,
            Category.EMULATOR_BEHAVIOUR,
            "sqs.ReceiveMessage: test_dlq_redrive: no message arrived",
            "sqs.ReceiveMessage",
        ),
        (Status.FAILED, BLAMED, "cognito-idp.CreateUserPool 500 x", "cognito-idp.CreateUserPool"),
        # an old signature: the trace's first 5xx call, in the order calls first appeared
        (Status.FAILED, BLAMED, "aws_s3_bucket:500: InternalError", "s3.CreateBucket"),
        # nothing about the emulator: no operation is blamed, whatever the signature says
        (Status.ERROR, Category.ENVIRONMENT, "lambda.CreateFunction 500 x", None),
        (Status.ERROR, Category.TERRAFORM_CONFIG, "aws_s3_bucket:500: x", None),
        (Status.PASSED, None, "", None),
        # "s3.amazonaws.com" is no operation
        (Status.FAILED, BLAMED, "s3.amazonaws.com: connection reset", "s3.CreateBucket"),
    ],
)
def test_failed_operation(
    status: Status, category: Category | None, signature: str, expected: str | None
) -> None:
    trace = ordered(
        call("sts", "GetCallerIdentity", "init"),
        call("s3", "PutBucketTagging", "apply", 500, "InternalError"),
        call("s3", "CreateBucket", "apply", 500, "InternalError"),
    )
    trace[1].first, trace[2].first = 5, 3  # CreateBucket first went out before the tagging
    assert failed_operation(status, category, signature, trace) == expected


def test_failed_operation_without_a_named_call_or_a_5xx() -> None:
    trace = ordered(call("s3", "CreateBucket", "apply", 400, "BucketAlreadyExists"))
    assert failed_operation(Status.FAILED, BLAMED, "aws_s3_bucket:400: x", trace) is None
    assert failed_operation(Status.FAILED, BLAMED, "aws_s3_bucket:500: x", []) is None


def test_a_trace_in_brief() -> None:
    trace = ordered(
        *queue_trace(received=True),
        call("sqs", "SendMessage", "other"),
        call("sqs", "ReceiveMessage", "test", 501, "InternalFailure"),
        call("kinesis", "CreateStream", "apply", 400, "NotImplemented"),
        call("sqs", "", "apply", 500),  # an unknown operation is left out
    )
    assert call_flags(trace) == {
        "sts.GetCallerIdentity": "f",
        "sqs.CreateQueue": "f",
        "sqs.GetQueueAttributes": "f",
        "sqs.SendMessage": "to",
        "sqs.ReceiveMessage": "tu",
        "sqs.DeleteQueue": "f",
        "kinesis.CreateStream": "fu",
    }
    assert list(call_flags(trace))[:2] == ["sts.GetCallerIdentity", "sqs.CreateQueue"]


def test_a_run_keeps_each_trace_in_brief_beside_its_index(tmp_path: Path) -> None:
    store = build_traced(tmp_path / "store").store
    h = {r.name: r for r in store.results(T1).values()}
    names = {arch_hash: r.name for arch_hash, r in store.results(T1).items()}
    rows = {row.name: row for row in store.run_index(T1).results.values()}
    calls = {names[arch_hash]: c for arch_hash, c in store.run_calls(T1).results.items()}
    assert rows["api"].fails_at == "apigatewayv2.CreateApi" == h["api"].fails_at
    assert rows["api"].signature == CREATE_API_501
    assert calls["api"] == {"sts.GetCallerIdentity": "f", "apigatewayv2.CreateApi": "fu"}
    assert called_by_tests(calls["queue"]) == {"sqs.SendMessage", "sqs.ReceiveMessage"}
    assert calls["old"] is None and rows["old"].fails_at is None
    assert called_by_tests(calls_of(h["old"])) == set()
    assert "calls" not in ResultRow.of(h["api"]).to_json()


# -- what the tests exercise at run time (status) ---------------------------------------------
def test_status_counts_the_operations_the_tests_called(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The latest run (R2): queue's tests called SendMessage and ReceiveMessage; api's and
    env's tests called nothing; old has no trace."""
    root = build_traced(tmp_path / "store").store.root
    capsys.readouterr()
    assert main(["--artifacts", str(root), "status", "--format", "json"]) == 0
    calls = json.loads(capsys.readouterr().out)["latest_run"]["runtime_calls"]
    assert calls == {
        "recorded": True,
        "results": 4,
        "traced": 3,
        "test_operations": 2,
        "operations": 11,
    }
    assert main(["--artifacts", str(root), "status"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert (
        "at run time    the tests called 2 operations of 3/4 traced results "
        "(11 with terraform's)" in lines
    )


def test_status_without_traces(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = build_two_runs(tmp_path / "store").store.root
    capsys.readouterr()
    assert main(["--artifacts", str(root), "status", "--format", "json"]) == 0
    calls = json.loads(capsys.readouterr().out)["latest_run"]["runtime_calls"]
    assert calls == {"recorded": False, "note": "no trace recorded", "results": 9, "traced": 0}
    assert main(["--artifacts", str(root), "status"]) == 0
    out = capsys.readouterr().out
    assert "at run time    no trace recorded" in out
