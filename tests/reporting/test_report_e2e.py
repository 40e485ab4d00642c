"""End to end: bundled examples and the repository's broken fixtures, validated twice with
real Terraform on a real LocalStack (the second run leaves one example out), make a report
whose numbers are the numbers ``status --format json`` and ``compare --format json`` give."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from lsqm.cli import main
from lsqm.config import Settings
from lsqm.ingest import add_local
from lsqm.store import ArtifactStore
from lsqm.toolchain.terraform_install import TerraformToolchain
from lsqm.validation.run import execute, plan_run

from ..conftest import ARCHS, REPO

pytestmark = pytest.mark.e2e

EXAMPLES = ["sqs_dlq", "ssm_parameters"]
BROKEN = ["wrong_assertion", "empty_tests", "invalid_hcl", "cognito"]


def _cli(store: ArtifactStore, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["--artifacts", str(store.root), *args])
    out, _err = capsys.readouterr()
    return code, out


def test_report_status_and_compare_agree(
    e2e_settings: Settings,
    toolchain: TerraformToolchain,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = ArtifactStore(e2e_settings.artifacts_dir)
    examples = [add_local(store, REPO / "examples" / n, REPO / "examples" / n / "tests", n)
                for n in EXAMPLES]  # fmt: skip
    broken = [add_local(store, ARCHS / n, ARCHS / n / "tests", n) for n in BROKEN]
    e2e_settings.parallel = 2
    runs = []
    for arch in (examples + broken, examples[1:] + broken):  # the second leaves one out
        plan = plan_run(store, run_id=None, arch=arch, shard=None)
        runs.append(execute(e2e_settings, store, plan, on_result=lambda _r: None,
                            toolchain=toolchain))  # fmt: skip

    code, out = _cli(store, capsys, "status", "--format", "json")
    assert code == 0
    status = json.loads(out)
    code, out = _cli(store, capsys, "compare", "--format", "json")
    compared = json.loads(out)
    assert code == (1 if compared["regressions"] else 0)
    site = tmp_path / "site"
    code, out = _cli(store, capsys, "report", "--format", "json", "--output", str(site))
    assert code == 0
    report = json.loads(out)

    head = runs[1]
    assert status["latest_run"]["run_id"] == compared["head"]["run_id"] == report["run_id"]
    assert status["latest_run"]["summary"] == compared["head"]["summary"] == report["summary"]
    assert report["summary"] == head.summary.to_json()  # what validate wrote in run.json
    assert status["latest_run"]["pass_rate"] == compared["head"]["pass_rate"] == report["pass_rate"]
    assert status["pass_rate_change"] == compared["pass_rate_change"] == report["pass_rate_change"]
    assert compared["base"]["summary"] == runs[0].summary.to_json()
    assert [e["name"] for e in compared["removed"]] == [EXAMPLES[0]]
    assert report["changes"] == compared["counts"]
    assert status["top_gaps"] == report["top_gaps"][:5]
    # The fixtures are what they are: no verdict changed between the two runs.
    assert compared["regressions"] == compared["fixes"] == compared["changed"] == []
    assert compared["unchanged"] == 5
    by_category = {g["category"] for g in report["top_gaps"]}
    assert by_category == {"emulator_behaviour", "emulator_unsupported"}  # wrong_assertion, cognito
    assert {g["category"] for g in report["blockers"]} == {"no_tests", "terraform_config"}

    # The site shows the same numbers.
    index = (site / "index.html").read_text()
    blob = re.search(r'id="lsqm-data">(.*?)</script>', index, re.S)
    assert blob is not None
    data = json.loads(blob.group(1))
    shown = [data["statuses"][row[2]] for row in data["rows"]]
    for name, count in report["summary"].items():
        if name != "total":
            assert shown.count(name) == count
    assert len(shown) == report["summary"]["total"] == 5
    rate = f"{report['pass_rate'] * 100:.1f}%"
    assert f'<div class="card-value">{rate}</div>' in index
    wrong = next(r[0] for r in data["rows"] if r[1] == "wrong_assertion")
    page = (site / "arch" / f"{wrong}.html").read_text()
    assert "AssertionError: assert &#39;45&#39; == &#39;999&#39;" in page  # the excerpt
    assert "AWS sqs.GetQueueAttributes =&gt; 200" in page  # the emulator's lines
