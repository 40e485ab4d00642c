"""The operation trace end to end: real Terraform and real tests through lsqm's recording
proxy to a real emulator (host LocalStack, moto's server, and an external endpoint lsqm does
not own), each result's trace naming the operations and who made them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lsqm.config import Settings
from lsqm.emulator.host import HostLocalStack
from lsqm.ingest import add_local
from lsqm.store import ArtifactStore
from lsqm.toolchain.localstack_install import LocalStackInstall
from lsqm.toolchain.terraform_install import TerraformToolchain
from lsqm.validation.run import execute, plan_run

from ..conftest import ARCHS, REPO

pytestmark = pytest.mark.e2e

EXAMPLES = REPO / "examples"
DLQ_TEST = "test_message_received_more_than_max_receive_count_moves_to_dlq"


def _validate(
    settings: Settings, toolchain: TerraformToolchain, *archs: Path
) -> dict[str, dict[str, Any]]:
    store = ArtifactStore(settings.artifacts_dir)
    hashes = [add_local(store, a, a / "tests", a.name) for a in archs]
    plan = plan_run(store, run_id=None, arch=hashes, shard=None)
    execute(settings, store, plan, on_result=lambda _r: None, toolchain=toolchain)
    # Read as stored: the result files are the contract readers rely on.
    return {r.name: r.to_json() for r in store.results(plan.run_id).values()}


def _calls(result: dict[str, Any]) -> set[tuple[str, str, str | None]]:
    return {(f"{c['service']}.{c['operation']}", c["caller"], c["test"]) for c in result["trace"]}


def _assert_dlq_trace(result: dict[str, Any]) -> None:
    assert result["status"] == "PASSED", result["message"]
    calls = _calls(result)
    assert ("sqs.CreateQueue", "apply", None) in calls
    assert ("sqs.ReceiveMessage", "test", DLQ_TEST) in calls
    assert ("sqs.SendMessage", "test", DLQ_TEST) in calls
    assert ("sqs.DeleteQueue", "destroy", None) in calls
    assert {caller for _op, caller, _t in calls} <= {"apply", "plan", "test", "destroy"}
    assert all(c["status"] == 200 and c["count"] >= 1 for c in result["trace"])
    rows = result["trace"]
    assert [r["first"] for r in rows] == sorted(r["first"] for r in rows)
    receive = next(r for r in rows if r["operation"] == "ReceiveMessage" and r["test"] == DLQ_TEST)
    assert receive["count"] >= 3 and receive["last"] > receive["first"]  # the redrive loop


def test_host_localstack_trace_names_operations_callers_and_the_unsupported_call(
    e2e_settings: Settings, toolchain: TerraformToolchain
) -> None:
    archs = (EXAMPLES / "sqs_dlq", EXAMPLES / "s3_bucket", ARCHS / "cognito")
    traced = _validate(e2e_settings, toolchain, *archs, ARCHS / "pins_aws_exact")
    _assert_dlq_trace(traced["sqs_dlq"])

    pinned = traced["pins_aws_exact"]  # offline: the environment lacks it, not the config
    assert (pinned["status"], pinned["category"]) == ("ERROR", "environment")
    assert pinned["signature"] == (
        "provider version constraint not satisfiable: hashicorp/aws 5.65.0"
    )
    assert "hashicorp/aws 3.39.0" in pinned["message"]  # the version at hand
    assert pinned["trace"] == []  # init calls no AWS API

    s3 = _calls(traced["s3_bucket"])  # REST: method and path matched against botocore's model
    assert ("s3.CreateBucket", "apply", None) in s3
    assert ("s3.PutObject", "test", "test_put_get_list_delete_object_round_trip") in s3
    assert ("s3.ListObjectsV2", "test", "test_put_get_list_delete_object_round_trip") in s3
    versioning = "test_versioning_is_enabled_and_keeps_old_versions"
    assert ("s3.GetBucketVersioning", "test", versioning) in s3
    missing = next(r for r in traced["s3_bucket"]["trace"] if r["error_code"] == "NoSuchKey")
    assert (missing["operation"], missing["status"]) == ("GetObject", 404)

    cognito = traced["cognito"]  # not in LocalStack's core: its signature names the call
    assert (cognito["status"], cognito["category"]) == ("FAILED", "emulator_unsupported")
    assert cognito["signature"] == "cognito-idp.CreateUserPool 501 InternalFailure"

    # The proxy changes nothing the verdict rests on: the same run without it agrees.
    e2e_settings.trace = False
    e2e_settings.artifacts_dir = e2e_settings.artifacts_dir.with_name("untraced")
    untraced = _validate(e2e_settings, toolchain, *archs)
    for name, result in untraced.items():
        assert result["trace"] == []
        assert (result["status"], result["category"], result["tests"]) == (
            traced[name]["status"], traced[name]["category"], traced[name]["tests"],
        )  # fmt: skip
    assert untraced["sqs_dlq"]["signature"] == traced["sqs_dlq"]["signature"] == ""
    assert untraced["cognito"]["signature"].startswith("aws_cognito_user_pool:")


def test_moto_trace(e2e_settings: Settings, toolchain: TerraformToolchain) -> None:
    e2e_settings.emulator = "moto"
    _assert_dlq_trace(_validate(e2e_settings, toolchain, EXAMPLES / "sqs_dlq")["sqs_dlq"])


def test_external_endpoint_trace(
    e2e_settings: Settings, toolchain: TerraformToolchain, localstack: LocalStackInstall
) -> None:
    emulator = HostLocalStack(localstack)
    emulator.start()
    try:
        e2e_settings.runtime = "external"
        e2e_settings.endpoint = emulator.endpoint
        _assert_dlq_trace(_validate(e2e_settings, toolchain, EXAMPLES / "sqs_dlq")["sqs_dlq"])
        assert emulator.alive()
    finally:
        emulator.stop()
