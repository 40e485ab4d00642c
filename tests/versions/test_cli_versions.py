"""Options of the versions work that must fail early, in one sentence with exit 2, before
anything is installed or started; and how several targets are spelled."""

from __future__ import annotations

from pathlib import Path

import pytest

from lsqm.cli import main
from lsqm.ingest import add_local
from lsqm.pipeline.stages import Target, targets
from lsqm.store import ArtifactStore

from ..conftest import REPO


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["validate", "--run-id", "20260101T000000Z-abcdef", "--localstack-version",
          "4.14.0,2026.3.0"], "--run-id resumes one run"),
        (["validate", "--emulator", "docker"], "does not run 'docker' itself"),
        (["validate", "--emulator", "moto", "--runtime", "docker"], "not docker"),
        (["bisect", "nothing", "--good", "4.13.0", "--bad", "4.14.0"], "no architecture"),
        (["bisect", "s3_bucket", "--good", "4.13.0", "--bad", "4.14.0", "--runtime", "docker"],
         "No such option"),
    ],
)  # fmt: skip
def test_bad_version_options_are_one_sentence_and_exit_2(
    args: list[str], needle: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = ArtifactStore(tmp_path)
    example = REPO / "examples" / "s3_bucket"
    add_local(store, example, example / "tests", "s3_bucket")
    code = main(["--artifacts", str(tmp_path), *args])
    err = capsys.readouterr().err
    assert code == 2, err
    assert needle in err and "Traceback" not in err
    assert not (tmp_path / "runs").exists() and not (tmp_path / "bisect").exists()


def test_targets_are_emulators_times_versions_in_the_order_given() -> None:
    assert targets([], []) == [Target("localstack", None)]
    assert targets(["localstack", "moto"], ["4.14.0", "2026.3.0", "4.14.0"]) == [
        Target("localstack", "4.14.0"),
        Target("localstack", "2026.3.0"),
        Target("moto", None),
    ]
    assert [t.label for t in targets(["moto"], ["4.14.0"])] == ["moto"]


def test_dry_run_names_one_run_per_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = ArtifactStore(tmp_path)
    example = REPO / "examples" / "s3_bucket"
    add_local(store, example, example / "tests", "s3_bucket")
    args = ["--artifacts", str(tmp_path), "--dry-run", "validate", "--runtime", "host",
            "--localstack-version", "4.14.0", "--localstack-version", "2026.3.0",
            "--emulator", "localstack,moto"]  # fmt: skip
    assert main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" on ")[1].split(" in run")[0] for line in lines] == [
        "localstack 4.14.0",
        "localstack 2026.3.0",
        "moto",
    ]
