"""Generated checks never blame the emulator for correct behaviour: fixture architectures
that once made a rules-generated test fail although LocalStack answered as AWS would go
through ``lsqm validate``'s pipeline (real Terraform, a real LocalStack process, the
generated tests) in one run, and every one of them must come out PASSED.

Each fixture reproduces one defect class: an outcome the check invented (a Choice that
falls through to Fail, a Task whose result nobody can know), or a client that misbehaves
against an endpoint override (StartSyncExecution's ``sync-`` host prefix).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lsqm.config import Settings
from lsqm.generation.rules.generator import RulesGenerator
from lsqm.generation.run import generate_apps
from lsqm.records import ArchitectureRecord
from lsqm.store import ArtifactStore
from lsqm.toolchain.localstack_install import LocalStackInstall
from lsqm.toolchain.terraform_install import TerraformToolchain
from lsqm.validation.run import execute, plan_run

pytestmark = pytest.mark.e2e

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
HONEST = (
    "sfn_choice",
    "sfn_express",
    "deliveries",
    "events_disabled_rule",
    "apigateway_backends",
    "configured_values",
)


@dataclass
class Validated:
    result: dict[str, Any]
    outcomes: dict[str, str]  # test name -> passed / failure / error / skipped

    def explain(self) -> str:
        return f"{self.result['status']}: {self.result['message']}; {self.outcomes}"


def _outcomes(junit: Path) -> dict[str, str]:
    out = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        kinds = {child.tag for child in case}
        out[case.get("name", "")] = next(
            (k for k in ("failure", "error", "skipped") if k in kinds), "passed"
        )
    return out


@pytest.fixture(scope="module")
def validated(
    cache_dir: Path,
    toolchain: TerraformToolchain,
    localstack: LocalStackInstall,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, Validated]]:
    """One validate run over every fixture (two workers), as ``lsqm validate`` runs it."""
    tmp = tmp_path_factory.mktemp("honest")
    settings = Settings(
        artifacts_dir=tmp / "artifacts", cache_dir=cache_dir, runtime="host", timeout=600,
        parallel=2,
    )  # fmt: skip
    store = ArtifactStore(settings.artifacts_dir)
    hashes = {
        name: store.add_architecture(FIXTURES / name, ArchitectureRecord(name=name))
        for name in HONEST
    }
    generated = generate_apps(store, RulesGenerator(), list(hashes.values()))
    assert [o.status for o in generated] == ["generated"] * len(hashes)
    plan = plan_run(store, run_id=None, arch=list(hashes.values()), shard=None)
    execute(settings, store, plan, on_result=lambda _r: None, toolchain=toolchain)
    results = store.results(plan.run_id)
    yield {
        name: Validated(
            results[h].to_json(), _outcomes(store.logs_dir(plan.run_id, h) / "junit.xml")
        )
        for name, h in hashes.items()
    }


def test_step_functions_outcomes_follow_the_definition(
    validated: dict[str, Validated],
) -> None:
    """The router reaches Succeed for an input built from its Choice rules; the machine
    that always fails is expected to fail with its error; the Task's outcome is unknown."""
    run = validated["sfn_choice"]
    assert run.result["status"] == "PASSED", run.explain()
    for machine in ("router", "refuses", "calls_lambda"):
        name = f"test_sfn_state_machine_{machine}_execution_as_defined"
        assert run.outcomes[name] == "passed", run.explain()


def test_express_machines_run_synchronously_through_the_endpoint(
    validated: dict[str, Validated],
) -> None:
    run = validated["sfn_express"]
    assert run.result["status"] == "PASSED", run.explain()
    for machine in ("shaper", "gate"):
        name = f"test_sfn_state_machine_{machine}_execution_as_defined"
        assert run.outcomes[name] == "passed", run.explain()


def test_deliveries_are_expected_only_where_aws_makes_them(
    validated: dict[str, Validated],
) -> None:
    """A scheduled rule matches no put event; a target passing on the detail still carries
    the marker; a deletion under an encoded prefix is announced; SNS without the queue's
    permission is not expected to deliver."""
    run = validated["deliveries"]
    assert run.result["status"] == "PASSED", run.explain()
    outcomes = run.outcomes
    assert outcomes["test_cloudwatch_event_target_hourly_event_reaches_queue"] == "passed"
    assert outcomes["test_cloudwatch_event_target_orders_event_reaches_queue"] == "passed"
    assert outcomes["test_s3_bucket_notification_removals_reaches_queue"] == "passed"
    assert outcomes["test_sns_topic_subscription_alerts_delivers_to_queue"] == "skipped"


def test_a_disabled_rule_that_still_delivers_is_reported_as_the_emulators(
    validated: dict[str, Validated],
) -> None:
    """AWS matches no event against a disabled rule. LocalStack 2026.3.0 does: its events
    provider (``_process_rules``) never looks at the rule's state. The check expects what
    AWS does, so this is an honest PARTIAL/emulator_behaviour naming that test, and every
    other test of the architecture passes."""
    run = validated["events_disabled_rule"]
    failing = "test_cloudwatch_event_target_paused_event_reaches_queue"
    assert run.result["status"] == "PARTIAL", run.explain()
    assert run.result["category"] == "emulator_behaviour", run.explain()
    assert failing in run.result["signature"], run.explain()
    assert {n for n, o in run.outcomes.items() if o != "passed"} == {failing}, run.explain()


def test_an_api_is_expected_to_answer_as_its_mock_integrations_select(
    validated: dict[str, Validated],
) -> None:
    """MOCK methods answer with the status their template and integration responses
    select; an HTTP proxy to a backend outside the emulator is not asserted."""
    run = validated["apigateway_backends"]
    assert run.result["status"] == "PASSED", run.explain()
    outcomes = run.outcomes
    assert outcomes["test_api_gateway_method_create_answers_through_stage"] == "passed"
    assert outcomes["test_api_gateway_method_retired_answers_through_stage"] == "passed"
    assert outcomes["test_api_gateway_method_upstream_answers_through_stage"] == "skipped"


def test_what_the_configuration_sets_is_what_is_expected(
    validated: dict[str, Validated],
) -> None:
    """A disabled key refuses to encrypt (by its id and by its alias); a role is assumed
    only where its trust policy admits the caller (with the external id it asks for); an
    anomaly band alarm has no metric name or static threshold to compare; a file upload is
    compared by its ETag, its computed content type with what Terraform recorded; an item
    as DynamoDB keeps it; puts carry the encryption the bucket policy demands."""
    run = validated["configured_values"]
    assert run.result["status"] == "PASSED", run.explain()
    assert run.outcomes["test_iam_role_ec2_can_be_assumed"] == "skipped"
    for name in (
        "kms_key_retired_encrypts_and_decrypts",
        "kms_alias_retired_encrypts_and_decrypts",
        "iam_role_operator_can_be_assumed",
        "cloudwatch_metric_alarm_band_as_configured",
        "s3_bucket_object_index_content_as_uploaded",
        "dynamodb_table_item_first_readable_by_key",
        "s3_bucket_vault_stores_put_get_list_delete",
    ):
        assert run.outcomes[f"test_{name}"] == "passed", run.explain()
