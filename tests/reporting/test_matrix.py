"""The emulator matrix (``compare --matrix``, ``matrix.html``): one column per emulator and
version, each result scored once (correct / wrong / unsupported / not exercised, never
merged), per-service pass rates, and every "passes on X, fails on Y" with Y's verdict and
signature. The page is checked in headless Chromium."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from lsqm.cli import main
from lsqm.records import Category, EmulatorInfo, Status
from lsqm.reporting.history import History as RunHistory
from lsqm.reporting.matrix import build_matrix, matrix_text, score
from lsqm.store import ArtifactStore

from .histories import PASSED, History, V, failed
from .test_site_browser import Watched, browser  # noqa: F401 - the module's Chromium fixture

LS = "20261201T040000Z-aaaaaa"
MINI = "20261201T050000Z-bbbbbb"
LOGS_SIG = "test_metric_filter_publishes_error_count: assert 0 == (<*>)"


def _store(root: Path) -> History:
    h = History(ArtifactStore(root))
    h.arch("sqs_ok", ("sqs",))
    h.arch("logs", ("logs", "cloudwatch"), ("aws_cloudwatch_log_metric_filter",))
    h.arch("cognito", ("cognito-idp",), ("aws_cognito_user_pool",))
    h.arch("lambda_fn", ("lambda", "iam"), ("aws_lambda_function",))
    h.arch("bad_config", ("s3",), ("aws_s3_bucket",))
    unsupported = failed(Category.EMULATOR_UNSUPPORTED, "aws_cognito_user_pool: 501")
    no_docker = failed(Category.ENVIRONMENT, "lambda: no Docker to execute functions")
    config = failed(Category.TERRAFORM_CONFIG, "Missing required argument")
    for run_id, kind, version, verdicts in (
        (LS, "localstack", "2026.3.0", {
            "sqs_ok": PASSED, "logs": PASSED, "cognito": unsupported,
            "lambda_fn": no_docker, "bad_config": config}),
        (MINI, "ministack", "1.5.33", {
            "sqs_ok": V(Status.PASSED, duration=4.0),
            "logs": failed(Category.EMULATOR_BEHAVIOUR, LOGS_SIG),
            "cognito": PASSED, "lambda_fn": PASSED, "bad_config": config}),
    ):  # fmt: skip
        run = h.run(run_id, version, verdicts)
        run.emulator = EmulatorInfo(kind=kind, runtime="host", version=version)
        h.store.write_run(run)
    return h


def test_scores_are_kept_apart_and_disagreements_carry_both_sides(tmp_path: Path) -> None:
    h = _store(tmp_path / "store")
    matrix = build_matrix(h.store)
    data = matrix.to_json()
    by_label = {c["label"]: c for c in data["columns"]}
    assert by_label["localstack 2026.3.0"]["scores"] == {
        "correct": 2, "wrong": 0, "unsupported": 1, "not_exercised": 2,
    }  # fmt: skip
    assert by_label["ministack 1.5.33"]["scores"] == {
        "correct": 3, "wrong": 1, "unsupported": 0, "not_exercised": 1,
    }  # fmt: skip
    assert by_label["ministack 1.5.33"]["pass_rate"] == 0.6
    assert by_label["ministack 1.5.33"]["seconds_per_architecture"] == 8.8  # (4 + 4*10) / 5
    found = {(d.name, d.passes, d.fails): (d.status, d.category, d.signature)
             for d in matrix.disagreements}  # fmt: skip
    assert found == {
        ("logs", "localstack 2026.3.0", "ministack 1.5.33"):
            ("PARTIAL", "emulator_behaviour", LOGS_SIG),
        ("cognito", "ministack 1.5.33", "localstack 2026.3.0"):
            ("FAILED", "emulator_unsupported", "aws_cognito_user_pool: 501"),
        ("lambda_fn", "ministack 1.5.33", "localstack 2026.3.0"):
            ("ERROR", "environment", "lambda: no Docker to execute functions"),
    }  # fmt: skip
    assert data["services"]["logs"] == {"localstack 2026.3.0": 1.0, "ministack 1.5.33": 0.0}
    assert data["services"]["s3"] == {"localstack 2026.3.0": 0.0, "ministack 1.5.33": 0.0}
    text = matrix_text(matrix)
    assert "logs: passes on localstack 2026.3.0; PARTIAL on ministack 1.5.33" in text
    assert score(h.store.run_index(LS).results[h.hashes["bad_config"]]) == "not_exercised"


def test_compare_matrix_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    h = _store(tmp_path / "store")
    code = main(["--artifacts", str(h.store.root), "compare", "--matrix", "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and [c["run_id"] for c in out["columns"]] == [LS, MINI]
    code = main(["--artifacts", str(h.store.root), "compare", "--matrix", MINI[:12]])
    assert code == 0 and "ministack 1.5.33" in capsys.readouterr().out
    # Two runs on two emulators are not an upgrade: compare says so instead of ordering
    # 2026.3.0 against 1.5.33.
    main(["--artifacts", str(h.store.root), "compare", LS, MINI, "--format", "json"])
    change = json.loads(capsys.readouterr().out)["version_change"]
    assert (change["from"], change["to"], change["direction"]) == (
        "localstack 2026.3.0",
        "ministack 1.5.33",
        "another emulator",
    )
    code = main(["--artifacts", str(h.store.root), "compare", LS, MINI, LS])
    assert code == 2 and "use --matrix" in capsys.readouterr().err


def test_the_matrix_page_in_chromium(
    browser: Browser,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    h = _store(tmp_path / "store")
    site = tmp_path / "site"
    assert main(["--artifacts", str(h.store.root), "report", "--output", str(site)]) == 0
    capsys.readouterr()
    page = browser.new_page(viewport={"width": 1360, "height": 900})
    watched = Watched(page)
    page.goto((site / "index.html").as_uri())
    page.click("header nav >> text=Emulators")
    page.wait_for_selector("table.matrix-scores")
    assert page.url.endswith("/matrix.html")
    rows = page.locator("table.matrix-scores tbody tr")
    assert rows.count() == 2
    assert rows.nth(1).locator("td").all_inner_texts()[4:8] == ["3", "1", "0", "1"]
    disagreements = page.locator("table.matrix-disagreements tbody tr")
    assert disagreements.count() == 3
    logs = disagreements.filter(has_text="logs")
    assert "ministack 1.5.33" in logs.inner_text() and LOGS_SIG[:40] in logs.inner_text()
    grid = page.locator("table.matrix-grid tbody tr").filter(has_text="cognito")
    assert grid.locator("td[data-score=unsupported]").count() == 1
    assert grid.locator("td[data-score=correct]").count() == 1
    page.click("table.matrix-disagreements >> text=logs")  # links to the architecture page
    assert page.url.endswith(f"arch/{h.hashes['logs']}.html")
    assert watched.errors == []
    assert all(u.startswith("file://") for u in watched.requests)
    page.close()


def test_page_data_indices_resolve_to_the_matrix(tmp_path: Path) -> None:
    """matrix.html's compact JSON: every index resolves to the string the matrix holds, every
    string is listed once, and the disagreements are Matrix.disagreements, in order."""
    h = _store(tmp_path / "store")
    matrix = build_matrix(h.store)
    linked = {h.hashes["logs"], h.hashes["cognito"]}
    data = matrix.page_data(linked)
    row, cell = ({n: i for i, n in enumerate(data[k])} for k in ("row", "cell"))
    assert data["columns"] == ["localstack 2026.3.0", "ministack 1.5.33"]
    assert len(set(data["signatures"])) == len(data["signatures"])
    assert [a[row["name"]] for a in data["architectures"]] == sorted(h.hashes)
    for a in data["architectures"]:
        arch_hash = a[row["hash"]]
        assert a[row["name"]] == matrix.names[arch_hash]
        assert a[row["linked"]] == int(arch_hash in linked)
        for column, c in zip(matrix.columns, a[row["cells"]], strict=True):
            expected = matrix.cell(arch_hash, column)
            assert expected is not None and c is not None  # every one is in both runs
            category = data["categories"][c[cell["category"]]] if c[cell["category"]] >= 0 else ""
            assert (
                data["statuses"][c[cell["status"]]],
                category,
                data["signatures"][c[cell["signature"]]],
                data["scores"][c[cell["score"]]],
            ) == (
                str(expected.status),
                str(expected.category or ""),
                expected.signature,
                score(expected).value,
            )
    resolved = []
    for arch, passes, fails in data["disagreements"]:
        a = data["architectures"][arch]
        there = a[row["cells"]][fails]
        category = there[cell["category"]]
        resolved.append(
            (
                a[row["hash"]],
                a[row["name"]],
                data["columns"][passes],
                data["columns"][fails],
                data["statuses"][there[cell["status"]]],
                data["categories"][category] if category >= 0 else "",
                data["signatures"][there[cell["signature"]]],
            )
        )
    assert resolved == [
        (d.arch_hash, d.name, d.passes, d.fails, d.status, d.category, d.signature)
        for d in matrix.disagreements
    ]
    assert len(resolved) == 3


def test_page_data_marks_missing_cells_and_flaky_verdicts(tmp_path: Path) -> None:
    h = _store(tmp_path / "store")
    h.arch("only_here", ("sqs",))
    flaky = V(Status.PARTIAL, Category.EMULATOR_BEHAVIOUR, "assert 1 == 2", flaky=True)
    run = h.run("20261201T060000Z-cccccc", "5.2.5", {"only_here": flaky, "sqs_ok": PASSED})
    run.emulator = EmulatorInfo(kind="moto", runtime="host", version="5.2.5")
    h.store.write_run(run)
    data = build_matrix(h.store).page_data(set())
    by_name = {a[1]: a for a in data["architectures"]}
    assert by_name["only_here"][3][:2] == [None, None]  # not in the localstack, ministack runs
    moto = by_name["only_here"][3][2]
    assert moto is not None and len(moto) == 5 and moto[4] == 1  # flaky: a fifth element
    assert len(by_name["sqs_ok"][3][2]) == 4  # not flaky: four
    assert all(a[2] == 0 for a in data["architectures"])  # nothing linked


def test_a_matrix_from_the_runs_already_read_is_the_same(tmp_path: Path) -> None:
    """The report hands build_matrix its history (runs and architectures read once); the
    matrix is the one read from the store, architectures that left the store included."""
    h = _store(tmp_path / "store")
    shutil.rmtree(h.store.architecture_dir(h.hashes["lambda_fn"]))
    history = RunHistory.load(h.store)
    assert build_matrix(h.store, history=history).to_json() == build_matrix(h.store).to_json()
    assert build_matrix(h.store).services[h.hashes["lambda_fn"]] == []
    older = RunHistory.load(h.store, upto=LS)  # a report of the older run: MINI read from disk
    assert build_matrix(h.store, history=older).to_json() == build_matrix(h.store).to_json()
