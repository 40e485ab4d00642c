"""Tell people what a run changed: a Slack message (Block Kit, through an incoming webhook)
and, in GitHub Actions, the step summary.

The message says the pass rate and its change, the regressions (each linked to its report
page), the fixes, the top new gap and where the report is. The webhook URL is a secret: it
is never printed, logged or put in an error. Failures to post are retried with backoff and
never fail the run — its results are already written.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from lsqm.records import Status
from lsqm.reporting.formats import RunReport, run_markdown
from lsqm.reporting.gaps import Gap

# Slack limits a section's text to 3,000 characters; lists are cut well before that.
MAX_LISTED = 10


@dataclass(frozen=True)
class Delivery:
    """What happened to one notification (for the run's log; no secret in it)."""

    channel: str  # "slack" | "step-summary"
    ok: bool
    detail: str
    attempts: int = 1


def _percent(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate:.1%}"


def _change(delta: float | None) -> str:
    if delta is None:
        return "first run"
    points = delta * 100
    return "no change" if abs(points) < 0.05 else f"{points:+.1f} points"


def _link(report_url: str | None, arch_hash: str, name: str) -> str:
    """Slack's link markup to the architecture's report page, or the name alone."""
    label = name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if not report_url:
        return label
    return f"<{report_url.rstrip('/')}/arch/{arch_hash}.html|{label}>"


def new_gap(report: RunReport) -> Gap | None:
    """The heaviest gap first seen in this run (a gap that was there before is not news)."""
    run_id = report.view.run_id
    return next((g for g in report.gaps if g.first_seen == run_id), None)


def slack_message(report: RunReport, report_url: str | None = None) -> dict[str, Any]:
    """The Block Kit payload for ``report`` (``text`` is the notification's fallback)."""
    view, comparison = report.view, report.comparison
    summary = view.summary
    delta = comparison.pass_rate_change if comparison else None
    headline = (
        f"lsqm: {_percent(view.pass_rate)} passed ({summary.PASSED}/{summary.total}), "
        f"{_change(delta)}"
    )
    facts = (
        f"*Pass rate* {_percent(view.pass_rate)} ({_change(delta)})\n"
        f"*Run* `{view.run_id}` on {view.emulator_title} {view.emulator_version}"
    )
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "LocalStack Quality Monitor"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": facts}},
    ]
    counts = ", ".join(f"{status.value} {summary.count(status)}" for status in Status)
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": counts}]})
    if comparison is not None:
        for title, changes in (
            ("Regressions", comparison.regressions),
            ("Fixes", comparison.fixes),
        ):
            if not changes:
                continue
            lines = [
                f"• {_link(report_url, c.arch_hash, c.name)}: {c.base.status.value} → "
                f"{c.head.status.value}"
                + (f" ({c.head.category.value})" if c.head.category else "")
                for c in changes[:MAX_LISTED]
            ]
            if len(changes) > MAX_LISTED:
                lines.append(f"… and {len(changes) - MAX_LISTED} more")
            text = f"*{title} ({len(changes)})*\n" + "\n".join(lines)
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
        if comparison.flaky:
            note = f"{len(comparison.flaky)} flaky verdict(s), not counted as regressions"
            blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": note}]})
    gap = new_gap(report)
    if gap is not None:
        text = (
            f"*Top new gap* ({gap.count} architecture(s), {', '.join(gap.services[:3])}):\n"
            f"`{gap.signature[:200]}`"
        )
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    if report_url:
        link = f"<{report_url.rstrip('/')}/index.html|Open the report>"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": link}})
    return {"text": headline, "blocks": blocks}


def post_slack(
    webhook_url: str,
    payload: dict[str, Any],
    *,
    attempts: int = 4,
    backoff_s: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:
    """POST ``payload`` to the incoming webhook; retry 429, 5xx and transport errors with
    backoff (Slack's Retry-After when it sends one, capped). Never raises."""
    last = ""
    for attempt in range(1, attempts + 1):
        wait = backoff_s * 2 ** (attempt - 1)
        try:
            response = httpx.post(webhook_url, json=payload, timeout=30)
        except httpx.HTTPError as exc:
            last = f"could not reach Slack ({type(exc).__name__})"
        else:
            if response.status_code < 300:
                return Delivery("slack", True, "posted", attempt)
            last = f"Slack answered {response.status_code}: {response.text[:120]}"
            if response.status_code != 429 and response.status_code < 500:
                return Delivery("slack", False, last, attempt)  # retrying cannot help
            retry_after = response.headers.get("retry-after", "")
            if retry_after.isdigit():
                wait = float(retry_after)
        if attempt < attempts:
            sleep(min(wait, 60.0))
    return Delivery("slack", False, last, attempts)


def write_step_summary(report: RunReport, path: Path) -> Delivery:
    """Append the run's markdown summary to GitHub's step summary file."""
    try:
        with path.open("a", encoding="utf-8") as fh:
            fh.write(run_markdown(report) + "\n")
    except OSError as exc:
        return Delivery("step-summary", False, f"cannot write {path}: {exc.strerror}")
    return Delivery("step-summary", True, f"written to {path}")


def notify(
    report: RunReport,
    *,
    webhook_url: str | None,
    report_url: str | None = None,
    step_summary: Path | None = None,
    backoff_s: float = 1.0,
) -> list[Delivery]:
    """Every configured notification for ``report``: Slack when a webhook is set, the step
    summary when GitHub Actions names one (``GITHUB_STEP_SUMMARY``, the setting
    ``step_summary``)."""
    done: list[Delivery] = []
    if step_summary is not None:
        done.append(write_step_summary(report, step_summary))
    if webhook_url:
        payload = slack_message(report, report_url)
        done.append(post_slack(webhook_url, payload, backoff_s=backoff_s))
    return done
