"""How sensitivity judges a fault run and scores it (pure functions over real records)."""

from __future__ import annotations

from pathlib import Path

from lsqm.records import Category, Result, StageRecord, Status, TraceCall
from lsqm.trace.faults import catalogue
from lsqm.trace.inject import FaultInjector
from lsqm.trace.names import OperationNames
from lsqm.validation.sensitivity import (
    CAUGHT,
    NOT_APPLICABLE,
    SURVIVED,
    ArchSensitivity,
    called_by_tests,
    fault_folder,
    judge,
    summary,
    tally,
)

FAULT = next(f for f in catalogue() if f.id == "events.DescribeRule:rule_disabled")


def _injector(injected: int) -> FaultInjector:
    injector = FaultInjector(FAULT, OperationNames(Path("/nonexistent")))
    injector.injected = injected
    return injector


def _result(status: Status, category: Category | None = None, apply_ok: bool = True) -> Result:
    stages = {"apply": StageRecord(ok=apply_ok), "test": StageRecord(ok=status == Status.PASSED)}
    return Result(arch_hash="a" * 16, status=status, category=category, stages=stages)


def test_outcomes_follow_the_verdict_and_whether_the_fault_was_injected() -> None:
    survived = judge(FAULT, _injector(1), _result(Status.PASSED), 1.0)
    assert survived.outcome == SURVIVED and "enabled" in survived.words
    caught = judge(FAULT, _injector(1), _result(Status.PARTIAL, Category.EMULATOR_BEHAVIOUR), 1.0)
    assert caught.outcome == CAUGHT and not caught.classification_bug and caught.words == ""
    untouched = judge(FAULT, _injector(0), _result(Status.PASSED), 1.0)
    assert untouched.outcome == NOT_APPLICABLE


def test_a_caught_fault_blamed_on_the_configuration_is_a_classification_bug() -> None:
    wrong = judge(FAULT, _injector(1), _result(Status.FAILED, Category.TERRAFORM_CONFIG), 1.0)
    assert wrong.outcome == CAUGHT and wrong.classification_bug
    broken = judge(FAULT, _injector(1), _result(Status.FAILED, apply_ok=False), 1.0)
    assert not broken.terraform_ok
    arch = ArchSensitivity("a" * 16, "x", "rules", {"status": "PASSED"}, faults=[wrong])
    assert summary([arch])["classification_bugs"] == [
        {"arch_hash": "a" * 16, "fault": FAULT.id, "category": "terraform_config"}
    ]


def test_scores_leave_out_what_was_not_applicable_and_group_by_service_and_generator() -> None:
    outcomes = [
        judge(FAULT, _injector(1), _result(Status.PASSED), 1.0),
        judge(FAULT, _injector(1), _result(Status.FAILED, Category.EMULATOR_ERROR), 1.0),
        judge(FAULT, _injector(0), _result(Status.PASSED), 1.0),
    ]
    score = tally(outcomes)
    assert (score.caught, score.exercised, score.value) == (1, 2, 0.5)
    assert tally([]).value is None
    rules = ArchSensitivity("a" * 16, "x", "rules", {}, faults=outcomes)
    claude = ArchSensitivity("b" * 16, "y", "claude", {}, faults=outcomes[1:2])
    assert rules.by_service()["events"].exercised == 2
    by_generator = summary([rules, claude])["by_generator"]
    assert by_generator["claude"] == {"caught": 1, "exercised": 1, "score": 1.0}
    assert rules.to_json()["surviving"] == [{"id": FAULT.id, "words": FAULT.words}]


def test_the_operations_called_are_the_tests_own() -> None:
    result = _result(Status.PASSED)
    result.trace = [
        TraceCall(service="sqs", operation="CreateQueue", caller="apply"),
        TraceCall(service="sqs", operation="ReceiveMessage", caller="test", test="t"),
    ]
    assert called_by_tests(result) == {("sqs", "ReceiveMessage")}


def test_a_fault_run_on_a_stack_deployed_once_has_no_destroy_yet_and_is_terraform_ok() -> None:
    result = _result(Status.PARTIAL, Category.EMULATOR_BEHAVIOUR)
    result.stages["destroy"] = StageRecord(skipped=True)  # destroyed once, at the end
    assert judge(FAULT, _injector(1), result, 1.0).terraform_ok


def test_fault_logs_get_a_folder_name_without_colons_and_the_stack_log_is_reported() -> None:
    assert fault_folder("sqs.ReceiveMessage:message_lost") == "sqs.ReceiveMessage.message_lost"
    assert fault_folder(".:error_5xx") == "unnamed.error_5xx"  # a call no model names
    assert fault_folder("../x:y/z") == "unnamed._x.y_z"
    arch = ArchSensitivity("a" * 16, "x", "rules", {"status": "PASSED"})
    arch.stack.deploys, arch.stack.drifted_after = 2, [FAULT.id]
    stack = arch.to_json()["stack"]
    assert stack["deploys"] == 2 and stack["drifted_after"] == [FAULT.id]
    assert stack["repeatable"] is None and stack["touched"] == {}


def test_an_armed_fault_that_keeps_the_request_answers_it_and_counts_who_got_it(
    cache_dir: Path,
) -> None:
    """The runner's wrapper passes ``instead`` on: a Publish swallowed at the proxy is an
    injected fault for the tests' caller, never for terraform's."""
    from lsqm.trace.proxy import Call
    from lsqm.validation.sensitivity import _Armed

    swallow = next(f for f in catalogue() if f.id == "sns.Publish:published_nowhere")
    armed = _Armed(FaultInjector(swallow, OperationNames(cache_dir / "trace")))
    auth = "AWS4-HMAC-SHA256 Credential=t/20260101/us-east-1/sns/aws4_request, Signature=x"

    def publish(caller: str) -> Call:
        return Call(index=0, method="POST", target="/", host="127.0.0.1:4566",
                    headers={"authorization": auth}, caller=caller, test=None,
                    body_head=b"Action=Publish&TopicArn=arn&Message=m")  # fmt: skip

    assert armed.instead(publish("apply")) is None
    made_up = armed.instead(publish("test"))
    assert made_up is not None and b"<MessageId>" in made_up.body
    assert armed.callers == {"test": 1} and armed.injector.injected == 1
