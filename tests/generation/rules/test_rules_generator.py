"""The rules generator on a fixture architecture: what it writes, how it covers each
resource, and that the result is formatted, gated and collectable. No emulator needed:
the runtime half (state lookup) runs the generated tests in a real pytest subprocess."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lsqm.generation.architecture import read_architecture
from lsqm.generation.gate import gate
from lsqm.generation.metrics import measure
from lsqm.generation.rules.generator import RulesGenerator

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="module")
def app():
    arch = read_architecture(FIXTURES / "mixed", "0123456789abcdef", {"name": "mixed"})
    return RulesGenerator().generate(arch)


def test_addresses_follow_local_modules_and_mark_repetition() -> None:
    arch = read_architecture(FIXTURES / "mixed", "h", {})
    by_address = {r.address: r for r in arch.resources}
    assert by_address["module.workers.aws_sqs_queue.this"].repeated is True
    assert by_address["aws_sqs_queue.orders"].repeated is False
    assert arch.remote_modules == ["module.remote (terraform-aws-modules/sqs/aws)"]


def test_files_are_flat_and_grouped_by_service(app) -> None:
    checks = [name for name in app.files if name.startswith("lsqm_checks")]
    assert "lsqm_checks.py" in checks and "lsqm_checks_core.py" in checks
    assert "lsqm_checks_sqs.py" in checks and len(checks) > 10  # one module per service
    assert sorted(set(app.files) - set(checks)) == [
        "conftest.py",
        "test_apigateway.py",
        "test_s3.py",
        "test_sqs.py",
        "test_ssm.py",
    ]


def test_one_test_per_behaviour_named_for_it(app) -> None:
    sqs = app.files["test_sqs.py"]
    assert "def test_sqs_queue_orders_send_receive_delete(state, aws):" in sqs
    assert "def test_sqs_queue_orders_attributes_as_configured(state, aws):" in sqs
    assert 'for queue in state.instances("aws_sqs_queue.orders"):' in sqs
    # the module's queue is repeated by count: zero instances skip rather than fail
    assert 'state.instances("module.workers.aws_sqs_queue.this", repeated=True)' in sqs


def test_declared_values_are_hcl_literals_or_taken_from_state(app) -> None:
    sqs = app.files["test_sqs.py"]
    assert '"visibility_timeout_seconds": 45,' in sqs
    assert '"redrive_policy": FROM_STATE,' in sqs  # jsonencode(...) is computed
    ssm = app.files["test_ssm.py"]
    assert '"value": "debug",' in ssm
    # a URL is data here, yet the gate refuses URLs: it is compared from the state
    assert "api.example.internal" not in ssm
    assert '"value": FROM_STATE,' in ssm
    assert '"enabled": True,' in app.files["test_s3.py"]


def test_coverage_lists_every_resource_with_its_level(app) -> None:
    levels = {c.address: (c.level, c.reason) for c in app.coverage}
    assert levels["aws_sqs_queue.orders"][0] == "behavioural"
    assert levels["aws_s3_bucket.data"][0] == "behavioural"
    assert levels["aws_api_gateway_resource.items"][0] == "existence"
    assert levels["aws_api_gateway_rest_api.api"][0] == "existence"
    assert levels["aws_glacier_vault.cold"] == ("none", "no read API known for this type")
    assert levels["random_pet.suffix"] == ("none", "not an AWS resource")


def test_metrics_count_tests_calls_and_assertions(app) -> None:
    metrics = measure(app.files, app.coverage)
    assert metrics["tests"] == 15  # the queue with a redrive policy: its dead letters too
    assert metrics["resources_total"] == 9  # random_pet is not an AWS resource
    assert metrics["resources_covered"] == 8
    assert metrics["resources_behavioural"] == 6
    assert metrics["api_calls"] > metrics["tests"]
    assert metrics["assertions"] > metrics["tests"]


def test_output_is_deterministic(app) -> None:
    arch = read_architecture(FIXTURES / "mixed", "0123456789abcdef", {"name": "mixed"})
    assert RulesGenerator().generate(arch).files == app.files


def test_gate_passes_and_collects_every_test(app) -> None:
    report = gate(app.files)
    assert report.ok, report.problems
    assert report.collected == measure(app.files, app.coverage)["tests"]


def test_generated_code_is_ruff_clean_with_default_settings(app, tmp_path: Path) -> None:
    for name, text in app.files.items():
        (tmp_path / name).write_text(text)
    ruff = shutil.which("ruff") or str(Path(sys.prefix, "bin", "ruff"))
    fmt = subprocess.run([ruff, "format", "--isolated", "--check", "--diff", str(tmp_path)],
                         capture_output=True, text=True)  # fmt: skip
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    lint = subprocess.run([ruff, "check", "--isolated", str(tmp_path)], capture_output=True,
                          text=True)  # fmt: skip
    assert lint.returncode == 0, lint.stdout


def _state(*resources: dict) -> dict:
    return {"values": {"root_module": {"resources": list(resources), "child_modules": []}}}


def test_tests_take_identifiers_from_the_state_and_fail_when_it_lacks_them(
    app, tmp_path: Path
) -> None:
    """Run the generated SQS module for real against a state without the queues: every
    non-repeated resource fails by name, the repeated one is skipped (count may be 0)."""
    folder = tmp_path / "app"
    folder.mkdir()
    for name, text in app.files.items():
        (folder / name).write_text(text)
    state = tmp_path / "state.json"
    state.write_text(json.dumps(_state()))
    env = {"LSQM_TF_STATE": str(state), "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "test",
           "AWS_SECRET_ACCESS_KEY": "test", "PATH": "/usr/bin:/bin"}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA", "test_sqs.py"],
        cwd=folder, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    out = done.stdout
    assert "aws_sqs_queue.orders is not in the Terraform state" in out
    assert "module.workers.aws_sqs_queue.this has no instances" in out
    assert "5 failed, 2 skipped" in out, out[-2000:]  # orders: its dead letters too


def test_a_rest_api_without_a_stage_is_not_called_through_one(tmp_path: Path) -> None:
    """Calling a method needs a deployed stage; without one in the configuration the test
    would fail and blame the emulator for what the architecture never asked for."""
    method = """
resource "aws_api_gateway_rest_api" "api" {
  name = "api"
}

resource "aws_api_gateway_method" "get" {
  rest_api_id   = aws_api_gateway_rest_api.api.id
  resource_id   = aws_api_gateway_rest_api.api.root_resource_id
  http_method   = "GET"
  authorization = "NONE"
}
"""
    (tmp_path / "main.tf").write_text(method)
    files = RulesGenerator().generate(read_architecture(tmp_path, "h", {})).files
    assert "answers_through_stage" not in files["test_apigateway.py"]
    stage = 'resource "aws_api_gateway_deployment" "d" {\n  rest_api_id = "x"\n}\n'
    (tmp_path / "main.tf").write_text(method + stage)
    files = RulesGenerator().generate(read_architecture(tmp_path, "h", {})).files
    assert "test_api_gateway_method_get_answers_through_stage" in files["test_apigateway.py"]


def test_attributes_whose_changes_are_ignored_are_no_promise(tmp_path: Path) -> None:
    """``ignore_changes`` says something else manages the attribute (an autoscaler sets the
    capacity): the configured value is not what the API must report."""
    (tmp_path / "main.tf").write_text(
        'resource "aws_dynamodb_table" "t" {\n'
        '  name           = "t"\n  hash_key       = "id"\n'
        "  read_capacity  = 5\n  write_capacity = 5\n"
        '  attribute {\n    name = "id"\n    type = "S"\n  }\n'
        "  lifecycle {\n    ignore_changes = [read_capacity, write_capacity]\n  }\n}\n"
        'resource "aws_s3_bucket" "b" {\n  bucket = "b"\n'
        "  versioning {\n    enabled = true\n  }\n"
        "  lifecycle {\n    ignore_changes = [versioning]\n  }\n}\n"
    )
    files = RulesGenerator().generate(read_architecture(tmp_path, "h", {})).files
    assert '"hash_key": "id",' in files["test_dynamodb.py"]
    assert "read_capacity" not in files["test_dynamodb.py"]
    assert '"enabled": True' not in files["test_s3.py"]
