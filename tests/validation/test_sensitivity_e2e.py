"""``lsqm sensitivity`` on a real LocalStack with real Terraform: the architecture is
deployed once for the control and every fault; a known fault turns the verdict with an
``emulator_*`` category; terraform's requests never get one (its plan at the end calls the
armed fault's operation and gets the emulator's own answer); each fault run keeps its logs;
and the control run's verdict is the verdict of a plain validate."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lsqm.config import Settings
from lsqm.generation.rules.generator import RulesGenerator
from lsqm.generation.run import generate_apps
from lsqm.records import AppRecord, ArchitectureRecord
from lsqm.store import ArtifactStore
from lsqm.toolchain.terraform_install import TerraformToolchain
from lsqm.validation.run import execute, plan_run
from lsqm.validation.sensitivity import measure

from ..conftest import REPO

pytestmark = pytest.mark.e2e

LOST = "sqs.ReceiveMessage:message_lost"
FAILING = "sqs.GetQueueAttributes:error_5xx"  # terraform calls it too: must not get it


def test_a_known_fault_is_caught_and_blamed_on_the_emulator_terraform_untouched(
    e2e_settings: Settings, toolchain: TerraformToolchain, tmp_path: Path
) -> None:
    example = tmp_path / "sqs_dlq"
    shutil.copytree(REPO / "examples" / "sqs_dlq", example, ignore=shutil.ignore_patterns("tests"))
    store = ArtifactStore(e2e_settings.artifacts_dir)
    arch = store.add_architecture(example, ArchitectureRecord(name="sqs_dlq"))
    generate_apps(store, RulesGenerator(), [arch])

    report = measure(e2e_settings, store, [arch], only=frozenset({LOST, FAILING}))

    (result,) = report["architectures"]
    assert result["control"]["status"] == "PASSED"
    outcomes = {f["id"]: f for f in result["faults"]}
    assert set(outcomes) == {LOST, FAILING}
    for fault in outcomes.values():
        assert fault["outcome"] == "caught", fault
        assert fault["status"] in ("PARTIAL", "FAILED")
        assert fault["category"].startswith("emulator_"), fault
        assert fault["terraform_ok"], fault  # apply and plan succeeded, no answer of theirs changed
        assert fault["clean_after"] == "PASSED"  # the tests pass clean again on the same stack
    stack = result["stack"]
    assert stack["deploys"] == 1 and stack["drifted_after"] == [] and stack["unmeasured"] == []
    # one clean run to show the tests pass twice on one stack, one after each caught fault
    assert stack["repeatable"] is True and stack["clean_runs"] == 3 and stack["final_clean"]
    # The last fault stayed armed while terraform planned again: plan called the operation,
    # got the emulator's answer, and found the stack as configured.
    assert stack["armed_at_replan"] == FAILING and stack["replan"] == "unchanged"
    assert stack["untouched"].get("plan", 0) >= 1, stack
    assert set(stack["touched"]) == {"test"}, stack
    logs = store.logs_dir(report["id"], arch)
    for folder in (logs, logs / "faults" / "sqs.ReceiveMessage.message_lost", logs / "clean" / "2"):
        assert (folder / "pytest.log").is_file() and (folder / "junit.xml").is_file(), folder
    assert (
        "lsqm injected InternalFailure"
        in (logs / "faults" / "sqs.GetQueueAttributes.error_5xx" / "pytest.log").read_text()
    )
    assert report["classification_bugs"] == []
    assert result["score"] == {"caught": 2, "exercised": 2, "score": 1.0}
    assert result["not_exercised"]  # e.g. the DynamoDB faults: sqs_dlq has no table
    assert store.sensitivity_path(report["id"]).is_file()

    # The control run (proxy without injector) agrees with a plain validate.
    plan = plan_run(store, run_id=None, arch=[arch], shard=None)
    execute(e2e_settings, store, plan, on_result=lambda _r: None, toolchain=toolchain)
    plain = store.results(plan.run_id)[arch]
    assert (str(plain.status), plain.category and str(plain.category)) == (
        result["control"]["status"],
        result["control"]["category"],
    )


CONSUMING_TEST = """
import os

import boto3


def test_the_parameter_is_read_then_deleted():
    ssm = boto3.client("ssm", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    assert ssm.get_parameter(Name="lsqm-drift")["Parameter"]["Value"] == "configured"
    ssm.delete_parameter(Name="lsqm-drift")  # a second run on this stack cannot pass
"""
PARAMETER = """
provider "aws" {
  region = "us-east-1"
}

resource "aws_ssm_parameter" "p" {
  name  = "lsqm-drift"
  type  = "String"
  value = "configured"
}
"""
CHANGED = "ssm.GetParameter:value_changed"


def test_tests_that_change_the_stack_get_a_stack_of_their_own_per_fault(
    e2e_settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "consuming"
    folder.mkdir()
    (folder / "main.tf").write_text(PARAMETER)
    store = ArtifactStore(e2e_settings.artifacts_dir)
    arch = store.add_architecture(folder, ArchitectureRecord(name="consuming"))
    store.write_app(
        arch, {"test_consuming.py": CONSUMING_TEST}, AppRecord(generator="hand-written")
    )

    report = measure(e2e_settings, store, [arch], only=frozenset({CHANGED}))

    (result,) = report["architectures"]
    assert result["control"]["status"] == "PASSED"
    stack = result["stack"]
    # The second clean run fails (the parameter is gone): the fault gets a fresh stack, and
    # is caught there, not on the stack the control emptied.
    assert stack["repeatable"] is False and stack["deploys"] == 2, stack
    (fault,) = result["faults"]
    assert fault["outcome"] == "caught" and fault["category"].startswith("emulator_"), fault
    log = store.logs_dir(report["id"], arch) / "faults" / "ssm.GetParameter.value_changed"
    text = (log / "pytest.log").read_text()
    assert "AssertionError" in text and "ParameterNotFound" not in text  # the value, not drift
    assert stack["final_clean"] is None and stack["replan"] == "unchanged"
