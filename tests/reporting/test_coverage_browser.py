"""The coverage page, an architecture's trace table and the dark theme in headless Chromium
(Debian's, through Python Playwright), from file://: both system schemes, the toggle
remembered across a reload, no console error, no request leaving the site's folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from lsqm.cli import main

from .conftest import build_two_runs
from .test_site_browser import ARTIFACTS, Watched, browser
from .traces import T1, T2, build_traced

__all__ = ["browser"]  # the fixture, shared with test_site_browser

LIGHT_BG, DARK_BG = "rgb(246, 247, 249)", "rgb(13, 17, 23)"


def report(root: Path, output: Path, *args: str) -> Path:
    assert main(["--artifacts", str(root), "report", "--output", str(output), *args]) == 0
    return output


@pytest.fixture
def traced_site(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    root = build_traced(tmp_path / "store").store.root
    site = report(root, tmp_path / "site")
    capsys.readouterr()
    return site


def background(page: Page) -> str:
    return str(page.evaluate("getComputedStyle(document.body).backgroundColor"))


def arch_page(site: Path, name: str) -> Path:
    for page in (site / "arch").iterdir():
        if f"<title>{name} " in page.read_text():
            return page
    raise AssertionError(name)


def test_coverage_page_and_trace_table(browser: Browser, traced_site: Path) -> None:
    context = browser.new_context(color_scheme="light", viewport={"width": 1360, "height": 900})
    page = context.new_page()
    watched = Watched(page)
    page.goto((traced_site / "index.html").as_uri())
    cards = page.locator(".card").all_inner_texts()
    tested = next(c for c in cards if c.startswith("OPERATIONS TESTED") or "Operations" in c)
    assert "2\n" in tested and "3/4 traced results" in tested  # queue's two test calls
    page.click("#coverage-link")
    page.wait_for_load_state("load")
    assert page.url.endswith("/coverage.html")
    scores = page.locator("#scores tbody tr").all_inner_texts()
    assert [s.split("\t") for s in scores] == [
        ["localstack 4.14.0", T1, "2/3", "5", "1", "1", "4"],
        ["localstack 2026.3.0", T2, "3/4", "10", "1", "0", "0"],
    ]
    ops = page.locator("#operations tbody tr td.op").all_inner_texts()
    assert ops[:3] == ["apigatewayv2.CreateApi", "sqs.ReceiveMessage", "sts.GetCallerIdentity"]
    first = page.locator("#operations tbody tr").first.locator("td.cellx")
    assert first.nth(0).inner_text().startswith("unsupported 1 (tf 1, tests 0): 0 pass, 1 fail")
    assert first.nth(1).inner_text().startswith("correct 1 (tf 1, tests 0): 1 pass")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report-coverage.png"), full_page=True)

    # env's trace: the 500 marked, not a failure *at* it (its verdict blames the environment)
    page.goto(arch_page(traced_site, "env").as_uri())
    rows = page.locator("#trace tbody tr")
    assert [r.split("\t")[:4] for r in rows.all_inner_texts()] == [
        ["sts.GetCallerIdentity", "init", "", "200"],
        ["iam.CreateRole", "apply", "", "200"],
        ["lambda.CreateFunction", "apply", "", "500"],
    ]
    assert rows.nth(2).get_attribute("class") == "s-5xx"
    assert page.locator("#trace tr.at").count() == 0
    assert watched.errors == []
    outside = [u for u in watched.requests if not u.startswith(traced_site.as_uri() + "/")]
    assert outside == []
    context.close()


def test_the_failing_call_is_marked(
    browser: Browser, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = build_traced(tmp_path / "store").store.root
    site = report(root, tmp_path / "site", "--run", T1)
    capsys.readouterr()
    page = browser.new_page()
    page.goto(arch_page(site, "queue").as_uri())
    marked = page.locator("#trace tr.at")
    assert marked.count() == 1
    assert marked.inner_text().split("\t")[:4] == [
        "sqs.ReceiveMessage",
        "test",
        "test_app::test_two",
        "200",
    ]
    page.goto(arch_page(site, "old").as_uri())
    assert page.locator("#trace").inner_text().endswith("no trace recorded for this result.")
    page.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_theme_follows_the_system_and_the_toggle_is_remembered(
    browser: Browser, traced_site: Path, scheme: str
) -> None:
    system, other = (LIGHT_BG, DARK_BG) if scheme == "light" else (DARK_BG, LIGHT_BG)
    context = browser.new_context(color_scheme=scheme)  # type: ignore[arg-type]
    page = context.new_page()
    watched = Watched(page)
    index = (traced_site / "index.html").as_uri()
    page.goto(index)
    assert background(page) == system
    assert page.evaluate("document.documentElement.dataset.theme") is None
    page.click("#theme-toggle")
    assert background(page) == other
    page.reload()
    assert background(page) == other  # remembered
    page.goto((traced_site / "coverage.html").as_uri())
    assert background(page) == other  # on every page
    page.screenshot(path=str(ARTIFACTS / f"report-coverage-{scheme}-toggled.png"))
    page.click("#theme-toggle")
    page.reload()
    assert background(page) == system
    assert watched.errors == []
    outside = [u for u in watched.requests if not u.startswith(traced_site.as_uri() + "/")]
    assert outside == []
    context.close()


def test_a_report_without_traces_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = build_two_runs(tmp_path / "store").store.root
    site = report(root, tmp_path / "site")
    capsys.readouterr()
    coverage = (site / "coverage.html").read_text()
    assert "no trace recorded: the runs were validated before lsqm recorded" in coverage
    assert "no trace recorded for this result." in arch_page(site, "s3_site").read_text()
    assert 'href="coverage.html"' in (site / "index.html").read_text()
