"""Benchmark of the report's ``matrix.html`` alone: a synthetic emulator matrix of 5,000
architectures on 8 emulator runs, built in memory (no store), then

- the time to render the page as ``write_matrix`` does (the JSON block included);
- the page's size and its JSON block's;
- with Chromium installed: time from navigation to the grid's and the disagreements' first
  page drawn (the page's ``lsqm-matrix-rendered`` mark), and to a search.

Verdicts are drawn at random with a fixed seed so that about 15,000 disagreements arise,
as in the 5,000-architecture store of ``report_scale.py``.

    python benchmarks/matrix_page.py [--archs 5000] [--columns 8] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
import time
from importlib import resources
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from lsqm.records import Category, ResultRow, Status
from lsqm.reporting.matrix import Column, Matrix, _disagreements
from lsqm.reporting.render import JsonBlock, environment

FAILURES = [
    (Status.FAILED, Category.EMULATOR_ERROR),
    (Status.FAILED, Category.EMULATOR_UNSUPPORTED),
    (Status.PARTIAL, Category.EMULATOR_BEHAVIOUR),
    (Status.ERROR, Category.ENVIRONMENT),
    (Status.ERROR, Category.TERRAFORM_CONFIG),
    (Status.TIMEOUT, Category.TIMEOUT),
]
EMULATORS = ["localstack", "moto", "ministack", "localemu"]
SERVICES = ["s3", "sqs", "lambda", "iam", "kms", "sns", "dynamodb"]


def synthetic(archs: int, columns: int, seed: int = 7) -> Matrix:
    """Most architectures pass nearly everywhere, a third fail nearly everywhere; about 3%
    are missing from each run."""
    rnd = random.Random(seed)
    signatures = [
        f"aws_{rnd.choice(SERVICES)}_thing.x{i}: "
        f"{rnd.choice(['501 InternalFailure', 'assert 0 == 1', 'ValidationException: <v> & w'])}"
        for i in range(400)
    ]
    hashes = [f"{i:012x}" for i in range(archs)]
    kinds = ["web", "etl", "queue", "api"]
    names = {h: f"arch-{rnd.choice(kinds)}-{i}" for i, h in enumerate(hashes)}
    good = {h: rnd.random() > 0.35 for h in hashes}
    cols = []
    for c in range(columns):
        quality = rnd.random()
        rows = {}
        for h in hashes:
            if rnd.random() < 0.03:
                continue
            duration = rnd.random() * 60
            if rnd.random() < (0.93 + 0.07 * quality if good[h] else 0.15):
                rows[h] = ResultRow(name=names[h], status=Status.PASSED, duration_s=duration)
            else:
                status, category = rnd.choice(FAILURES)
                rows[h] = ResultRow(
                    name=names[h],
                    status=status,
                    category=category,
                    signature=rnd.choice(signatures),
                    duration_s=duration,
                    flaky=rnd.random() < 0.02,
                )
        run_id = f"202612{c + 1:02d}T040000Z-abcdef"
        cols.append(Column(run_id, EMULATORS[c % 4], f"1.{c}.0", rows))
    matrix = Matrix(cols, names, {h: rnd.sample(SERVICES, 2) for h in hashes})
    matrix.disagreements = _disagreements(matrix)
    return matrix


def render(matrix: Matrix, linked: set[str]) -> str:
    """matrix.html as ``_Builder.write_matrix`` renders it."""
    template = environment().get_template("matrix.html")
    run_id = matrix.columns[-1].run_id
    view = SimpleNamespace(run_id=run_id)
    return template.render(root="", generated_at="now", view=view, **matrix.page_context(linked))


def in_chromium(page_path: Path) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        return {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1360, "height": 900})
        page.goto(page_path.as_uri())
        page.wait_for_function("performance.getEntriesByName('lsqm-matrix-rendered').length")
        mark = page.evaluate("performance.getEntriesByName('lsqm-matrix-rendered')[0].startTime")
        count = "document.querySelector('#g-count').textContent"
        before = page.evaluate(count)
        start = time.perf_counter()
        page.fill("#g-search", "arch-api-12")  # the box waits 80 ms for typing to stop
        page.wait_for_function(f"{count} !== {json.dumps(before)}")
        searched = time.perf_counter() - start
        browser.close()
    return {"rendered_s": mark / 1000, "search_s": searched}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archs", type=int, default=5000)
    parser.add_argument("--columns", type=int, default=8)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    matrix = synthetic(args.archs, args.columns)
    linked = set(matrix.columns[-1].rows)
    start = time.perf_counter()
    html = render(matrix, linked)
    figures: dict[str, Any] = {
        "architectures": len(matrix.names),
        "columns": len(matrix.columns),
        "disagreements": len(matrix.disagreements),
        "render_s": round(time.perf_counter() - start, 3),
        "page_bytes": len(html.encode()),
        "json_bytes": len(JsonBlock(matrix.page_data(linked)).text.encode()),
    }
    with tempfile.TemporaryDirectory() as folder:
        site = Path(folder)
        (site / "assets").mkdir()
        static = resources.files("lsqm.reporting") / "static"
        for name in ("style.css", "matrix.js"):
            (site / "assets" / name).write_bytes((static / name).read_bytes())
        (site / "matrix.html").write_text(html, encoding="utf-8")
        figures["chromium"] = in_chromium(site / "matrix.html")
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(
        f"{figures['architectures']} architectures x {figures['columns']} columns, "
        f"{figures['disagreements']} disagreements"
    )
    print(f"render matrix.html      {figures['render_s']:.2f} s")
    print(f"page                    {figures['page_bytes'] / 1e6:.2f} MB")
    print(f"  of which JSON         {figures['json_bytes'] / 1e6:.2f} MB")
    browser = figures["chromium"]
    if browser:
        print(f"Chromium: drawn         {browser['rendered_s']:.2f} s from navigation")
        print(f"Chromium: a search      {browser['search_s'] * 1000:.0f} ms")
    else:
        print("Chromium                not installed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
