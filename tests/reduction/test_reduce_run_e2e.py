"""``lsqm run --reduce-new`` and ``lsqm reduce --workers 2`` on real LocalStack, Terraform and
pytest, in one store: a run passes, the next run finds a new regression (a planted wrong
answer: its test now expects what AWS does not say), reduces it within the run's budget and
the Slack message links the reduction; the same reduction on two emulators at once ends at
the same minimal configuration and tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from lsqm.store import ArtifactStore

from ..helpers import cli_env, lsqm

pytestmark = pytest.mark.e2e

MAIN_TF = """provider "aws" {
  region = "us-east-1"
}

resource "aws_sqs_queue" "jobs" {
  name                       = "lsqm-regressed-jobs"
  visibility_timeout_seconds = 45
}

resource "aws_sns_topic" "events" {
  name = "lsqm-regressed-events"
}

output "queue_url" {
  value = aws_sqs_queue.jobs.id
}

output "topic" {
  value = aws_sns_topic.events.arn
}
"""

TESTS = """import json
import os

import boto3


def outputs():
    with open(os.environ["LSQM_TF_OUTPUTS"]) as fh:
        return {k: v["value"] for k, v in json.load(fh).items()}


def test_topic_exists():
    boto3.client("sns").get_topic_attributes(TopicArn=outputs()["topic"])


def test_visibility_timeout():
    attrs = boto3.client("sqs").get_queue_attributes(
        QueueUrl=outputs()["queue_url"], AttributeNames=["VisibilityTimeout"]
    )["Attributes"]
    assert attrs["VisibilityTimeout"] == "45"
"""


def test_a_new_regression_is_reduced_by_the_run_and_two_workers_agree(
    tmp_path: Path, cache_dir: Path, httpserver: HTTPServer
) -> None:
    source = tmp_path / "src" / "regressed"
    source.mkdir(parents=True)
    (source / "main.tf").write_text(MAIN_TF)
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_app.py").write_text(TESTS)
    (tmp_path / "sources.yaml").write_text(
        f"sources:\n  - name: here\n    kind: local\n    path: {source.parent}\n"
        "    paths: [regressed]\n"
    )
    httpserver.expect_request("/services/T0/B0/reduce", method="POST").respond_with_data("ok")
    env = cli_env(
        cache_dir, SLACK_WEBHOOK_URL=httpserver.url_for("/services/T0/B0/reduce"),
        LSQM_REPORT_URL="https://example.org/lsqm",
    )  # fmt: skip
    added = lsqm("--artifacts", "store", "add", str(source), "--tests", str(tests),
                 "--name", "regressed", "--format", "json", cwd=tmp_path, env=env)  # fmt: skip
    arch_hash = json.loads(added.stdout)["hash"]
    first = lsqm("--artifacts", "store", "validate", "--format", "json", cwd=tmp_path, env=env)
    assert json.loads(first.stdout)["summary"]["PASSED"] == 1, first.stderr
    # The next run's tests expect a wrong answer: a regression blamed on the emulator.
    store = ArtifactStore(tmp_path / "store")
    app = store.app(arch_hash)
    assert app is not None
    wrong = TESTS.replace('== "45"', '== "999"  # planted wrong answer')
    store.write_app(arch_hash, {"test_app.py": wrong}, app)

    done = lsqm("--artifacts", "store", "run", "--reduce-new", "--reduce-budget", "600",
                "--format", "json", cwd=tmp_path, env=env, check=False)  # fmt: skip
    assert done.returncode == 1, done.stderr  # a regression needs a person
    stages = json.loads(done.stdout)["stages"]
    assert stages["mine"]["facts"]["new"] == 0  # the stored architecture, not a new one
    assert stages["reduce"]["facts"] == {"reduced": 1, "regressions": 1}, done.stderr
    assert stages["reduce"]["seconds"] <= 600
    facts = json.loads((store.reduction_dir(arch_hash) / "reduction.json").read_text())
    assert facts["confirmed"] is True and facts["ending"] == "reduced"
    assert facts["kept"] == ["aws_sqs_queue.jobs"]
    assert facts["tests_kept"] == ["test_app.py::test_visibility_timeout"]
    # the run's Slack message links the reduction on the architecture's page
    (request, _response), = httpserver.log  # fmt: skip
    text = json.dumps(json.loads(request.get_data()))
    assert f"https://example.org/lsqm/arch/{arch_hash}.html#reduction" in text
    assert "reduced to 1 resource" in text

    # two workers: the same minimal configuration and tests as one
    out = tmp_path / "two"
    two = lsqm("--artifacts", "store", "reduce", "regressed", "--workers", "2", "--out",
               str(out), "--format", "json", cwd=tmp_path, env=env)  # fmt: skip
    assert json.loads(two.stdout)["ending"] == "reduced"
    one = store.reduction_dir(arch_hash)
    assert (out / "main.tf").read_text() == (one / "main.tf").read_text()
    assert (out / "tests" / "test_app.py").read_text() == (
        one / "tests" / "test_app.py"
    ).read_text()
    again = json.loads((out / "reduction.json").read_text())
    assert (again["kept"], again["tests_kept"]) == (facts["kept"], facts["tests_kept"])
