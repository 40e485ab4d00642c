"""The verdict table, proven on deliberately broken architectures of our own, deployed with
real Terraform to a real LocalStack process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lsqm.config import Settings
from lsqm.emulator.host import HostLocalStack
from lsqm.errors import EmulatorUnavailable
from lsqm.ingest import add_local
from lsqm.store import ArtifactStore
from lsqm.toolchain.localstack_install import LocalStackInstall
from lsqm.toolchain.terraform_install import TerraformToolchain
from lsqm.validation.run import execute, plan_run

from ..conftest import ARCHS

pytestmark = pytest.mark.e2e


def _add(store: ArtifactStore, *names: str) -> list[str]:
    return [add_local(store, ARCHS / n, ARCHS / n / "tests", n) for n in names]


def _validate(
    settings: Settings, store: ArtifactStore, hashes: list[str], toolchain: TerraformToolchain
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    plan = plan_run(store, run_id=None, arch=hashes, shard=None)
    seen: list[str] = []
    run = execute(
        settings, store, plan, on_result=lambda r: seen.append(r.arch_hash), toolchain=toolchain
    )
    results = store.results(plan.run_id)
    assert sorted(seen) == sorted(hashes) == sorted(results)
    # Checked as stored: the JSON files are the contract every reader relies on.
    return run.to_json(), {r.name: r.to_json() for r in results.values()}


def test_verdict_table(e2e_settings: Settings, toolchain: TerraformToolchain) -> None:
    store = ArtifactStore(e2e_settings.artifacts_dir)
    names = [
        "sqs_ok", "wrong_assertion", "empty_tests", "invalid_hcl", "cognito", "lambda_host",
        "client_error",
    ]  # fmt: skip
    run, by_name = _validate(e2e_settings, store, _add(store, *names), toolchain)

    ok = by_name["sqs_ok"]
    assert ok["status"] == "PASSED" and ok["category"] is None
    assert ok["tests"] == {"total": 3, "passed": 3, "failed": 0, "errors": 0, "skipped": 0}
    assert all(ok["stages"][s]["ok"] for s in ("init", "apply", "plan", "test", "destroy"))
    assert ok["drift"] is False
    assert ok["provider"]["process"] == "shared"  # one provider process for all its commands

    wrong = by_name["wrong_assertion"]
    assert (wrong["status"], wrong["category"]) == ("PARTIAL", "emulator_behaviour")
    assert wrong["tests"]["passed"] == 1 and wrong["tests"]["failed"] == 1
    assert "999" in wrong["message"]
    # Per-test results, with the failure's text, for the report's architecture page.
    cases = {c["name"].rsplit("::", 1)[-1]: c for c in wrong["test_cases"]}
    assert cases["test_send_and_receive"]["outcome"] == "passed"
    assert "999" in cases["test_visibility_timeout_wrong_expectation"]["message"]
    # The emulator's own log lines of this architecture's window are kept beside its logs.
    emulator_log = store.logs_dir(wrong["run_id"], wrong["arch_hash"]) / "emulator.log"
    assert "sqs.CreateQueue" in emulator_log.read_text()

    client = by_name["client_error"]  # failures in the test's own client: never the emulator's
    assert (client["status"], client["category"]) == ("PARTIAL", "harness")
    assert client["signature"].startswith("test client:")

    empty = by_name["empty_tests"]
    assert (empty["status"], empty["category"]) == ("ERROR", "no_tests")
    assert empty["stages"]["apply"]["ok"] is True  # it deployed; still never PASSED

    bad_hcl = by_name["invalid_hcl"]
    assert (bad_hcl["status"], bad_hcl["category"]) == ("ERROR", "terraform_config")
    assert bad_hcl["stages"]["init"]["ok"] is False
    assert bad_hcl["stages"]["apply"].get("skipped") is True

    cognito = by_name["cognito"]
    assert (cognito["status"], cognito["category"]) == ("FAILED", "emulator_unsupported")
    # Named from the emulator's side: the call the trace shows it could not serve.
    assert cognito["signature"] == "cognito-idp.CreateUserPool 501 InternalFailure"

    lam = by_name["lambda_host"]
    assert lam["status"] == "ERROR" and lam["category"] == "environment"
    assert "lambda" in lam["signature"].lower() and "docker" in lam["signature"].lower()

    # run.json says what ran where.
    assert run["status"] == "complete"
    assert run["summary"] == {
        "PASSED": 1,
        "PARTIAL": 2,
        "FAILED": 1,
        "TIMEOUT": 0,
        "ERROR": 3,
        "total": 7,
    }
    assert run["emulator"]["runtime"] == "host" and run["emulator"]["version"] == "2026.3.0"
    assert any("dynamodb served by moto" in n for n in run["emulator"]["notes"])
    assert run["terraform"]["version"] and run["terraform"]["providers"]["hashicorp/aws"]

    # Logs and results carry no secret from lsqm's own environment.
    text = "".join(p.read_text(errors="replace") for p in store.root.rglob("*") if p.is_file())
    for secret in ("ghp_AAAA", "sk-ant-BBBB", "hooks.slack.com"):
        assert secret not in text


def test_emulator_killed_mid_run_is_error_and_run_continues(
    e2e_settings: Settings, toolchain: TerraformToolchain
) -> None:
    store = ArtifactStore(e2e_settings.artifacts_dir)
    hashes = _add(store, "kill_emulator", "sqs_ok")
    # The fixture's test finds the emulator among the host's processes to kill it, which the
    # sandbox (a process namespace of the test's own) rightly hides.
    e2e_settings.sandbox = "off"
    run, by_name = _validate(e2e_settings, store, hashes, toolchain)
    killed = by_name["kill_emulator"]
    assert killed["status"] == "ERROR" and killed["category"] == "emulator_unavailable"
    assert by_name["sqs_ok"]["status"] == "PASSED"  # on the restarted emulator
    assert run["emulator_restarts"] >= 1


def test_two_workers_each_with_an_emulator(
    e2e_settings: Settings, toolchain: TerraformToolchain, tmp_path: Path
) -> None:
    store = ArtifactStore(e2e_settings.artifacts_dir)
    other = tmp_path / "sqs_ok_copy"
    text = (ARCHS / "sqs_ok" / "main.tf").read_text().replace("fixture-ok", "fixture-ok2")
    other.mkdir()
    (other / "main.tf").write_text(text)
    hashes = [*_add(store, "sqs_ok"), add_local(store, other, ARCHS / "sqs_ok" / "tests")]
    e2e_settings.parallel = 2
    run, by_name = _validate(e2e_settings, store, hashes, toolchain)
    assert {r["status"] for r in by_name.values()} == {"PASSED"}
    assert run["settings"]["parallel"] == 2


def test_external_runtime_uses_the_given_endpoint(
    e2e_settings: Settings, toolchain: TerraformToolchain, localstack: LocalStackInstall
) -> None:
    emulator = HostLocalStack(localstack)
    emulator.start()
    try:
        store = ArtifactStore(e2e_settings.artifacts_dir)
        e2e_settings.runtime = "external"
        e2e_settings.endpoint = emulator.endpoint
        run, by_name = _validate(e2e_settings, store, _add(store, "sqs_ok"), toolchain)
        assert by_name["sqs_ok"]["status"] == "PASSED"
        assert run["emulator"]["runtime"] == "external"
        assert emulator.alive()  # lsqm does not stop an emulator it does not own
    finally:
        emulator.stop()


def test_result_files_are_complete_json(
    e2e_settings: Settings, toolchain: TerraformToolchain
) -> None:
    store = ArtifactStore(e2e_settings.artifacts_dir)
    _run, by_name = _validate(e2e_settings, store, _add(store, "empty_tests"), toolchain)
    result = by_name["empty_tests"]
    path = store.run_dir(result["run_id"]) / "results" / f"{result['arch_hash']}.json"
    on_disk = json.loads(path.read_text())
    for key in (
        "arch_hash",
        "status",
        "category",
        "signature",
        "message",
        "tests",
        "stages",
        "started_at",
        "duration_s",
    ):
        assert key in on_disk
    assert set(on_disk["stages"]) == {"init", "apply", "plan", "test", "destroy"}


def test_unmet_provider_constraint_is_environment_and_relaxing_is_recorded(
    e2e_settings: Settings, toolchain: TerraformToolchain
) -> None:
    store = ArtifactStore(e2e_settings.artifacts_dir)
    hashes = _add(store, "needs_aws5")
    _run, by_name = _validate(e2e_settings, store, hashes, toolchain)
    strict = by_name["needs_aws5"]
    assert (strict["status"], strict["category"]) == ("ERROR", "environment")
    assert "~> 5.0" in strict["signature"]
    assert "hashicorp/aws 3.39.0" in strict["message"]  # what is available
    assert "relax_provider_constraints" in strict["message"]  # how to try anyway

    e2e_settings.relax_provider_constraints = True
    _run, by_name = _validate(e2e_settings, store, hashes, toolchain)
    relaxed = by_name["needs_aws5"]
    assert relaxed["status"] == "PASSED"
    assert relaxed["relaxed_constraints"] is True
    assert any("relaxed" in note for note in relaxed["workspace_notes"])


def test_aliased_providers_and_providers_in_local_modules_reach_the_emulator(
    e2e_settings: Settings, toolchain: TerraformToolchain
) -> None:
    store = ArtifactStore(e2e_settings.artifacts_dir)
    _run, by_name = _validate(e2e_settings, store, _add(store, "local_module"), toolchain)
    result = by_name["local_module"]
    assert result["status"] == "PASSED", result["message"]
    assert result["tests"]["passed"] == 2
    # One process would hold one configured client for all three configurations.
    assert result["provider"]["process"] == "per-command (3 AWS provider configurations)"


def test_an_emulator_that_never_answers_is_refused_and_nothing_is_written(
    e2e_settings: Settings, toolchain: TerraformToolchain
) -> None:
    store = ArtifactStore(e2e_settings.artifacts_dir)
    e2e_settings.runtime = "external"
    e2e_settings.endpoint = "http://127.0.0.1:9"  # discard port: nothing listens
    hashes = _add(store, "sqs_ok", "cognito")
    plan = plan_run(store, run_id=None, arch=hashes, shard=None)
    with pytest.raises(EmulatorUnavailable, match="no healthy LocalStack answers at http://127"):
        execute(e2e_settings, store, plan, on_result=lambda _r: None, toolchain=toolchain)
    assert not store.run_dir(plan.run_id).exists()  # no run.json, no ERROR results


@pytest.mark.e2e
def test_rerun_failures_records_a_flaky_verdict_and_keeps_every_attempt(
    e2e_settings: Settings, toolchain: TerraformToolchain
) -> None:
    store = ArtifactStore(e2e_settings.artifacts_dir)
    hashes = _add(store, "flaky_once", "wrong_assertion")
    e2e_settings.rerun_failures = 2
    run, by_name = _validate(e2e_settings, store, hashes, toolchain)
    flaky = by_name["flaky_once"]
    assert (flaky["status"], flaky["flaky"]) == ("PASSED", True)
    assert [a["status"] for a in flaky["attempts"]] == ["PARTIAL"]  # stopped at the pass
    assert "test_passes_from_the_second_attempt" in flaky["attempts"][0]["signature"]
    logs = store.logs_dir(flaky["run_id"], flaky["arch_hash"])
    assert (logs / "attempt-1" / "junit.xml").is_file() and (logs / "junit.xml").is_file()
    steady = by_name["wrong_assertion"]  # fails the same way every time: not flaky
    assert (steady["status"], steady["flaky"]) == ("PARTIAL", False)
    assert [a["status"] for a in steady["attempts"]] == ["PARTIAL", "PARTIAL"]
    assert run["settings"]["rerun_failures"] == 2
