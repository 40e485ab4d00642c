"""Charts as inline SVG: the geometry is computed here, in Python; ``templates/_charts.html``
draws it (autoescaped like every page), so a report needs no script or library to show them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lsqm.records import Status, Summary
from lsqm.reporting.history import RunRate


@dataclass(frozen=True)
class Tick:
    at: float
    label: str
    anchor: str = "middle"  # SVG text-anchor: the outermost labels stay inside the chart


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    title: str


@dataclass(frozen=True)
class Marker:
    """A vertical line where the LocalStack version changes."""

    x: float
    label: str


@dataclass
class LineChart:
    width: int
    height: int
    left: int
    top: int
    plot_width: float
    plot_height: float
    path: str
    points: list[Point]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    markers: list[Marker] = field(default_factory=list)


@dataclass(frozen=True)
class Segment:
    status: Status
    y: float
    height: float
    title: str


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    segments: list[Segment]


@dataclass
class BarChart:
    width: int
    height: int
    left: int
    top: int
    plot_width: float
    plot_height: float
    bars: list[Bar]
    x_ticks: list[Tick]
    y_ticks: list[Tick]


WIDTH, HEIGHT = 560, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 16, 34


def run_date(run_id: str) -> str:
    """``20261127T043610Z-1a2b3c`` -> ``2026-11-27`` (the id says when the run started)."""
    stamp = run_id[:8]
    return f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}" if stamp.isdigit() else run_id[:10]


def _x_positions(count: int, plot_width: float) -> list[float]:
    if count == 1:
        return [LEFT + plot_width / 2]
    step = plot_width / (count - 1)
    return [LEFT + i * step for i in range(count)]


def _x_ticks(xs: list[float], run_ids: list[str], most: int = 5) -> list[Tick]:
    """At most ``most`` dates, far enough apart that their labels never overlap; the first
    and the last run always carry one."""
    if not xs:
        return []
    every = max(1, -(-len(xs) // most))
    picked = list(range(0, len(xs), every))
    if picked[-1] != len(xs) - 1:
        if len(picked) > 1 and len(xs) - 1 - picked[-1] < every:
            picked.pop()
        picked.append(len(xs) - 1)
    last = len(xs) - 1
    return [
        Tick(
            round(xs[i], 1),
            run_date(run_ids[i]),
            "start" if i == 0 and last else "end" if i == last and last else "middle",
        )
        for i in picked
    ]


def _percent_ticks(top: float, height: float) -> list[Tick]:
    return [Tick(round(top + height * (1 - p / 100), 1), f"{p}%") for p in (0, 25, 50, 75, 100)]


def trend_chart(rates: list[RunRate]) -> LineChart:
    """Pass rate per run, oldest first; runs with no results are left out of the line."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    xs = _x_positions(len(rates), plot_w)
    points: list[Point] = []
    commands: list[str] = []
    for x, rate in zip(xs, rates, strict=True):
        if rate.rate is None:
            continue
        y = TOP + plot_h * (1 - rate.rate)
        title = (
            f"{rate.run_id}: {rate.rate * 100:.1f}% ({rate.summary.PASSED}/{rate.summary.total})"
            f", LocalStack {rate.emulator_version}"
        )
        points.append(Point(round(x, 1), round(y, 1), title))
        commands.append(f"{'L' if commands else 'M'}{x:.1f},{y:.1f}")
    markers = [
        Marker(round((xs[i - 1] + xs[i]) / 2, 1), rates[i].emulator_version)
        for i in range(1, len(rates))
        if rates[i].emulator_version != rates[i - 1].emulator_version
    ]
    return LineChart(
        WIDTH,
        HEIGHT,
        LEFT,
        TOP,
        plot_w,
        plot_h,
        " ".join(commands),
        points,
        _x_ticks(xs, [r.run_id for r in rates]),
        _percent_ticks(TOP, plot_h),
        markers,
    )


def status_chart(run_ids: list[str], summaries: list[Summary]) -> BarChart:
    """Share of each status per run, stacked (PASSED at the bottom)."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    count = max(len(run_ids), 1)
    slot = plot_w / count
    width = max(min(slot * 0.7, 36), 2)
    bars = []
    for i, (run_id, summary) in enumerate(zip(run_ids, summaries, strict=True)):
        x = LEFT + i * slot + (slot - width) / 2
        bottom = float(TOP + plot_h)
        segments = []
        for status in Status:
            n = summary.count(status)
            if not n or not summary.total:
                continue
            height = plot_h * n / summary.total
            bottom -= height
            share = n / summary.total * 100
            segments.append(
                Segment(
                    status,
                    round(bottom, 2),
                    round(height, 2),
                    f"{run_id}: {status.value} {n} ({share:.1f}%)",
                )
            )
        bars.append(Bar(round(x, 2), round(width, 2), segments))
    centres = [LEFT + i * slot + slot / 2 for i in range(len(run_ids))]
    return BarChart(
        WIDTH,
        HEIGHT,
        LEFT,
        TOP,
        plot_w,
        plot_h,
        bars,
        _x_ticks(centres, run_ids),
        _percent_ticks(TOP, plot_h),
    )
