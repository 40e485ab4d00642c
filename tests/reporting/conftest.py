"""The history most reporting tests read: two runs on two LocalStack versions (SemVer, then
CalVer) with one architecture of every kind of change (:func:`build_two_runs`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lsqm.records import Category
from lsqm.store import ArtifactStore

from .histories import PASSED, R1, R2, History, V, failed

UNSUPPORTED = "aws_kinesis_stream:InternalFailure:501: kinesis not implemented"


R1_VERDICTS = {
    "s3_site": PASSED,
    "sqs_fixed": failed(Category.EMULATOR_UNSUPPORTED, "aws_sqs_queue:501: nope"),
    "sns_flaky": PASSED,
    "lambda_env": PASSED,
    "iam_harness": PASSED,
    "ddb_sig": failed(Category.EMULATOR_ERROR, "aws_dynamodb_table:500: boom A"),
    "kinesis": failed(Category.EMULATOR_UNSUPPORTED, UNSUPPORTED),
    "steady": PASSED,
    "old_arch": failed(Category.EMULATOR_ERROR, "aws_sns_topic:500: gone"),
}
R2_VERDICTS = {
    "s3_site": failed(Category.EMULATOR_ERROR, "aws_s3_bucket:500: InternalError"),
    "sqs_fixed": PASSED,
    "sns_flaky": failed(Category.EMULATOR_BEHAVIOUR, "test_two: assert", flaky=True),
    "lambda_env": failed(Category.ENVIRONMENT, "lambda cannot execute without Docker"),
    "iam_harness": failed(Category.HARNESS, "conftest import error"),
    "ddb_sig": failed(Category.EMULATOR_ERROR, "aws_dynamodb_table:500: boom B"),
    "kinesis": failed(Category.EMULATOR_UNSUPPORTED, UNSUPPORTED),
    "steady": PASSED,
    "new_arch": PASSED,
}


def build_two_runs(root: Path, extra: dict[str, V] | None = None) -> History:
    """R1 (4.14.0) -> R2 (2026.3.0), ``extra`` architectures (sqs) in both with the same
    verdict:

    s3_site      PASSED -> FAILED emulator_error            a regression
    sqs_fixed    FAILED emulator_unsupported -> PASSED     a fix
    sns_flaky    PASSED -> PARTIAL, flaky                  a flaky flip
    lambda_env   PASSED -> ERROR environment               environment-only
    iam_harness  PASSED -> ERROR harness                   not blamed on the emulator
    ddb_sig      FAILED emulator_error, signature changes  changed
    kinesis      FAILED emulator_unsupported both runs     unchanged (999 stars)
    steady       PASSED both runs                          unchanged
    old_arch     only in R1                                removed
    new_arch     only in R2                                added
    """
    h = History(ArtifactStore(root))
    h.arch("s3_site", ("s3",), ("aws_s3_bucket", "aws_s3_bucket_website_configuration"))
    h.arch("sqs_fixed", ("sqs",), ("aws_sqs_queue",))
    h.arch("sns_flaky", ("sns", "sqs"), ("aws_sns_topic", "aws_sqs_queue"))
    h.arch("lambda_env", ("lambda", "iam"), ("aws_lambda_function", "aws_iam_role"))
    h.arch("iam_harness", ("iam",), ("aws_iam_role",))
    h.arch("ddb_sig", ("dynamodb",), ("aws_dynamodb_table",))
    h.arch("kinesis", ("kinesis",), ("aws_kinesis_stream",), stars=999)
    h.arch("steady", ("sqs",), ("aws_sqs_queue",))
    h.arch("old_arch", ("sns",), ("aws_sns_topic",))
    h.arch("new_arch", ("ssm",), ("aws_ssm_parameter",))
    for name in extra or {}:
        h.arch(name, ("sqs",), ("aws_sqs_queue",))
    h.run(R1, "4.14.0", {**R1_VERDICTS, **(extra or {})})
    h.run(R2, "2026.3.0", {**R2_VERDICTS, **(extra or {})})
    return h


@pytest.fixture
def two_runs(tmp_path: Path) -> History:
    return build_two_runs(tmp_path / "store")
