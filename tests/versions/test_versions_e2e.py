"""Two real LocalStack releases side by side, one SemVer (4.14.0) and one CalVer
(2026.3.0): ``setup`` installs both date-locked and probes what lsqm's plugin gives on
each; ``validate --localstack-version A,B`` runs the bundled examples on both, one run per
version, tagged with it and sharing a group."""

from __future__ import annotations

from pathlib import Path

import pytest

from lsqm.store import ArtifactStore

from .conftest import CHOSEN, add_examples, lsqm_json

pytestmark = pytest.mark.e2e

SEMVER, CALVER = "4.14.0", "2026.3.0"
# What differs between the two, found by these runs and by bisect (README): 4.14.0 stores
# no tags for a CloudWatch alarm created through the query API; 2026.3.0 does.
EXPECTED_FAILURES = {
    SEMVER: {
        # the failing test's only call, named from the emulator's side (the operation trace)
        "cloudwatch_alarm": ("PARTIAL", "emulator_behaviour", "cloudwatch.ListTagsForResource")
    },
    CALVER: {},
}


def test_two_releases_install_side_by_side_and_say_what_works(
    lsqm_cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--artifacts", str(tmp_path), "setup", "--runtime", "host", "--format", "json"]
    report = lsqm_json([*args, "--localstack-version", f"{SEMVER},{CALVER}"], capsys)
    installs = {i["version"]: i for i in report["localstack_versions"]}
    assert list(installs) == [SEMVER, CALVER]
    for version, install in installs.items():
        assert install["python"] == "3.13"
        assert Path(install["venv"]).is_relative_to(lsqm_cache / "localstack" / version)
        probe = install["probe"]
        assert probe["starts"] and probe["reported_version"] == version
        assert probe["reset"] == "lsqm" and probe["services_after_reset"] == "ok"
        assert probe["dynamodb_moto"] == "ok" and probe["preload"]
        assert install["notes"] == []
    meta = (lsqm_cache / "localstack" / SEMVER / "installed.json").read_text()
    assert '"exclude_newer": "2026-02-27"' in meta  # the day after its release

    listing = lsqm_json(
        ["--artifacts", str(tmp_path), "setup", "--list", "--format", "json"], capsys
    )
    order = [v["version"] for v in listing["versions"]]
    assert order.index(SEMVER) < order.index(CALVER)  # SemVer before CalVer
    assert not any(".dev" in v for v in order)
    rows = {v["version"]: v for v in listing["versions"] if v["installed"]}
    for version in (SEMVER, CALVER):
        assert rows[version]["disk_bytes"] > 100_000_000
        assert 0 < rows[version]["own_bytes"] <= rows[version]["disk_bytes"]
        assert "reset by lsqm's plugin" in rows[version]["capabilities"]


def test_the_bundled_examples_on_both_releases(
    lsqm_cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store_root = tmp_path / "artifacts"
    hashes = add_examples(store_root, CHOSEN)
    assert len(hashes) == len(CHOSEN) >= 7
    output = lsqm_json(
        ["--artifacts", str(store_root), "validate", "--runtime", "host", "--parallel", "2",
         "--timeout", "180", "--localstack-version", SEMVER, "--localstack-version", CALVER,
         "--format", "json"],
        capsys,
    )  # fmt: skip
    runs = output["runs"]
    assert [r["emulator"]["version"] for r in runs] == [SEMVER, CALVER]
    assert {r["group"] for r in runs} == {output["group"]} and output["group"]
    store = ArtifactStore(store_root)
    for shaped in runs:
        run = store.run(shaped["run_id"])
        assert run.emulator is not None and run.emulator.kind == "localstack"
        assert run.emulator_label == f"localstack {shaped['emulator']['version']}"
        failures = {
            r["name"]: (r["status"], r["category"], r["signature"].split(":")[0])
            for r in shaped["results"]
            if r["status"] != "PASSED"
        }
        assert failures == EXPECTED_FAILURES[run.emulator.version], run.emulator_label
        assert len(CHOSEN) - len(failures) == run.summary.PASSED
    _coverage_side_by_side(store_root, capsys)


def _coverage_side_by_side(store_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``lsqm coverage`` over the two releases' runs: one column per release; the operation
    4.14.0 answers wrongly (the alarm's tags) is wrong there and correct on 2026.3.0, and
    blocks the one architecture; the scores stay four numbers per release."""
    coverage = lsqm_json(["--artifacts", str(store_root), "coverage", "--format", "json"], capsys)
    labels = [t["label"] for t in coverage["targets"]]
    assert labels == [f"localstack {SEMVER}", f"localstack {CALVER}"]
    assert all(t["traced"] == t["results"] == len(CHOSEN) for t in coverage["targets"])
    ops = {op["operation"]: op for op in coverage["operations"]}
    tags = ops["cloudwatch.ListTagsForResource"]
    assert tags["blocks"] == 1
    assert tags["cells"][labels[0]]["failing_at_tests"] == 1
    assert tags["cells"][labels[0]]["score"] == "wrong"
    assert tags["cells"][labels[1]]["score"] == "correct"
    assert coverage["operations"][0]["operation"] == "cloudwatch.ListTagsForResource"
    for label in labels:
        assert set(coverage["scores"][label]) == {
            "correct", "wrong", "unsupported", "not_exercised"
        }  # fmt: skip
    assert coverage["scores"][labels[0]]["wrong"] >= 1
    assert coverage["scores"][labels[1]]["wrong"] == 0
