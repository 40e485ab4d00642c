"""The mutation score in the report, in headless Chromium (Debian's, through Python
Playwright) from file://: per generator on the run page, beside each architecture's verdict
in the table and on its page, and "not scored" (never blank, never 0) where nothing was
measured."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser

from lsqm.cli import main

from .conftest import build_two_runs
from .sensitivities import measured, unmeasured, write_report
from .test_coverage_browser import arch_page
from .test_site_browser import ARTIFACTS, Watched, browser

__all__ = ["browser"]  # the fixture, shared with test_site_browser


@pytest.fixture
def scored_site(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    history = build_two_runs(tmp_path / "store")
    h = history.hashes
    write_report(history.store, "sensitivity-20261206T000000Z-aaaaaa", [
        measured(h["steady"], "steady", "rules", caught=9, survived=1),
        measured(h["sqs_fixed"], "sqs_fixed", "hand-written", caught=2, survived=2),
        unmeasured(h["s3_site"], "s3_site", "rules"),
    ])  # fmt: skip
    output = tmp_path / "site"
    assert main(["--artifacts", str(history.store.root), "report", "--output", str(output)]) == 0
    capsys.readouterr()
    return output


def test_scores_per_generator_per_row_and_on_the_architecture_page(
    browser: Browser, scored_site: Path
) -> None:
    page = browser.new_page(viewport={"width": 1360, "height": 900})
    watched = Watched(page)
    page.goto((scored_site / "index.html").as_uri())
    panel = page.locator("section#mutation")
    assert "2 of 9 architecture(s) scored" in panel.locator("h2").inner_text()
    rows = [r.split("\t") for r in panel.locator("tbody tr").all_inner_texts()]
    assert rows == [
        ["rules", "9/10 faults caught (90 %) over 1 architecture(s)"],
        ["claude", "not scored: no architecture of it measured"],
        ["hand-written", "2/4 faults caught (50 %) over 1 architecture(s)"],
    ]
    page.wait_for_selector("#rows tr")
    cells = {
        row.locator("td.name a").inner_text(): row.locator("td").nth(5).inner_text()
        for row in page.locator("#rows tr").all()
    }
    assert cells["steady"] == "90 % (9/10)"
    assert cells["sqs_fixed"] == "50 % (2/4)"
    assert cells["s3_site"] == "not scored"  # measured, but its control run failed
    assert cells["new_arch"] == "not scored"  # never measured
    page.screenshot(path=str(ARTIFACTS / "report-mutation-index.png"), full_page=True)

    page.goto(arch_page(scored_site, "steady").as_uri())
    assert page.locator("#mutation-score b").inner_text() == "90 %"
    text = page.locator("section#mutation").inner_text()
    assert "9/10 faults caught (90 %)" in text and "sensitivity-20261206T000000Z-aaaaaa" in text
    assert "sqs.ReceiveMessage:s0" in text  # the fault its tests let through
    page.screenshot(path=str(ARTIFACTS / "report-mutation-architecture.png"), full_page=True)
    page.goto(arch_page(scored_site, "s3_site").as_uri())
    assert page.locator("#mutation-score b").inner_text() == "not scored"
    assert (
        "not scored: the control run did not pass" in page.locator("section#mutation").inner_text()
    )
    page.goto(arch_page(scored_site, "new_arch").as_uri())
    assert (
        "not scored: no lsqm sensitivity run measured it"
        in page.locator("section#mutation").inner_text()
    )
    assert watched.errors == []
    page.close()
