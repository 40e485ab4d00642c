"""The report in a real browser: headless Chromium (Debian's, through Python Playwright)
opens the site from file://, with no console error and no request leaving the site's folder;
search, every filter and sorting change the rows; an architecture's page opens from the
table and shows the failing log excerpt and the LocalStack log lines of its window.
Screenshots of both pages go to ``test-artifacts/``."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, sync_playwright

from lsqm.cli import main
from lsqm.records import Status

from ..conftest import REPO
from .conftest import build_two_runs
from .histories import R1, R2, V, write_logs

ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BULK = 120  # more rows than one page of the table (100)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail(
            "Debian's chromium is not installed: scripts/test.sh installs it "
            "(apt-get install -y chromium)"
        )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def site(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """The two-run history, plus enough passing architectures for a second page of rows."""
    bulk = {f"bulk_{i:03d}": V(Status.PASSED, duration=float(i % 37)) for i in range(BULK)}
    history = build_two_runs(tmp_path / "store", bulk)
    write_logs(history.store, R2, history.hashes["s3_site"])
    output = tmp_path / "site"
    code = main(["--artifacts", str(history.store.root), "report", "--output", str(output)])
    capsys.readouterr()
    assert code == 0
    return output


class Watched:
    """A page whose console errors and requests are recorded."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        self.requests: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("request", self._request)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.errors.append(f"{message.type}: {message.text}")

    def _request(self, request: Request) -> None:
        self.requests.append(request.url)


def names(page: Page) -> list[str]:
    return page.locator("#rows td.name a").all_inner_texts()


def count(page: Page) -> str:
    return page.locator("#count").inner_text()


def test_index_and_an_architecture_page_in_chromium(browser: Browser, site: Path) -> None:
    page = browser.new_page(viewport={"width": 1360, "height": 900})
    watched = Watched(page)
    page.goto((site / "index.html").as_uri())
    page.wait_for_selector("#rows tr")
    total = 9 + BULK
    assert count(page) == f"{total} of {total} architectures"
    assert page.locator("#rows tr").count() == 100  # one page; the rest is a click away
    page.click("#next")
    assert page.locator("#rows tr").count() == total - 100
    page.click("#prev")

    # search
    page.fill("#search", "s3_site")
    page.wait_for_function("document.querySelectorAll('#rows tr').length === 1")
    assert names(page) == ["s3_site"]
    page.fill("#search", "")
    page.wait_for_function("document.querySelectorAll('#rows tr').length === 100")

    # each filter
    def only(select: str, label: str) -> list[str]:
        page.select_option(select, label=label)
        shown = names(page)
        page.select_option(select, value="")
        return shown

    assert sorted(only("#f-status", "FAILED")) == ["ddb_sig", "kinesis", "s3_site"]
    assert only("#f-service", "dynamodb") == ["ddb_sig"]
    assert only("#f-category", "environment") == ["lambda_env"]
    assert only("#f-change", "Regressions (PASSED before, now failing on the emulator)") == [
        "s3_site"
    ]
    page.select_option("#f-status", label="ERROR")
    page.select_option("#f-service", label="iam")
    assert sorted(names(page)) == ["iam_harness", "lambda_env"] and count(page).startswith("2 of")
    page.select_option("#f-status", value="")
    page.select_option("#f-service", value="")

    # sorting: status (the default: the most severe first), name, duration; a second click
    # reverses
    statuses = page.locator("#rows tr td:first-child")
    assert (
        statuses.all_inner_texts()[:9]
        == ["FAILED"] * 3 + ["PARTIAL"] + ["ERROR"] * 2 + ["PASSED"] * 3
    )
    page.click("th[data-sort=status]")
    assert statuses.first.inner_text() == "PASSED"
    page.select_option("#f-status", label="PASSED")
    page.click("th[data-sort=name]")
    shown = names(page)
    assert shown == sorted(shown, key=str.lower) and len(shown) == 100
    page.click("th[data-sort=name]")
    assert names(page)[0] == "steady"  # z..a: steady > sqs_fixed > new_arch > bulk_*
    page.click("th[data-sort=duration]")
    durations = [
        float(t.rstrip("s")) for t in page.locator("#rows tr td:last-child").all_inner_texts()
    ]
    assert durations == sorted(durations) and durations[0] < durations[-1]
    page.select_option("#f-status", value="")

    ARTIFACTS.mkdir(exist_ok=True)
    page.click("th[data-sort=status]")  # failures first for the picture
    page.click("th[data-sort=status]")
    page.screenshot(path=str(ARTIFACTS / "report-index.png"), full_page=True)

    # an architecture page, opened from the table
    page.fill("#search", "s3_site")
    page.wait_for_function("document.querySelectorAll('#rows tr').length === 1")
    page.click("#rows td.name a")
    page.wait_for_load_state("load")
    assert page.url.endswith(f"/arch/{_hash(site, 's3_site')}.html")
    excerpt = page.locator("#failure pre.excerpt")
    assert "Error: error creating S3 Bucket (site): InternalError" in excerpt.inner_text()
    emulator = page.locator("#emulator-log pre")
    assert emulator.is_visible()
    assert "AWS s3.CreateBucket => 500 (InternalError)" in emulator.inner_text()
    assert page.locator("#emulator-log .ln.mark").count() == 1  # the 500 answer is marked
    page.screenshot(path=str(ARTIFACTS / "report-architecture.png"), full_page=True)

    # and the comparison page
    page.goto((site / "compare" / f"{R1}..{R2}.html").as_uri())
    assert "s3_site" in page.locator("#regressions").inner_text()

    assert watched.errors == []
    outside = [u for u in watched.requests if not u.startswith(site.as_uri() + "/")]
    assert outside == []
    assert any(u.endswith("/assets/app.js") for u in watched.requests)  # requests were seen
    page.close()


def _hash(site: Path, name: str) -> str:
    for page in (site / "arch").iterdir():
        if f"<title>{name} " in page.read_text():
            return page.stem
    raise AssertionError(name)
