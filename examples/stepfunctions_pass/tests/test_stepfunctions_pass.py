"""Tests for the stepfunctions_pass example: definition fidelity and a successful execution."""

import json
import os
import time

import boto3
import pytest


@pytest.fixture(scope="module")
def outputs():
    with open(os.environ["LSQM_TF_OUTPUTS"], encoding="utf-8") as f:
        return {name: item["value"] for name, item in json.load(f).items()}


@pytest.fixture(scope="module")
def sfn():
    return boto3.client("stepfunctions")


def run(sfn, arn, payload, timeout=8):
    execution_arn = sfn.start_execution(stateMachineArn=arn, input=json.dumps(payload))[
        "executionArn"
    ]
    deadline = time.time() + timeout
    while True:
        desc = sfn.describe_execution(executionArn=execution_arn)
        if desc["status"] != "RUNNING" or time.time() > deadline:
            return desc
        time.sleep(0.2)


def test_state_machine_is_active_with_role_and_type(sfn, outputs):
    desc = sfn.describe_state_machine(stateMachineArn=outputs["state_machine_arn"])
    assert desc["name"] == outputs["state_machine_name"]
    assert desc["status"] == "ACTIVE"
    assert desc["type"] == "STANDARD"
    assert desc["roleArn"] == outputs["role_arn"]


def test_definition_has_the_two_pass_states(sfn, outputs):
    desc = sfn.describe_state_machine(stateMachineArn=outputs["state_machine_arn"])
    definition = json.loads(desc["definition"])
    assert definition["StartAt"] == "AddGreeting"
    assert {n: s["Type"] for n, s in definition["States"].items()} == {
        "AddGreeting": "Pass",
        "Shape": "Pass",
    }
    assert definition["States"]["AddGreeting"]["Next"] == "Shape"
    assert definition["States"]["Shape"]["End"] is True


def test_role_trusts_states_service(outputs):
    iam = boto3.client("iam")
    role = iam.get_role(RoleName=outputs["role_arn"].rsplit("/", 1)[-1])["Role"]
    doc = role["AssumeRolePolicyDocument"]
    doc = json.loads(doc) if isinstance(doc, str) else doc
    assert doc["Statement"][0]["Principal"] == {"Service": "states.amazonaws.com"}


def test_execution_succeeds_with_expected_output(sfn, outputs):
    desc = run(sfn, outputs["state_machine_arn"], {"name": "LocalStack"})
    assert desc["status"] == "SUCCEEDED", desc
    assert json.loads(desc["output"]) == {
        "message": "hello, LocalStack!",
        "name": "LocalStack",
        "version": 1,
        "source": "lsqm",
    }


def test_execution_history_visits_both_states_in_order(sfn, outputs):
    desc = run(sfn, outputs["state_machine_arn"], {"name": "history"})
    assert desc["status"] == "SUCCEEDED"
    events = sfn.get_execution_history(executionArn=desc["executionArn"])["events"]
    entered = [
        e["stateEnteredEventDetails"]["name"] for e in events if e["type"] == "PassStateEntered"
    ]
    assert entered == ["AddGreeting", "Shape"]
    assert events[-1]["type"] == "ExecutionSucceeded"


def test_execution_with_missing_input_field_fails(sfn, outputs):
    desc = run(sfn, outputs["state_machine_arn"], {"unexpected": True})
    assert desc["status"] == "FAILED"
