"""The report: a static site that works from ``file://`` and from GitHub Pages, every asset
inside it (no CDN, no request leaving its folder).

    index.html                 summary cards, trend and status charts, service-by-run matrix,
                               top gaps, and the table of every architecture (rendered in the
                               browser from a JSON blob embedded in the page)
    coverage.html              the operations architectures call, per emulator release
                               (:mod:`lsqm.reporting.coverage`), linked from every page
    arch/<hash>.html           one page per architecture of the run, with its operation trace
    compare/<base>..<head>.html  one page per pair of consecutive runs
    assets/                    style.css, app.js, code.css

The site is built in a folder beside ``output`` and swapped in whole, so a reader never sees
half a report and pages of architectures that left the run do not linger. An existing
``output`` is replaced only when it is an lsqm report (it holds ``.lsqm-report``) or empty.
"""

from __future__ import annotations

import multiprocessing
import os
import secrets
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any

from jinja2 import Environment

from lsqm.errors import UsageError
from lsqm.files import utcnow
from lsqm.messages import Say, quiet
from lsqm.records import CATEGORY_MEANING, Result, ResultRow, Status
from lsqm.reporting import charts, render
from lsqm.reporting.code import CodeShelf, Source, pygments_css
from lsqm.reporting.compare import BUCKETS, Comparison, compare
from lsqm.reporting.coverage import NO_TRACE, Coverage, cell_text, coverage_of, latest_runs
from lsqm.reporting.details import load_details, shared_page, shared_sources
from lsqm.reporting.formats import TITLES, verdict
from lsqm.reporting.gaps import blockers, top_gaps
from lsqm.reporting.history import (
    History,
    RunView,
    pass_rate_by_run,
    pass_rate_by_version,
    require_runs,
    service_matrix,
    status_history,
)
from lsqm.reporting.matrix import build_matrix
from lsqm.reporting.mutation import by_generator, latest_scores, score_text
from lsqm.reporting.overview import runtime_calls
from lsqm.reporting.render import Redacted, Redactor, environment, pct, pts, seconds, status_class
from lsqm.reporting.reproduce import ENDPOINT, override_text, reproduce
from lsqm.reporting.table import table_data
from lsqm.store import ArtifactStore

MARKER = ".lsqm-report"
OVERRIDE = "lsqm_override.tf"
ASSETS = ("style.css", "app.js", "matrix.js")
STATUS_RUNS = 26  # runs in the status distribution chart
MATRIX_RUNS = 12  # runs in the service-by-run matrix
RECENT_RUNS = 12  # runs listed on the index
INDEX_GAPS = 15
PARALLEL_PAGES = 64  # architecture pages worth forking writers for


@dataclass(frozen=True)
class Card:
    label: str
    value: str
    detail: str = ""
    tone: str = ""  # "good", "bad" or "" (CSS)


@dataclass
class SiteReport:
    """What was written, and how long each part took (the benchmark prints these)."""

    output: Path
    run_id: str
    pages: int
    index_bytes: int
    highlighted: int  # files Pygments had to highlight (the rest came from the cache)
    timings: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "output": str(self.output),
            "index": str(self.output / "index.html"),
            "run_id": self.run_id,
            "pages": self.pages,
            "index_bytes": self.index_bytes,
            "highlighted": self.highlighted,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


def compare_page(base: str, head: str) -> str:
    return f"compare/{base}..{head}.html"


def build_site(
    store: ArtifactStore,
    output: Path,
    run_id: str | None = None,
    *,
    templates: Path | None = None,
    schemas: Path | None = None,
    code_cache: Path | None = None,
    workers: int | None = None,
    say: Say = quiet,
) -> SiteReport:
    """Write the report of ``run_id`` (default: the latest run) to ``output``.

    ``templates``: a folder whose templates replace the bundled ones, file by file;
    ``schemas``: validate's provider schema cache, for the override the pages link to;
    ``code_cache``: where highlighted files are kept across reports (None: not kept);
    ``workers``: processes for highlighting and pages (default: the machine's cores).
    """
    output = output.resolve()
    _check_output(store, output)
    clock = _Clock()
    cores = workers or os.cpu_count() or 1
    staging = output.with_name(f".{output.name}.building-{secrets.token_hex(3)}")
    try:
        with ExitStack() as stack:
            hashes = store.result_hashes(run_id or require_runs(store)[-1])
            shared = _shared_code(stack, store, hashes, code_cache, _parallel(cores, hashes))
            history = History.load(store, upto=run_id)
            view = history.latest
            clock.lap("history")
            env = environment(templates)
            builder = _Builder(
                store, env, history, view, staging, output, schemas, code_cache, cores, say
            )
            builder.write_assets()
            builder.write_shared_code(shared())
            clock.lap("assets")
            # Architecture pages are most of the work: worker processes write them while
            # this one writes the rest (the laps below overlap them).
            architecture_pages = builder.start_architectures(stack)
            builder.write_index()
            clock.lap("index")
            builder.write_coverage()
            clock.lap("coverage")
            builder.write_comparisons()
            clock.lap("comparisons")
            builder.write_matrix()
            clock.lap("matrix")
            builder.pages += architecture_pages()
            clock.lap("architectures")
        (staging / MARKER).write_text(f"lsqm report of run {view.run_id}\n", encoding="utf-8")
        _swap(staging, output)
        clock.lap("swap")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return SiteReport(
        output,
        view.run_id,
        builder.pages,
        (output / "index.html").stat().st_size,
        builder.shelf.highlighted + builder.worker_highlights,
        clock.laps,
    )


def _check_output(store: ArtifactStore, output: Path) -> None:
    if output == store.root or store.root.is_relative_to(output):
        raise UsageError(f"--output {output} would replace the artifact store; choose another")
    if output.is_file():
        raise UsageError(f"--output {output} is a file; give a folder")
    if output.is_dir() and not (output / MARKER).is_file() and any(output.iterdir()):
        raise UsageError(
            f"--output {output} holds files that are not an lsqm report; "
            "give an empty or new folder (the report replaces the folder's contents)"
        )


def _swap(staging: Path, output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    old = None
    if output.exists():
        old = output.with_name(f".{output.name}.old-{secrets.token_hex(3)}")
        os.replace(output, old)
    os.replace(staging, output)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


class _Clock:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = now - self._last
        self._last = now


@dataclass
class _Builder:
    store: ArtifactStore
    env: Environment
    history: History
    view: RunView
    root: Path  # where pages are written now
    output: Path  # where they will be
    schemas: Path | None
    code_cache: Path | None
    workers: int
    say: Say
    pages: int = 0
    override: str | None = None  # the provider override's path in the site
    worker_highlights: int = 0  # files the page workers highlighted (not found in a cache)

    def __post_init__(self) -> None:
        self.redactor = Redactor()
        self.shelf = CodeShelf(self.redactor, self.code_cache)
        self.shared: set[str] = set()
        previous = self.history.previous
        self.comparison: Comparison | None = compare(previous, self.view) if previous else None
        self.change: dict[str, str] = {}
        if self.comparison is not None:
            for name in BUCKETS:
                for change in self.comparison.bucket(name):
                    self.change[change.arch_hash] = name
            for entry in self.comparison.added:
                self.change[entry.arch_hash] = "added"
        self.gaps = top_gaps(self.history, self.view)
        self.gap_rank = {h: i for i, g in enumerate(self.gaps, 1) for h in g.architectures}
        self.generated_at = utcnow()
        self.mutation = latest_scores(self.store)  # the latest per architecture

    # -- writing ---------------------------------------------------------------------------
    def _write(self, rel: str, template: str, count: bool = True, **context: Any) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        depth = rel.count("/")
        html = self.env.get_template(template).render(
            root="../" * depth, generated_at=self.generated_at, view=self.view, **context
        )
        path.write_text(html, encoding="utf-8")
        self.pages += count

    def write_assets(self) -> None:
        assets = self.root / "assets"
        assets.mkdir(parents=True)
        static = resources.files("lsqm.reporting") / "static"
        for name in ASSETS:
            (assets / name).write_bytes((static / name).read_bytes())
        (assets / "code.css").write_text(pygments_css(), encoding="utf-8")
        version = self.view.run.terraform.providers.get("hashicorp/aws", "")
        text = override_text(self.schemas, version, ENDPOINT, self.view.run.settings.region)
        if text is not None:
            (assets / OVERRIDE).write_text(text, encoding="utf-8")
            self.override = f"assets/{OVERRIDE}"

    def write_index(self) -> None:
        history, view = self.history, self.view
        rates = pass_rate_by_run(history)
        recent = history.runs[-STATUS_RUNS:]
        self._write(
            "index.html",
            "index.html",
            cards=self.cards(),
            comparison=self.comparison,
            compare_href=compare_page(self.comparison.base.run_id, view.run_id)
            if self.comparison
            else None,
            trend=charts.trend_chart(rates),
            status_chart=charts.status_chart(
                [v.run_id for v in recent], [v.summary for v in recent]
            ),
            matrix=service_matrix(history, MATRIX_RUNS),
            versions=pass_rate_by_version(history),
            gaps=self.gaps[:INDEX_GAPS],
            gap_total=len(self.gaps),
            blockers=blockers(history, view, limit=10),
            recent=self.recent_runs(),
            table_data=render.JsonBlock(table_data(history, view, self.change, self.mutation)),
            statuses=list(Status),
            run_date=charts.run_date,
            titles=TITLES,
            buckets=BUCKETS,
            mutation=by_generator(s for h, s in self.mutation.items() if h in view.rows),
            scored=sum(h in view.rows and s.value is not None for h, s in self.mutation.items()),
        )

    def coverage(self) -> Coverage:
        """Coverage of the latest run of each emulator release, up to the report's run."""
        rows = {v.run_id: v.rows for v in self.history.runs}
        runs = latest_runs(v.run for v in self.history.runs)
        return coverage_of(
            [(run, rows[run.run_id], self.store.run_calls(run.run_id).results) for run in runs]
        )

    def write_coverage(self) -> None:
        self._write(
            "coverage.html",
            "coverage.html",
            cov=self.coverage(),
            cell_text=cell_text,
            no_trace=NO_TRACE,
        )

    def write_shared_code(self, shared: dict[str, tuple[Source, int]]) -> None:
        """Files many architectures hold alike (a generated app's support module,
        :func:`shared_sources`) get one page of their own, linked from each architecture's
        page instead of embedded."""
        self.shared = set(shared)
        for source, holders in shared.values():
            self._write(
                shared_page(source),
                "code.html",
                name=source.name,
                html=self.shelf.html(source),
                holders=holders,
            )

    def start_architectures(self, stack: ExitStack) -> Callable[[], int]:
        """Start writing one page per architecture of the run: in worker processes when
        there are many (each reads its own share of results and code and highlights what
        no cache holds), else when the returned function is called. That function returns
        how many pages were written, once all are."""
        hashes = sorted(self.view.rows)
        if not _parallel(self.workers, hashes):
            return lambda: self.write_chunk(hashes)
        global _BUILDER
        _BUILDER = self
        stack.callback(_forget_builder)  # after the pool below has shut down
        context = multiprocessing.get_context("fork")
        pool = stack.enter_context(ProcessPoolExecutor(self.workers, mp_context=context))
        n = self.workers
        futures = [
            pool.submit(_write_chunk, hashes[i::n], f" (worker {i + 1} of {n})") for i in range(n)
        ]

        def finish() -> int:
            done = [future.result() for future in futures]
            self.worker_highlights += sum(highlighted for _, highlighted in done)
            return sum(pages for pages, _ in done)

        return finish

    def write_chunk(self, hashes: list[str], who: str = "") -> int:
        """Write these architectures' pages; ``who``: which worker, in its progress lines."""
        for count, arch_hash in enumerate(hashes, 1):
            self.write_architecture(arch_hash)
            if count % 1000 == 0:
                self.say(f"report: {count}/{len(hashes)} architecture pages{who}")
        return len(hashes)

    def write_architecture(self, arch_hash: str) -> None:
        # Read here, not up front: with several processes, each reads its own share.
        result = _redacted(self.store.result(self.view.run_id, arch_hash), self.redactor)
        architecture = self.history.architectures[arch_hash]
        details = load_details(self.store, result, architecture, self.shelf, self.shared)
        strip = status_history(self.history, arch_hash)
        cells = [self._cell(run_id, row) for run_id, row in strip]
        self._write(
            f"arch/{arch_hash}.html",
            "architecture.html",
            count=False,
            d=details,
            r=result,
            a=architecture,
            strip=cells,
            since=_since(strip),
            change=self.change.get(arch_hash),
            gap_rank=self.gap_rank.get(arch_hash),
            meaning=CATEGORY_MEANING,
            reproduce=reproduce(
                self.store,
                result,
                architecture,
                self.view,
                details.app,
                str(self.output / self.override) if self.override else None,
            ),
            override=self.override,
            run_date=charts.run_date,
            titles=TITLES,
            trace=sorted(result.trace, key=lambda c: c.first),
            fails_at=result.fails_at,
            no_trace=NO_TRACE,
            mutation=self.mutation.get(arch_hash),
            mutation_text=score_text(self.mutation, arch_hash),
        )

    def _cell(self, run_id: str, row: ResultRow | None) -> tuple[str, Redacted]:
        """One run in an architecture's status history: its CSS class and title."""
        if row is None:
            return "st-none", self.redactor.text(f"{run_id}: not in this run")
        title = f"{run_id}: {row.status.value}"
        if row.category:
            title += f" {row.category.value}"
        if row.flaky:
            title += " (flaky)"
        css = f"{status_class(row.status)}{' flaky' if row.flaky else ''}"
        return css, self.redactor.text(title)

    def write_comparisons(self) -> None:
        runs = self.history.runs
        for base, head in pairwise(runs):
            self._write(
                compare_page(base.run_id, head.run_id),
                "compare.html",
                c=compare(base, head),
                linked=self.view.rows,
                buckets=BUCKETS,
                titles=TITLES,
                verdict=verdict,
                run_date=charts.run_date,
            )

    def write_matrix(self) -> None:
        """``matrix.html``: the latest run of each emulator and version, side by side."""
        found = build_matrix(self.store, history=self.history)
        self._write("matrix.html", "matrix.html", **found.page_context(self.view.rows))

    # -- what the index shows ----------------------------------------------------------------
    def cards(self) -> list[Card]:
        view, c = self.view, self.comparison
        s = view.summary
        change = c.pass_rate_change if c else None
        tone = "" if not change else ("good" if change > 0 else "bad")
        archs_detail = ""
        if c:
            archs_detail = f"+{len(c.added)} new, -{len(c.removed)} removed"
        measured = sum(
            1
            for r in view.rows.values()
            if r.status is not Status.PASSED and not (r.category and r.category.blames_emulator)
        )
        terraform = view.run.terraform
        providers = ", ".join(f"{k.split('/')[-1]} {v}" for k, v in terraform.providers.items())
        emulator = view.run.emulator
        cards = [
            Card("Architectures", f"{s.total:,}", archs_detail),
            Card(
                "Pass rate",
                pct(view.pass_rate),
                f"{pts(change)} since previous run" if c else "first run",
                tone,
            ),
            Card(
                "Regressions",
                str(len(c.regressions)) if c else "n/a",
                f"{len(c.fixes)} fixes, {len(c.flaky)} flaky flips" if c else "",
                "bad" if c and c.regressions else "",
            ),
            Card("Not measured", f"{measured:,}", "environment, configuration, harness, no tests"),
            Card("Duration", seconds(view.duration_s), f"{view.run.settings.parallel} worker(s)"),
            Card(
                "LocalStack",
                view.emulator_version,
                emulator.runtime + " runtime" if emulator and emulator.runtime else "",
            ),
            Card("Terraform", terraform.version or "unknown", providers),
            self.operations_card(),
        ]
        return cards

    def operations_card(self) -> Card:
        """The operations the tests called at run time (a trace, not a count of call sites)."""
        calls = runtime_calls(self.store.run_calls(self.view.run_id).results.values())
        if not calls.recorded:
            return Card("Operations tested", "n/a", NO_TRACE)
        partial = f" in {calls.traced:,}/{calls.results:,} traced results"
        return Card(
            "Operations tested",
            f"{calls.test_operations or 0:,}",
            f"called by the tests at run time; {calls.operations or 0:,} with terraform's"
            + (partial if calls.traced < calls.results else ""),
        )

    def recent_runs(self) -> list[dict[str, Any]]:
        runs = self.history.runs
        rows = []
        for i in range(len(runs) - 1, max(len(runs) - 1 - RECENT_RUNS, -1), -1):
            view = runs[i]
            before = runs[i - 1] if i > 0 else None
            change = (
                view.pass_rate - before.pass_rate
                if before and view.pass_rate is not None and before.pass_rate is not None
                else None
            )
            rows.append(
                {
                    "view": view,
                    "change": change,
                    "href": compare_page(before.run_id, view.run_id) if before else None,
                }
            )
        return rows


def _redacted(result: Result, redactor: Redactor) -> Result:
    text = redactor.text
    cases = [c.model_copy(update={"message": text(c.message)}) for c in result.test_cases]
    return result.model_copy(
        update={
            "message": text(result.message),
            "signature": text(result.signature),
            "test_cases": cases,
        }
    )


# The builder forked workers write pages for (set only while they run).
_BUILDER: _Builder | None = None


def _write_chunk(hashes: list[str], who: str) -> tuple[int, int]:
    """A worker's pages: how many it wrote, and how many files it had to highlight."""
    assert _BUILDER is not None
    before = _BUILDER.shelf.highlighted
    return _BUILDER.write_chunk(hashes, who), _BUILDER.shelf.highlighted - before


def _forget_builder() -> None:
    global _BUILDER
    _BUILDER = None


def _parallel(workers: int, hashes: list[str]) -> bool:
    """Whether the report's pages are worth forking worker processes for."""
    can_fork = "fork" in multiprocessing.get_all_start_methods()
    return workers > 1 and len(hashes) >= PARALLEL_PAGES and can_fork


def _shared_code(
    stack: ExitStack, store: ArtifactStore, hashes: list[str], cache: Path | None, fork: bool
) -> Callable[[], dict[str, tuple[Source, int]]]:
    """The files several of ``hashes`` hold alike (:func:`shared_sources`): looked for by
    another process while this one reads the history, when ``fork``; else when asked."""
    if not fork:
        return lambda: _scan(store, hashes, cache)
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
    stack.callback(pool.shutdown, cancel_futures=True)  # when the report fails first
    future = pool.submit(_scan, store, hashes, cache)

    def result() -> dict[str, tuple[Source, int]]:
        try:
            return future.result()
        finally:
            pool.shutdown()  # its thread ends before the page workers are forked

    return result


def _scan(
    store: ArtifactStore, hashes: list[str], cache: Path | None
) -> dict[str, tuple[Source, int]]:
    return shared_sources(store, hashes, CodeShelf(Redactor(), cache))


def _since(strip: list[tuple[str, Any]]) -> str | None:
    """The first run of the current streak of the same status (None: no current row)."""
    if not strip or strip[-1][1] is None:
        return None
    status = strip[-1][1].status
    since = strip[-1][0]
    for run_id, row in reversed(strip):
        if row is None or row.status is not status:
            break
        since = run_id
    return since


__all__ = ["SiteReport", "build_site", "compare_page"]
