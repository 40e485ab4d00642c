"""How the Step Functions check decides what an execution must do: from the definition.

A state machine whose Choice falls through to a Fail state for an arbitrary input is
expected to fail, not to succeed; the check builds an input from the Choice rules that
reaches success where one exists, and expects only that the execution starts where the
definition does not fix the outcome (a Task calls another service)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.generation.rules.checks_module import lsqm_checks as checks
from tests.generation.rules.checks_module import service

sfn_checks = service("stepfunctions")

ROUTER = {
    "StartAt": "Annotate",
    "States": {
        "Annotate": {"Type": "Pass", "Result": {"source": "lsqm"}, "ResultPath": "$.meta",
                     "Next": "Route"},
        "Route": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.order.kind", "StringEquals": "express", "Next": "Ship"},
                {"And": [{"Variable": "$.order.total", "IsNumeric": True},
                         {"Variable": "$.order.total", "NumericGreaterThanEquals": 100}],
                 "Next": "Review"},
            ],
            "Default": "Reject",
        },
        "Ship": {"Type": "Pass",
                 "Parameters": {"kind.$": "$.order.kind", "source.$": "$.meta.source",
                                "status": "shipped"},
                 "End": True},
        "Review": {"Type": "Succeed"},
        "Reject": {"Type": "Fail", "Error": "OrderRejected", "Cause": "no route"},
    },
}  # fmt: skip


def plan(definition: dict[str, Any]) -> Any:
    return checks.sfn_plan(json.dumps(definition))


def test_an_input_from_the_choice_rules_reaches_success_where_an_arbitrary_one_fails() -> None:
    """The defect: the sample input (every path the definition reads, set to "lsqm") falls
    through the Choice to Fail, yet the check expected SUCCEEDED."""
    sample = checks.sample_input(json.dumps(ROUTER))
    assert checks.sfn_simulate(ROUTER, sample).status != "SUCCEEDED"

    chosen = plan(ROUTER)
    assert chosen.run.status == "SUCCEEDED"
    assert chosen.input["order"]["kind"] == "express"
    assert chosen.run.path == ["Annotate", "Route", "Ship"]
    assert chosen.run.output == {"kind": "express", "source": "lsqm", "status": "shipped"}


def test_a_machine_that_cannot_succeed_is_expected_to_fail_as_its_fail_state_says() -> None:
    refuses = {"StartAt": "Check", "States": {
        "Check": {"Type": "Pass", "Next": "Refuse"},
        "Refuse": {"Type": "Fail", "Error": "NotSupported", "Cause": "always"},
    }}  # fmt: skip
    run = plan(refuses).run
    assert (run.status, run.error, run.cause) == ("FAILED", "NotSupported", "always")


def test_a_choice_without_default_and_no_match_fails() -> None:
    machine = {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [
            {"Variable": "$.x", "StringEquals": "a", "Next": "Stop"}]},
        "Stop": {"Type": "Fail", "Error": "Stopped"},
    }}  # fmt: skip
    chosen = plan(machine)
    assert chosen.input == {"x": "lsqm"}
    assert (chosen.run.status, chosen.run.error) == ("FAILED", None)  # the name: not asserted
    assert chosen.run.reason == "no choice of C matched"


def test_a_choice_on_the_context_object_is_not_the_inputs_to_decide() -> None:
    machine = {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Default": "Done", "Choices": [
            {"Variable": "$$.Execution.Id", "IsPresent": True, "Next": "Done"}]},
        "Done": {"Type": "Succeed"},
    }}  # fmt: skip
    assert plan(machine).run.status is None


def test_a_task_makes_the_outcome_unpredictable_unless_a_branch_avoids_it() -> None:
    task = {"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True}}}  # fmt: skip
    run = plan(task).run
    assert run.status is None and "Task state Call" in run.reason

    branching = {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Default": "Call", "Choices": [
            {"Variable": "$.skip", "BooleanEquals": True, "Next": "Done"}]},
        "Call": task["States"]["Call"],
        "Done": {"Type": "Succeed"},
    }}  # fmt: skip
    chosen = plan(branching)
    assert chosen.run.status == "SUCCEEDED" and chosen.input["skip"] is True


def test_the_bundled_pass_example_is_expected_to_output_its_formatted_greeting() -> None:
    greeter = {"StartAt": "AddGreeting", "States": {
        "AddGreeting": {"Type": "Pass", "Result": {"greeting": "hello", "version": 1},
                        "ResultPath": "$.meta", "Next": "Shape"},
        "Shape": {"Type": "Pass", "End": True, "Parameters": {
            "message.$": "States.Format('{}, {}!', $.meta.greeting, $.name)",
            "name.$": "$.name", "version.$": "$.meta.version", "id.$": "$$.Execution.Id",
            "source": "lsqm"}},
    }}  # fmt: skip
    run = plan(greeter).run
    assert run.status == "SUCCEEDED"
    wanted = {"message": "hello, lsqm!", "name": "lsqm", "version": 1, "source": "lsqm"}
    actual = {**wanted, "id": "arn:aws:states:us-east-1:000000000000:execution:m:e"}
    assert checks.conforms(actual, run.output)  # the execution id is not the definition's
    assert not checks.conforms({**actual, "message": "hello, x!"}, run.output)
    assert not checks.conforms(wanted, run.output)  # the id must be there


@pytest.mark.parametrize(
    ("state", "predictable"),
    [
        ({"Type": "Wait", "Seconds": 2, "End": True}, True),
        ({"Type": "Wait", "Seconds": 3600, "End": True}, False),  # longer than a check waits
        ({"Type": "Wait", "SecondsPath": "$.delay", "End": True}, True),  # the input says 0
        ({"Type": "Wait", "Timestamp": "2001-01-01T00:00:00Z", "End": True}, True),
        ({"Type": "Map", "ItemsPath": "$.items", "End": True}, False),
        ({"Type": "Pass", "End": True, "Assign": {"x": 1}}, False),  # variables: not modelled
        ({"Type": "Pass", "End": True, "Parameters": {"n.$": "States.MathAdd($.n, 1)"}}, False),
        ({"Type": "Pass", "End": True, "Parameters": {"n.$": "$.items[*].id"}}, False),
    ],
)
def test_only_what_the_definition_fixes_is_predicted(
    state: dict[str, Any], predictable: bool
) -> None:
    run = plan({"StartAt": "S", "States": {"S": state}}).run
    assert (run.status == "SUCCEEDED") is predictable, run.reason
    assert (run.status is None) is not predictable


def test_jsonata_and_loops_are_unpredictable() -> None:
    jsonata = {"QueryLanguage": "JSONata", "StartAt": "S", "States": {
        "S": {"Type": "Pass", "End": True}}}  # fmt: skip
    assert plan(jsonata).run.status is None
    loop = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "A"}}}
    assert plan(loop).run.status is None


# Every comparison operator: the values built for "true" make the rule true, and for
# "false" make it false.
RULES = [
    {"StringEquals": "a"}, {"StringLessThan": "m"}, {"StringGreaterThan": "m"},
    {"StringLessThanEquals": "m"}, {"StringGreaterThanEquals": "m"},
    {"StringMatches": "log-*.txt"}, {"NumericEquals": 5}, {"NumericLessThan": 5},
    {"NumericGreaterThan": 5.5}, {"NumericLessThanEquals": 5}, {"NumericGreaterThanEquals": 5},
    {"BooleanEquals": False}, {"TimestampEquals": "2024-05-01T10:00:00Z"},
    {"TimestampLessThan": "2024-05-01T10:00:00Z"},
    {"TimestampGreaterThanEquals": "2024-05-01T10:00:00Z"},
    {"IsNull": True}, {"IsPresent": True}, {"IsPresent": False}, {"IsNumeric": True},
    {"IsString": False}, {"IsBoolean": True}, {"IsTimestamp": True},
    {"StringEqualsPath": "$.other"}, {"NumericLessThanPath": "$.other"},
    {"TimestampGreaterThanPath": "$.other"},
    {"Not": {"Variable": "$.v", "StringEquals": "a"}},
    {"And": [{"Variable": "$.v", "IsString": True}, {"Variable": "$.w", "NumericEquals": 1}]},
    {"Or": [{"Variable": "$.v", "IsNull": True}, {"Variable": "$.w", "BooleanEquals": True}]},
]  # fmt: skip


@pytest.mark.parametrize("rule", RULES, ids=lambda r: next(iter(r)))
@pytest.mark.parametrize("want", [True, False])
def test_values_built_for_a_rule_make_it_evaluate_as_wanted(
    rule: dict[str, Any], want: bool
) -> None:
    if not {"And", "Or", "Not"} & set(rule):
        rule = {"Variable": "$.in.v", **rule}
    data = sfn_checks._with_values({}, sfn_checks._values_for(rule, want))
    assert checks.choice_rule_matches(rule, data) is want, data


@pytest.mark.parametrize(
    ("rule", "data"),
    [
        ({"Variable": "$.v", "NumericEquals": 1}, {"v": "1"}),  # a string is not a number
        ({"Variable": "$.v", "BooleanEquals": True}, {"v": 1}),  # 1 is not true
        ({"Variable": "$.v", "StringEquals": "a"}, {}),  # a missing variable fails on AWS
        ({"Variable": "$.v", "TimestampEquals": "2024-05-01T10:00:00Z"}, {"v": "today"}),
        # offsets: LocalStack and a plain reading of RFC 3339 disagree; not guessed
        (
            {"Variable": "$.v", "TimestampEquals": "2024-05-01T10:00:00+02:00"},
            {"v": "2024-05-01T08:00:00Z"},
        ),
    ],
)
def test_what_aws_might_answer_differently_is_never_guessed(
    rule: dict[str, Any], data: dict[str, Any]
) -> None:
    with pytest.raises(checks.Unpredictable):
        checks.choice_rule_matches(rule, data)


def test_string_matches_follows_wildcards_and_escapes() -> None:
    rule = {"Variable": "$.v", "StringMatches": r"a\*b*"}
    assert checks.choice_rule_matches(rule, {"v": "a*bcd"})
    assert not checks.choice_rule_matches(rule, {"v": "axbcd"})


def test_parts_of_a_rule_that_share_a_variable_are_satisfied_together() -> None:
    rule = {"And": [{"Variable": "$.total", "IsNumeric": True},
                    {"Variable": "$.total", "NumericGreaterThanEquals": 100}]}  # fmt: skip
    for want in (True, False):
        data = sfn_checks._with_values({}, sfn_checks._values_for(rule, want))
        assert checks.choice_rule_matches(rule, data) is want, data


def test_a_state_in_jsonata_is_unpredictable_and_an_explicit_jsonpath_is_not() -> None:
    explicit = {"QueryLanguage": "JSONPath", "StartAt": "S",
                "States": {"S": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": True}}}  # fmt: skip
    assert plan(explicit).run.status == "SUCCEEDED"
    explicit["States"]["S"]["QueryLanguage"] = "JSONata"
    assert plan(explicit).run.status is None
