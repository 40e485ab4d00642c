"""matrix.html with more architectures than one page, in headless Chromium from file://: the
grid and the disagreements drawn from the page's JSON by matrix.js, paged, searched and
filtered; names linked only when the architecture is in the report's run; a hostile signature
shown as text; no console error, no request leaving the site's folder; light and dark."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from lsqm.cli import main
from lsqm.records import Category, EmulatorInfo
from lsqm.reporting.matrix import Matrix, build_matrix
from lsqm.store import ArtifactStore

from .histories import PASSED, History, V, failed
from .test_site_browser import ARTIFACTS, Watched, browser

__all__ = ["browser"]  # the fixture, shared with test_site_browser

APPS = 130  # more than one page (100) of the grid
HOSTILE = "</script><b>bold</b> & <img src=x onerror=alert(1)>"
RUNS = (  # (run id, emulator, version, which apps fail there)
    ("20261201T040000Z-aaaaaa", "localstack", "2026.3.0", 0),
    ("20261201T050000Z-bbbbbb", "ministack", "1.5.33", 1),
    ("20261201T060000Z-cccccc", "moto", "5.2.5", 2),  # the latest: the report's run
)


def _verdict(i: int, fails_on: int) -> V:
    if i % 4 != fails_on:
        return PASSED
    if i == 4:
        return failed(Category.EMULATOR_ERROR, HOSTILE)
    return failed(Category.EMULATOR_ERROR, f"sqs.CreateQueue 500 boom-{i:03d}", flaky=i == 8)


def _store(root: Path) -> History:
    h = History(ArtifactStore(root))
    for i in range(APPS):
        h.arch(f"app_{i:03d}", ("sqs",))
    h.arch("zz_gone", ("s3",))  # only in the oldest run: no page in the report
    for run_id, kind, version, fails_on in RUNS:
        verdicts = {f"app_{i:03d}": _verdict(i, fails_on) for i in range(APPS)}
        if fails_on == 0:
            verdicts["zz_gone"] = failed(Category.EMULATOR_UNSUPPORTED, "s3.PutBucketX 501")
        run = h.run(run_id, version, verdicts)
        run.emulator = EmulatorInfo(kind=kind, runtime="host", version=version)
        h.store.write_run(run)
    return h


@pytest.fixture(scope="module")
def matrix_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Matrix]:
    root = tmp_path_factory.mktemp("matrix")
    h = _store(root / "store")
    site = root / "site"
    assert main(["--artifacts", str(h.store.root), "report", "--output", str(site)]) == 0
    return site, build_matrix(h.store)


def rows(page: Page, table: str) -> list[str]:
    return page.locator(f"table.{table} tbody tr td.name").all_inner_texts()


def text(page: Page, selector: str) -> str:
    return page.locator(selector).inner_text()


def test_grid_and_disagreements_page_search_and_filter(
    browser: Browser, matrix_site: tuple[Path, Matrix]
) -> None:
    site, matrix = matrix_site
    names = [matrix.names[h] for h in matrix.order()]
    differing = sorted({d.name for d in matrix.disagreements})
    assert len(names) == APPS + 1 and len(matrix.disagreements) > 100
    page = browser.new_page(viewport={"width": 1360, "height": 900})
    watched = Watched(page)
    page.goto((site / "matrix.html").as_uri())
    page.wait_for_function("performance.getEntriesByName('lsqm-matrix-rendered').length === 1")

    # the grid: one page, then the next shows the 101st architecture
    assert text(page, "#g-count") == f"{APPS + 1} of {APPS + 1} architectures"
    assert text(page, "#g-page") == "1\u2013100 · page 1 of 2"
    assert rows(page, "matrix-grid") == names[:100]
    assert page.locator("#g-prev").is_disabled()
    page.click("#g-next")
    assert rows(page, "matrix-grid") == names[100:]
    assert rows(page, "matrix-grid")[0] == names[100]
    assert page.locator("#g-next").is_disabled()
    gone = page.locator("table.matrix-grid tbody tr").filter(has_text="zz_gone")
    assert gone.locator("a").count() == 0  # not in the report's run: no page to link
    assert gone.locator("td[data-score=unsupported]").count() == 1
    assert gone.locator("td[data-score=none]").count() == 2
    assert gone.locator("td[data-score=none]").first.get_attribute("title") == "not in this run"
    page.click("#g-prev")
    first = page.locator("table.matrix-grid tbody tr").first
    assert first.locator("td.name a").get_attribute("href") == f"arch/{matrix.order()[0]}.html"
    failing = page.locator("table.matrix-grid tbody tr").filter(has_text="app_008")
    wrong = failing.locator("td[data-score=wrong]")
    assert wrong.locator("span.badge.st-failed").inner_text() == "FAILED"
    assert wrong.locator("span.cat").inner_text() == "emulator_error"
    assert wrong.locator("span.flag").inner_text() == "flaky"
    assert wrong.get_attribute("title") == "sqs.CreateQueue 500 boom-008"
    assert failing.locator("td[data-score=correct]").count() == 2

    # search: a hash, then a signature (every cell's), then nothing
    target = matrix.order()[57]
    page.fill("#g-search", target[:10])
    page.wait_for_function("document.querySelector('#g-count').textContent.startsWith('1 of')")
    assert rows(page, "matrix-grid") == [matrix.names[target]]
    page.fill("#g-search", "boom-101")
    page.wait_for_function(
        "document.querySelector('table.matrix-grid tbody td.name').textContent === 'app_101'"
    )
    assert rows(page, "matrix-grid") == ["app_101"]
    page.fill("#g-search", "no such thing")
    page.wait_for_function("document.querySelector('#g-page').textContent === 'no match'")
    assert rows(page, "matrix-grid") == []
    page.fill("#g-search", "")
    page.wait_for_function("document.querySelectorAll('table.matrix-grid tbody tr').length === 100")

    # only the architectures whose verdicts differ (those in Matrix.disagreements)
    page.check("#g-differ")
    assert text(page, "#g-count") == f"{len(differing)} of {APPS + 1} architectures"
    assert text(page, "#g-page") == f"1\u2013{len(differing)} · page 1 of 1"
    shown = rows(page, "matrix-grid")
    assert shown == differing and "app_003" not in shown  # app_003 passes everywhere
    page.fill("#g-search", "app_00")
    page.wait_for_function("document.querySelector('#g-count').textContent.startsWith('8 of')")
    assert rows(page, "matrix-grid") == [n for n in differing if n.startswith("app_00")]
    page.uncheck("#g-differ")
    assert text(page, "#g-count") == f"10 of {APPS + 1} architectures"  # app_000..app_009

    # the disagreements: paged, searched, linked, the hostile signature as text
    total = len(matrix.disagreements)
    assert text(page, "#d-count") == f"{total} of {total} disagreements"
    assert page.locator("table.matrix-disagreements tbody tr").count() == 100
    page.click("#d-next")
    assert page.locator("table.matrix-disagreements tbody tr").count() == min(100, total - 100)
    page.fill("#d-search", "bold")
    page.wait_for_function("document.querySelector('#d-count').textContent.startsWith('2 of')")
    hostile = page.locator("table.matrix-disagreements tbody tr")
    assert hostile.locator("td.sig code").all_inner_texts() == [HOSTILE, HOSTILE]
    assert hostile.locator("td span.badge.st-failed").count() == 2
    assert page.locator("table.matrix-disagreements b, table.matrix-disagreements img").count() == 0
    assert sorted(hostile.locator("td:nth-child(2)").all_inner_texts()) == [
        "ministack 1.5.33",
        "moto 5.2.5",
    ]
    page.fill("#d-search", "app_005")
    page.wait_for_function(
        "document.querySelector('table.matrix-disagreements td.name').textContent === 'app_005'"
    )
    assert text(page, "#d-count") == f"2 of {total} disagreements"
    assert sorted(hostile.locator("td:nth-child(3)").all_inner_texts()) == ["ministack 1.5.33"] * 2
    page.click("table.matrix-disagreements >> text=app_005 >> nth=0")
    assert page.url.endswith(f"arch/{matrix.order()[5]}.html")
    assert watched.errors == []
    assert watched.requests and all(u.startswith("file://") for u in watched.requests)
    page.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_matrix_page_in_both_themes(
    browser: Browser, matrix_site: tuple[Path, Matrix], scheme: str
) -> None:
    """The pager, the filters and the badges take the theme's colours (the screenshots are
    in test-artifacts/ for a person to look at)."""
    site, _ = matrix_site
    context = browser.new_context(color_scheme=scheme, viewport={"width": 1360, "height": 900})
    page = context.new_page()
    watched = Watched(page)
    page.goto((site / "matrix.html").as_uri())
    page.wait_for_function("performance.getEntriesByName('lsqm-matrix-rendered').length === 1")
    ink = {"light": "rgb(31, 35, 40)", "dark": "rgb(230, 237, 243)"}[scheme]
    field = {"light": "rgb(255, 255, 255)", "dark": "rgb(13, 17, 23)"}[scheme]
    style = "el => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor]"
    assert page.locator("#g-next").evaluate(style) == [ink, field]
    assert page.locator("#g-search").evaluate(style) == [ink, field]
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#grid").screenshot(path=str(ARTIFACTS / f"matrix-grid-{scheme}.png"))
    assert watched.errors == []
    context.close()
