"""moto's server as a second emulator: the bundled examples on ``--emulator moto`` (a real
``moto_server`` from its own date-locked venv), recorded as moto's, with the verdicts that
differ from LocalStack's each explained by what moto does differently."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from lsqm.config import DEFAULT_MOTO_VERSION
from lsqm.emulator.moto import MotoServer
from lsqm.store import ArtifactStore
from lsqm.toolchain.moto_install import ensure_moto

from .conftest import CHOSEN, add_examples, lsqm_json

pytestmark = pytest.mark.e2e

# Where moto 5.2.5 answers differently from LocalStack (every other example PASSES):
MOTO_DIFFERS = {
    # a state machine's execution stays RUNNING: moto does not run Pass states by default
    "stepfunctions_pass": ("PARTIAL", "emulator_behaviour"),
    # /_aws/execute-api/... is LocalStack's URL for a REST API; moto reads it as S3
    "apigateway_mock": ("PARTIAL", "emulator_behaviour"),
    # metric filters publish no metric data in moto
    "cloudwatch_logs": ("PARTIAL", "emulator_behaviour"),
    # DescribeAlarmHistory is a 500; alarm actions do not notify SNS
    "cloudwatch_alarm": ("PARTIAL", "emulator_error"),
}


def test_moto_server_starts_resets_and_stops(cache_dir: Path, tmp_path: Path) -> None:
    install = ensure_moto(cache_dir, DEFAULT_MOTO_VERSION)
    emulator = MotoServer(install, workdir=tmp_path)
    emulator.start()
    try:
        assert emulator.healthy() and emulator.info().kind == "moto"
        s3 = boto3.client(
            "s3", endpoint_url=emulator.endpoint, region_name="us-east-1",
            aws_access_key_id="test", aws_secret_access_key="test",
        )  # fmt: skip
        s3.create_bucket(Bucket="lsqm-moto")
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["lsqm-moto"]
        assert emulator.reset_or_restart() == "reset"
        assert s3.list_buckets()["Buckets"] == []
        assert emulator.restarts == 0
    finally:
        emulator.stop()
    assert not emulator.alive()


def test_the_bundled_examples_on_moto(
    lsqm_cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_examples(tmp_path, CHOSEN)
    output = lsqm_json(
        ["--artifacts", str(tmp_path), "validate", "--emulator", "moto", "--parallel", "2",
         "--timeout", "180", "--format", "json"],
        capsys,
    )  # fmt: skip
    run = ArtifactStore(tmp_path).run(output["run_id"])
    assert run.emulator is not None
    assert (run.emulator.kind, run.emulator.version) == ("moto", DEFAULT_MOTO_VERSION)
    verdicts = {r["name"]: (r["status"], r["category"]) for r in output["results"]}
    assert len(verdicts) == len(CHOSEN)
    differs = {n: v for n, v in verdicts.items() if v != ("PASSED", None)}
    assert differs == {n: v for n, v in MOTO_DIFFERS.items() if n in CHOSEN}
    assert all(r["tests"]["passed"] >= 1 for r in output["results"])
