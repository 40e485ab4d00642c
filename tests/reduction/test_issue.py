"""ISSUE.md from a confirmed reduction: the title names the service and operation the trace
pins the failure to, the steps name a stock LocalStack and the endpoints, actual vs expected."""

from __future__ import annotations

from pathlib import Path

from lsqm.records import Category, Result, Status, TestCase, TraceCall
from lsqm.reduction.hcl_edit import Config
from lsqm.reduction.issue import culprit, issue_markdown
from lsqm.reduction.pytests import AppTests
from lsqm.reduction.search import Candidate
from lsqm.reduction.session import Reduction
from lsqm.store import ArtifactStore
from lsqm.validation.bisect import (
    Bisection,
    BisectWorkspace,
    VersionVerdict,
    bisect,
    first_bad_version,
)

MAIN = 'provider "aws" {\n  region = "us-east-1"\n}\n\nresource "aws_cognito_user_pool" "u" {\n  name = "u"\n}\n'
FACTS = {"emulator": "localstack", "version": "2026.3.0", "name": "big", "run_id": "R1",
         "confirmed": True, "first_bad_version": "4.9.0"}  # fmt: skip


def _reduction(signature: str, category: str) -> Reduction:
    return Reduction(
        out_dir="x", resources_before=12, resources_after=1, lines_before=120, lines_after=7,
        probes=9, seconds=80.0, status="FAILED", category=category, signature=signature,
        ending="reduced", message="",
    )  # fmt: skip


def test_an_unsupported_operation() -> None:
    signature = "cognito-idp.CreateUserPool 501 InternalFailure"
    final = Result(
        arch_hash="a", status=Status.FAILED, category=Category.EMULATOR_UNSUPPORTED,
        signature=signature, message="Error: creating Cognito User Pool: 501",
        trace=[
            TraceCall(service="sts", operation="GetCallerIdentity", caller="apply", status=200),
            TraceCall(service="cognito-idp", operation="CreateUserPool", caller="apply",
                      status=501, error_code="InternalFailure", first=1, last=1),
        ],
    )  # fmt: skip
    best = Candidate(Config.parse([MAIN]), AppTests(()))
    text = issue_markdown(_reduction(signature, "emulator_unsupported"), FACTS, final, best,
                          "ERROR: cognito-idp not implemented", "us-east-1")  # fmt: skip
    first = text.splitlines()[0]
    assert first.startswith("# cognito-idp: CreateUserPool is not implemented")
    assert "localstack 2026.3.0 (first bad version: 4.9.0)" in text
    assert 'resource "aws_cognito_user_pool" "u"' in text
    assert 'cognitoidp = "http://localhost:4566"' in text and "terraform init" in text
    assert "`cognito-idp.CreateUserPool` answered 501 InternalFailure" in text
    assert "AWS implements this operation" in text
    assert "ERROR: cognito-idp not implemented" in text  # the log excerpt
    assert "NOT confirmed" not in text


def test_a_test_failure_names_the_tests_last_call_and_its_assertion() -> None:
    final = Result(
        arch_hash="a", status=Status.FAILED, category=Category.EMULATOR_BEHAVIOUR,
        signature="sqs.GetQueueAttributes: test_vis: assert <*> == <*>",
        test_cases=[TestCase(name="test_app.test_vis", outcome="failed",
                             message="assert '45' == '999'")],
        trace=[TraceCall(service="sqs", operation="GetQueueAttributes", caller="test",
                         test="test_vis", status=200, first=3, last=4)],
    )  # fmt: skip
    assert culprit(final) is not None
    tests = AppTests((("test_app.py", "def test_vis():\n    assert 1\n"),))
    best = Candidate(Config.parse([MAIN]), tests)
    text = issue_markdown(_reduction(final.signature, "emulator_behaviour"),
                          {**FACTS, "confirmed": False}, final, best, "", "us-east-1")  # fmt: skip
    assert text.startswith("# sqs: GetQueueAttributes fails")
    assert "`test_app.py::test_vis`" in text and "pytest tests/" in text
    assert "assert '45' == '999'" in text and "What the test asserts holds on AWS" in text
    assert "NOT confirmed" in text


def test_the_first_bad_version_comes_from_the_newest_matching_bisection(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    versions = ["4.7.0", "4.8.0", "4.9.0", "4.10.0", "4.11.0"]

    def probe(version: str, first: str = "4.9.0") -> VersionVerdict:
        if versions.index(version) >= versions.index(first):
            return VersionVerdict("FAILED", "emulator_unsupported", "cognito-idp.X 501")
        return VersionVerdict("PASSED")

    def save(run_id: str, arch: str, emulator: str, found: Bisection) -> None:
        extra = {"arch_hash": arch, "emulator": emulator, "good": "4.7.0", "bad": "4.11.0"}
        BisectWorkspace(tmp_path / "bisect" / run_id, arch).save(found, extra)

    found = bisect(versions, probe)
    assert found.first_changed == "4.9.0"
    assert first_bad_version(store, "a", "localstack", "FAILED", "emulator_unsupported") is None
    save("20261201T000000Z-aaaaaa", "a", "localstack", found)
    save("20261202T000000Z-bbbbbb", "other", "localstack", bisect(versions[:3], probe))
    save("20261203T000000Z-cccccc", "a", "ministack", bisect(versions[:4], probe))
    (tmp_path / "bisect" / "20261204T000000Z-dddddd").mkdir()  # cut short: no bisect.json
    got = first_bad_version(store, "a", "localstack", "FAILED", "emulator_unsupported")
    assert got == "4.9.0"
    # another verdict than the bisection's: it says nothing about this one
    assert first_bad_version(store, "a", "localstack", "FAILED", "emulator_error") is None
    # a newer bisection of a narrower range wins
    again = bisect(["4.7.0", "4.8.0"], lambda v: probe(v, first="4.8.0"))
    save("20261205T000000Z-eeeeee", "a", "localstack", again)
    assert first_bad_version(store, "a", "localstack", "FAILED", "emulator_unsupported") == "4.8.0"
    save("20261206T000000Z-ffffff", "a", "localstack", bisect(versions[2:], probe))
    assert bisect(versions[2:], probe).outcome == "no_change"  # no answer: the older one holds
    assert first_bad_version(store, "a", "localstack", "FAILED", "emulator_unsupported") == "4.8.0"
