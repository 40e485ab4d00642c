"""``lsqm report``: the site's files, its data, escaping, redaction and folder safety
(checked on the files; the browser tests check it in Chromium), the Markdown step summary
and JUnit XML."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from lsqm.cli import main
from lsqm.records import Category
from lsqm.store import ArtifactStore

from .histories import PASSED, R1, R2, History, failed, write_logs


def cli(
    store: ArtifactStore, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    code = main(["--artifacts", str(store.root), *args])
    out, err = capsys.readouterr()
    return code, out, err


def embedded_data(index: Path) -> dict[str, object]:
    match = re.search(
        r'<script type="application/json" id="lsqm-data">(.*?)</script>', index.read_text(), re.S
    )
    assert match is not None
    data: dict[str, object] = json.loads(match.group(1))
    return data


def test_site_pages_data_and_no_outside_reference(
    two_runs: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_logs(two_runs.store, R2, two_runs.hashes["s3_site"])
    site = tmp_path / "site"
    code, out, err = cli(two_runs.store, capsys, "report", "--output", str(site))
    assert code == 0, err
    assert out == f"{site / 'index.html'}\n"
    assert (site / ".lsqm-report").is_file()
    latest = two_runs.store.run_index(R2).results
    assert sorted(p.stem for p in (site / "arch").iterdir()) == sorted(latest)
    assert [p.name for p in (site / "compare").iterdir()] == [f"{R1}..{R2}.html"]
    data = embedded_data(site / "index.html")
    rows = data["rows"]
    assert isinstance(rows, list) and len(rows) == 9
    statuses = data["statuses"]
    assert isinstance(statuses, list)
    by_hash = {r[0]: statuses[r[2]] for r in rows}
    assert by_hash == {h: row.status.value for h, row in latest.items()}
    for path in site.rglob("*"):
        if path.suffix in (".html", ".css", ".js"):
            text = path.read_text()
            assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), path
            assert "url(http" not in text and "@import" not in text, path
    page = (site / "arch" / f"{two_runs.hashes['s3_site']}.html").read_text()
    assert "Error: error creating S3 Bucket (site): InternalError" in page  # the excerpt
    assert "AWS s3.CreateBucket =&gt; 500 (InternalError)" in page  # the emulator's lines
    assert (
        f"lsqm --artifacts {two_runs.store.root} validate --arch {two_runs.hashes['s3_site']}"
        in page
    )
    flaky = (site / "arch" / f"{two_runs.hashes['sns_flaky']}.html").read_text()
    assert "Attempts in this run" in flaky and 'class="flag">flaky' in flaky


def test_everything_embedded_is_escaped_and_redacted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_SERVICE_TOKEN", "s3cr3t-value-from-env")
    h = History(ArtifactStore(tmp_path / "store"))
    evil = "<img src=x onerror=alert(1)>"
    h.arch(evil)
    token = "ghp_" + "Z" * 36
    h.run(R1, "4.14.0", {evil: failed(Category.EMULATOR_ERROR, f"</script><b>boom</b> {token}")})
    write_logs(
        h.store,
        R1,
        h.hashes[evil],
        apply=f"Error: denied s3cr3t-value-from-env {token}\n",
        emulator=f"<script>alert(2)</script> {token}\n",
    )
    site = tmp_path / "site"
    assert cli(h.store, capsys, "report", "--output", str(site))[0] == 0
    text = "".join(p.read_text() for p in site.rglob("*.html"))
    assert "<img src=x" not in text and "<script>alert" not in text and "</script><b>" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert token not in text and "s3cr3t-value-from-env" not in text
    assert "[REDACTED]" in text
    assert embedded_data(site / "index.html")["rows"][0][1] == evil  # type: ignore[index]


def test_output_folder_safety(
    two_runs: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    code, out, err = cli(two_runs.store, capsys, "report", "--output", str(mine))
    assert code == 2 and "not an lsqm report" in err and out == ""
    assert (mine / "notes.txt").read_text() == "keep me"
    code, _, err = cli(two_runs.store, capsys, "report", "--output", str(two_runs.store.root))
    assert code == 2 and "artifact store" in err
    # A report replaces an earlier report whole: pages of architectures gone from the run go.
    site = tmp_path / "site"
    assert cli(two_runs.store, capsys, "report", "--run", R1, "--output", str(site))[0] == 0
    old_page = site / "arch" / f"{two_runs.hashes['old_arch']}.html"
    assert old_page.is_file()
    assert cli(two_runs.store, capsys, "report", "--output", str(site))[0] == 0
    assert not old_page.exists()
    assert not list(tmp_path.glob(".site.*"))  # no staging folder left behind


def test_report_of_an_empty_store_or_unknown_run_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = ArtifactStore(tmp_path / "store")
    for args in (["report", "--output", str(tmp_path / "s")], ["report", "--format", "markdown"]):
        code, out, err = cli(store, capsys, *args)
        assert code == 2 and "no runs in" in err and out == "" and "Traceback" not in err
    h = History(store)
    h.arch("a")
    h.run(R1, "4.14.0", {"a": PASSED})
    code, _, err = cli(store, capsys, "report", "--run", "nope", "--format", "junit")
    assert code == 2 and "no run 'nope'" in err


def test_markdown_step_summary(two_runs: History, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(two_runs.store, capsys, "report", "--format", "markdown")
    assert code == 0
    assert out.startswith(f"## LocalStack Quality Monitor: run `{R2}`\n\n")
    assert f"**Pass rate 33.3%** (3 of 9 architectures), -22.2 pts since `{R1}`" in out
    assert (
        "| PASSED | PARTIAL | FAILED | TIMEOUT | ERROR |\n| --- | --- | --- | --- | --- |\n| 3 | 1 | 3 | 0 | 2 |"
        in out
    )
    assert "#### Regressions (PASSED before, now failing on the emulator) (1)" in out
    assert "### Top gaps (the emulator)" in out
    assert (
        "| 1 | `aws_kinesis_stream:InternalFailure:501: kinesis not implemented` | emulator_unsupported | 1 | kinesis |"
        in out
    )
    assert "### Not measured (environment, configuration, harness, no tests)" in out


def test_junit_has_one_testcase_per_architecture(
    two_runs: History, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cli(two_runs.store, capsys, "report", "--format", "junit")
    assert code == 0
    suite = ET.fromstring(out)
    assert suite.tag == "testsuite"
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("9", "4", "2")
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert len(cases) == 9
    s3 = cases[f"s3_site ({two_runs.hashes['s3_site']})"]
    failure = s3.find("failure")
    assert failure is not None and failure.get("type") == "emulator_error"
    assert failure.get("message") == "FAILED emulator_error: aws_s3_bucket:500: InternalError"
    assert s3.get("classname") == "lsqm.s3"
    env = cases[f"lambda_env ({two_runs.hashes['lambda_env']})"].find("error")
    assert env is not None and env.get("type") == "environment"
    assert list(cases[f"steady ({two_runs.hashes['steady']})"]) == []


def test_report_json_agrees_with_status(
    two_runs: History, capsys: pytest.CaptureFixture[str]
) -> None:
    report = json.loads(cli(two_runs.store, capsys, "report", "--format", "json")[1])
    status = json.loads(cli(two_runs.store, capsys, "status", "--format", "json")[1])
    assert report["summary"] == status["latest_run"]["summary"]
    assert report["pass_rate_change"] == status["pass_rate_change"]
    assert report["top_gaps"][:5] == status["top_gaps"]
    assert [t["run_id"] for t in report["trend"]] == [R1, R2]
    assert [v["version"] for v in report["by_version"]] == ["4.14.0", "2026.3.0"]


def test_dry_run_writes_nothing(
    two_runs: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site"
    code, out, _ = cli(two_runs.store, capsys, "--dry-run", "report", "--output", str(site))
    assert code == 0 and out == f"would write the report of run {R2} to {site}\n"
    assert not site.exists()


def test_an_architecture_page_shows_its_confirmed_reduction(
    two_runs: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = two_runs.store
    s3 = two_runs.hashes["s3_site"]
    folder = store.reduction_dir(s3)
    folder.mkdir(parents=True)
    facts = {
        "signature": store.results(R2)[s3].signature, "confirmed": True, "status": "FAILED",
        "category": "emulator_error", "emulator": "localstack", "version": "2026.3.0",
        "resources_before": 9, "resources_after": 1, "lines_before": 120, "lines_after": 4,
        "probes": 17,
    }  # fmt: skip
    (folder / "reduction.json").write_text(json.dumps(facts))
    (folder / "main.tf").write_text('resource "aws_s3_bucket" "site" {\n  bucket = "<b>"\n}\n')
    (folder / "ISSUE.md").write_text("# s3: CreateBucket fails\n")
    site = tmp_path / "site"
    assert cli(store, capsys, "report", "--output", str(site))[0] == 0
    page = (site / "arch" / f"{s3}.html").read_text()
    assert 'id="reduction"' in page and "1 of 9 resources and 4 of 120 lines" in page
    assert "bucket = &#34;&lt;b&gt;&#34;" in page  # escaped like everything embedded
    assert "# s3: CreateBucket fails" in page
    other = (site / "arch" / f"{two_runs.hashes['sns_flaky']}.html").read_text()
    assert 'id="reduction"' not in other
