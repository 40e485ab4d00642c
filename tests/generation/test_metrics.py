"""Quality metrics are measured from code, following calls into helpers of the app."""

from __future__ import annotations

from lsqm.generation.interface import ResourceCoverage
from lsqm.generation.metrics import measure

HELPERS = """
import boto3


def roundtrip(name):
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=name, MessageBody="x")
    got = sqs.receive_message(QueueUrl=name)
    assert got["Messages"]
    nested(name)


def nested(name):
    assert boto3.client("sqs").get_queue_url(QueueName=name)
"""

TESTS = """
from helpers import roundtrip


def test_roundtrip(state):
    roundtrip("q")


def test_plain():
    assert 1 + 1 == 2
"""


def test_calls_and_assertions_follow_helpers() -> None:
    coverage = [
        ResourceCoverage("aws_sqs_queue.q", "aws_sqs_queue", "behavioural"),
        ResourceCoverage("aws_iam_role.r", "aws_iam_role", "existence"),
        ResourceCoverage("aws_kms_key.k", "aws_kms_key", "none"),
        ResourceCoverage("random_pet.p", "random_pet", "none"),
    ]
    metrics = measure({"helpers.py": HELPERS, "test_q.py": TESTS}, coverage)
    assert metrics == {
        "tests": 2,
        "api_calls": 3,
        "assertions": 3,
        "resources_total": 3,
        "resources_covered": 2,
        "resources_behavioural": 1,
    }


def test_quality_summary_adds_up_apps() -> None:
    from lsqm.generation.metrics import quality_summary
    from lsqm.records import AppRecord

    apps = [
        AppRecord(generator="rules", metrics={"tests": 3, "resources_total": 2,
                                              "resources_behavioural": 1}),
        AppRecord(generator="hand"),
    ]  # fmt: skip
    summary = quality_summary(apps)
    assert summary["by_generator"] == {"rules": 1, "hand": 1}
    assert (summary["tests"], summary["resources_total"], summary["resources_behavioural"]) == (
        3, 2, 1,
    )  # fmt: skip
