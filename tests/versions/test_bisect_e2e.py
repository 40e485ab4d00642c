"""``lsqm bisect`` on a real case: the bundled ``cloudwatch_alarm`` example over real
LocalStack releases. Found by running the examples on 4.0.0 .. 2026.3.0 and bisecting the
whole range (25 releases, 7 probed): up to 4.8.1 the tests' current botocore cannot talk to
CloudWatch (DescribeAlarms is rejected: those releases lack the protocol botocore now uses
for CloudWatch) - FAILED/emulator_error; from 4.9.0 it answers, but the alarm's tags read
back empty - PARTIAL/emulator_behaviour; 2026.3.0 passes. CI bisects the three releases
around the change (4.8.1, 4.9.0, 4.9.1) with one run per release (the confirmation rule
is covered by the synthetic tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import add_examples, lsqm_json

pytestmark = pytest.mark.e2e


def test_bisect_finds_the_release_where_cloudwatch_started_answering(
    lsqm_cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_examples(tmp_path, ["cloudwatch_alarm"])
    found = lsqm_json(
        ["--artifacts", str(tmp_path), "bisect", "cloudwatch_alarm", "--good", "4.8.1",
         "--bad", "4.9.1", "--confirm", "1", "--timeout", "180", "--format", "json"],
        capsys,
    )  # fmt: skip
    assert found["outcome"] == "found"
    assert (found["last_same"], found["first_changed"]) == ("4.8.1", "4.9.0")
    assert found["range_size"] == 3 and found["probes"] == 3 and found["runs"] == 3
    before, after = found["before"], found["after"]
    assert before["verdict"] == "FAILED/emulator_error"
    assert "DescribeAlarms" in before["signature"]
    assert after["verdict"] == "PARTIAL/emulator_behaviour"
    assert "test_alarm_tags_are_as_declared" in after["signature"]
    folder = Path(found["folder"])
    assert (folder / "bisect.json").is_file()
    assert len(list((folder / "runs").iterdir())) == 3  # one run per probe, kept apart
    assert not (tmp_path / "runs").exists()  # the main store's runs are untouched
