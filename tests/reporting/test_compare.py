"""compare on stores with known histories: every kind of change lands in its own list, the
text, JSON and Markdown say so exactly, and the exit code is 1 only for regressions that are
not flaky; bad input is one sentence and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lsqm.cli import main
from lsqm.records import Category, Status
from lsqm.store import ArtifactStore

from .conftest import UNSUPPORTED
from .histories import PASSED, R1, R2, R3, History, failed


def cli(
    store: ArtifactStore, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    code = main(["--artifacts", str(store.root), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_text_lists_every_change_apart_and_exits_1_on_a_regression(
    two_runs: History, capsys: pytest.CaptureFixture[str]
) -> None:
    h = two_runs.hashes
    code, out, err = cli(two_runs.store, capsys, "compare")
    assert code == 1 and err == ""
    assert out == (
        f"compare {R1} (LocalStack 4.14.0) -> {R2} (LocalStack 2026.3.0), LocalStack upgrade\n"
        "pass rate 55.6% (5/9) -> 33.3% (3/9), -22.2 pts\n"
        "in both runs: 8 architectures, passed 5 -> 2\n"
        "1 regression, 1 fix, 1 flaky flip, 1 environment-only change, 1 not blamed on the emulator, "
        "1 changed, 1 new, 1 removed, 2 unchanged\n"
        "\n"
        "Regressions (PASSED before, now failing on the emulator):\n"
        f"  s3_site ({h['s3_site']}): PASSED -> FAILED emulator_error: aws_s3_bucket:500: InternalError\n"
        "\n"
        "Fixes (failing on the emulator before, PASSED now):\n"
        f"  sqs_fixed ({h['sqs_fixed']}): FAILED emulator_unsupported: aws_sqs_queue:501: nope -> PASSED\n"
        "\n"
        "Flaky flips (a flaky verdict on either side: not regressions):\n"
        f"  sns_flaky ({h['sns_flaky']}): PASSED -> PARTIAL emulator_behaviour: test_two: assert (flaky)\n"
        "\n"
        "Environment-only changes (say nothing about the emulator):\n"
        f"  lambda_env ({h['lambda_env']}): PASSED -> ERROR environment: lambda cannot execute without Docker\n"
        "\n"
        "To or from PASSED for a reason that is not the emulator:\n"
        f"  iam_harness ({h['iam_harness']}): PASSED -> ERROR harness: conftest import error\n"
        "\n"
        "Changed (not passing in either run):\n"
        f"  ddb_sig ({h['ddb_sig']}): FAILED emulator_error: aws_dynamodb_table:500: boom A -> FAILED emulator_error: aws_dynamodb_table:500: boom B\n"
        "\n"
        "New architectures:\n"
        f"  new_arch ({h['new_arch']}): PASSED\n"
        "\n"
        "Removed architectures:\n"
        f"  old_arch ({h['old_arch']}): FAILED emulator_error: aws_sns_topic:500: gone\n"
    )


def _verdict(
    status: str, category: str | None = None, signature: str = "", flaky: bool = False
) -> dict[str, object]:
    return {"status": status, "category": category, "signature": signature, "flaky": flaky}


def test_json_is_only_json_and_exact(two_runs: History, capsys: pytest.CaptureFixture[str]) -> None:
    h = two_runs.hashes
    code, out, err = cli(two_runs.store, capsys, "compare", R1, R2, "--format", "json")
    assert code == 1 and err == ""
    data = json.loads(out)
    passed = _verdict("PASSED")
    assert data == {
        "base": {
            "run_id": R1,
            "emulator_version": "4.14.0",
            "pass_rate": 5 / 9,
            "summary": {
                "PASSED": 5,
                "PARTIAL": 0,
                "FAILED": 4,
                "TIMEOUT": 0,
                "ERROR": 0,
                "total": 9,
            },
        },
        "head": {
            "run_id": R2,
            "emulator_version": "2026.3.0",
            "pass_rate": 3 / 9,
            "summary": {
                "PASSED": 3,
                "PARTIAL": 1,
                "FAILED": 3,
                "TIMEOUT": 0,
                "ERROR": 2,
                "total": 9,
            },
        },
        "version_change": {"from": "4.14.0", "to": "2026.3.0", "direction": "upgrade"},
        "pass_rate_change": 3 / 9 - 5 / 9,
        "common": {"architectures": 8, "base_passed": 5, "head_passed": 2},
        "regressions": [
            {
                "arch_hash": h["s3_site"],
                "name": "s3_site",
                "base": passed,
                "head": _verdict("FAILED", "emulator_error", "aws_s3_bucket:500: InternalError"),
            },
        ],
        "fixes": [
            {
                "arch_hash": h["sqs_fixed"],
                "name": "sqs_fixed",
                "base": _verdict("FAILED", "emulator_unsupported", "aws_sqs_queue:501: nope"),
                "head": passed,
            },
        ],
        "flaky": [
            {
                "arch_hash": h["sns_flaky"],
                "name": "sns_flaky",
                "base": passed,
                "head": _verdict("PARTIAL", "emulator_behaviour", "test_two: assert", flaky=True),
            },
        ],
        "environment": [
            {
                "arch_hash": h["lambda_env"],
                "name": "lambda_env",
                "base": passed,
                "head": _verdict("ERROR", "environment", "lambda cannot execute without Docker"),
            },
        ],
        "not_emulator": [
            {
                "arch_hash": h["iam_harness"],
                "name": "iam_harness",
                "base": passed,
                "head": _verdict("ERROR", "harness", "conftest import error"),
            },
        ],
        "changed": [
            {
                "arch_hash": h["ddb_sig"],
                "name": "ddb_sig",
                "base": _verdict("FAILED", "emulator_error", "aws_dynamodb_table:500: boom A"),
                "head": _verdict("FAILED", "emulator_error", "aws_dynamodb_table:500: boom B"),
            },
        ],
        "added": [{"arch_hash": h["new_arch"], "name": "new_arch", **passed}],
        "removed": [
            {
                "arch_hash": h["old_arch"],
                "name": "old_arch",
                **_verdict("FAILED", "emulator_error", "aws_sns_topic:500: gone"),
            },
        ],
        "unchanged": 2,
        "counts": {
            "regressions": 1,
            "fixes": 1,
            "flaky": 1,
            "environment": 1,
            "not_emulator": 1,
            "changed": 1,
            "added": 1,
            "removed": 1,
            "unchanged": 2,
        },
    }


def test_markdown_is_tables_a_step_summary_can_show(
    two_runs: History, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cli(two_runs.store, capsys, "compare", "--format", "markdown")
    assert code == 1
    assert out.startswith(
        f"### Compare `{R1}` → `{R2}`\n\nLocalStack 4.14.0 → 2026.3.0 (upgrade)\n\n"
    )
    assert "#### Regressions (PASSED before, now failing on the emulator) (1)" in out
    assert (
        f"| s3\\_site `{two_runs.hashes['s3_site']}` | `PASSED` | "
        "`FAILED emulator_error: aws_s3_bucket:500: InternalError` |"
    ) in out
    assert "#### Flaky flips (a flaky verdict on either side: not regressions) (1)" in out


def test_reversed_runs_compare_across_versions_like_runs_in_time(
    two_runs: History, capsys: pytest.CaptureFixture[str]
) -> None:
    """Base may be the newer run: a downgrade, and what were fixes are now regressions."""
    code, out, _ = cli(two_runs.store, capsys, "compare", R2, R1, "--format", "json")
    data = json.loads(out)
    assert code == 1
    assert data["version_change"] == {"from": "2026.3.0", "to": "4.14.0", "direction": "downgrade"}
    assert [c["name"] for c in data["regressions"]] == ["sqs_fixed"]
    assert [c["name"] for c in data["fixes"]] == ["s3_site"]
    assert [c["name"] for c in data["not_emulator"]] == ["iam_harness"]  # a harness error fixed
    assert [e["name"] for e in data["added"]] == ["old_arch"]


def test_flaky_flips_and_environment_changes_alone_exit_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    h = History(ArtifactStore(tmp_path / "store"))
    for name in ("flaky_down", "flaky_up", "env", "same"):
        h.arch(name)
    h.run(
        R1,
        "4.14.0",
        {
            "flaky_down": PASSED,
            "flaky_up": failed(Category.EMULATOR_ERROR, "x", flaky=True),
            "env": PASSED,
            "same": PASSED,
        },
    )
    h.run(
        R2,
        "4.14.0",
        {
            "flaky_down": failed(Category.EMULATOR_ERROR, "500", flaky=True),
            "flaky_up": PASSED,
            "env": failed(Category.ENVIRONMENT, "no docker"),
            "same": PASSED,
        },
    )
    code, out, _ = cli(h.store, capsys, "compare", "--format", "json")
    data = json.loads(out)
    assert code == 0
    assert data["regressions"] == [] and data["version_change"] is None
    assert [c["name"] for c in data["flaky"]] == ["flaky_down", "flaky_up"]
    assert [c["name"] for c in data["environment"]] == ["env"]
    code, out, _ = cli(h.store, capsys, "compare")
    assert code == 0
    assert "0 regressions, 0 fixes, 2 flaky flips, 1 environment-only change" in out


def test_environment_on_either_side_is_never_a_regression_or_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    h = History(ArtifactStore(tmp_path / "store"))
    for name in ("env_to_pass", "env_to_fail", "fail_to_env"):
        h.arch(name)
    env = failed(Category.ENVIRONMENT, "provider hashicorp/random not installable offline")
    h.run(
        R1,
        "4.14.0",
        {
            "env_to_pass": env,
            "env_to_fail": env,
            "fail_to_env": failed(Category.EMULATOR_ERROR, "500"),
        },
    )
    h.run(
        R2,
        "4.14.0",
        {
            "env_to_pass": PASSED,
            "env_to_fail": failed(Category.EMULATOR_ERROR, "500"),
            "fail_to_env": env,
        },
    )
    code, out, _ = cli(h.store, capsys, "compare", "--format", "json")
    data = json.loads(out)
    assert code == 0
    assert data["counts"]["environment"] == 3
    assert data["fixes"] == data["regressions"] == data["changed"] == []


def test_default_is_previous_vs_latest_by_run_id_and_prefixes_resolve(
    two_runs: History, capsys: pytest.CaptureFixture[str]
) -> None:
    two_runs.run(R3, "2026.3.0", {"steady": PASSED})
    _, out, _ = cli(two_runs.store, capsys, "compare", "--format", "json")
    data = json.loads(out)
    assert (data["base"]["run_id"], data["head"]["run_id"]) == (R2, R3)
    _, out, _ = cli(two_runs.store, capsys, "compare", "20261102", "--format", "json")
    data = json.loads(out)  # one id: that run against the latest
    assert (data["base"]["run_id"], data["head"]["run_id"]) == (R1, R3)


def _corrupt(store: ArtifactStore) -> None:
    path = next((store.runs_dir / R2 / "results").glob("*.json"))
    path.write_text("{not json", encoding="utf-8")


@pytest.mark.parametrize(
    ("setup", "args", "needle"),
    [
        ("empty", [], "no runs in"),
        ("one", [], "compare needs two runs"),
        ("two", ["20990101T000000Z-ffffff"], "no run '20990101T000000Z-ffffff'"),
        ("two", ["2026110"], "is ambiguous"),
        ("two", [R1, "nope"], "no run 'nope'"),
        ("two", ["../etc"], "no run '../etc'"),
        ("corrupt", [], "is not a valid Result"),
    ],
)
def test_bad_input_is_one_sentence_and_exit_2(
    setup: str, args: list[str], needle: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    h = History(ArtifactStore(tmp_path / "store"))
    h.arch("a")
    if setup != "empty":
        h.run(R1, "4.14.0", {"a": PASSED})
    if setup in ("two", "corrupt"):
        h.run(R2, "4.14.0", {"a": failed(Category.EMULATOR_ERROR, "500")})
    if setup == "corrupt":
        _corrupt(h.store)
    for fmt in ("text", "json"):
        code, out, err = cli(h.store, capsys, "compare", *args, "--format", fmt)
        assert code == 2, err
        assert out == ""
        assert needle in err and err.startswith("error: ") and err.count("\n") == 1
        assert "Traceback" not in err


def test_unchanged_history_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    h = History(ArtifactStore(tmp_path / "store"))
    h.arch("k")
    gap = failed(Category.EMULATOR_UNSUPPORTED, UNSUPPORTED)
    h.run(R1, "4.14.0", {"k": gap})
    h.run(R2, "4.14.0", {"k": gap})
    code, out, _ = cli(h.store, capsys, "compare")
    assert code == 0
    assert out.splitlines()[-1] == (
        "0 regressions, 0 fixes, 0 flaky flips, 0 environment-only changes, 0 not blamed on the emulator, "
        "0 changed, 0 new, 0 removed, 1 unchanged"
    )
    assert Status.FAILED.value in json.dumps(
        json.loads(cli(h.store, capsys, "compare", "--format", "json")[1])
    )
