"""notify: the Slack message (Block Kit) posted to a local server that answers like Slack's
incoming webhooks, retries with backoff, the step summary, and the webhook never printed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from lsqm.notify import notify, post_slack, slack_message
from lsqm.pipeline import stages

from .reporting.conftest import build_two_runs
from .reporting.histories import R2, History

REPORT_URL = "https://lsqm.example.org/weekly"


@pytest.fixture
def two_runs(tmp_path: Path) -> History:
    """The reporting tests' two runs (4.14.0, then 2026.3.0 with a regression and a fix)."""
    return build_two_runs(tmp_path / "store")


def _text(payload: dict[str, Any]) -> str:
    return json.dumps(payload["blocks"])


def test_the_message_says_pass_rate_change_regressions_fixes_and_the_new_gap(
    two_runs: History,
) -> None:
    report = stages.run_report(two_runs.store)
    payload = slack_message(report, REPORT_URL)
    # 3 of 9 passed in R2 (sqs_fixed, steady, new_arch); 5 of 9 in R1.
    assert payload["text"] == "lsqm: 33.3% passed (3/9), -22.2 points"
    blocks = payload["blocks"]
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "LocalStack Quality Monitor"},
    }
    assert blocks[1]["text"]["text"] == (
        f"*Pass rate* 33.3% (-22.2 points)\n*Run* `{R2}` on LocalStack 2026.3.0"
    )
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    s3 = two_runs.hashes["s3_site"]
    sqs = two_runs.hashes["sqs_fixed"]
    assert (
        f"*Regressions (1)*\n• <{REPORT_URL}/arch/{s3}.html|s3_site>: PASSED → FAILED "
        "(emulator_error)"
    ) in sections
    assert f"*Fixes (1)*\n• <{REPORT_URL}/arch/{sqs}.html|sqs_fixed>: FAILED → PASSED" in sections
    assert "1 flaky verdict(s), not counted as regressions" in _text(payload)
    # The heaviest gap first seen in R2 (the kinesis gap was there in R1 already: not news).
    assert (
        "*Top new gap* (1 architecture(s), dynamodb):\n`aws_dynamodb_table:500: boom B`"
    ) in sections
    assert "kinesis not implemented" not in _text(payload)
    assert f"<{REPORT_URL}/index.html|Open the report>" in sections


def test_posted_once_to_the_webhook_and_written_to_the_step_summary(
    two_runs: History, httpserver: HTTPServer, tmp_path: Path
) -> None:
    httpserver.expect_oneshot_request("/services/T0/B0/XYZ", method="POST").respond_with_data("ok")
    summary = tmp_path / "step-summary.md"
    deliveries = notify(
        stages.run_report(two_runs.store),
        webhook_url=httpserver.url_for("/services/T0/B0/XYZ"),
        report_url=REPORT_URL,
        step_summary=summary,
    )
    assert [(d.channel, d.ok) for d in deliveries] == [("step-summary", True), ("slack", True)]
    (request, _response), *more = httpserver.log
    assert more == []
    body = json.loads(request.get_data())
    assert body["text"].startswith("lsqm: 33.3% passed")
    assert summary.read_text().startswith(f"## LocalStack Quality Monitor: run `{R2}`")
    assert "s3\\_site" in summary.read_text()  # the regression, in markdown
    assert all("XYZ" not in d.detail for d in deliveries)  # the webhook is a secret


def test_failures_are_retried_with_backoff_and_never_raise(httpserver: HTTPServer) -> None:
    answers = iter(
        [
            Response("busy", status=500),
            Response("slow down", status=429, headers={"Retry-After": "7"}),
            Response("ok", status=200),
        ]
    )
    httpserver.expect_request("/hook").respond_with_handler(lambda _r: next(answers))
    waits: list[float] = []
    delivery = post_slack(httpserver.url_for("/hook"), {"text": "x"}, sleep=waits.append)
    assert delivery.ok and delivery.attempts == 3
    assert waits == [1.0, 7.0]  # backoff, then Slack's Retry-After


def test_a_refused_message_is_not_retried_and_an_unreachable_slack_gives_up(
    httpserver: HTTPServer,
) -> None:
    def refuse(_request: Request) -> Response:
        return Response("invalid_blocks", status=400)

    httpserver.expect_request("/hook").respond_with_handler(refuse)
    waits: list[float] = []
    refused = post_slack(httpserver.url_for("/hook"), {"text": "x"}, sleep=waits.append)
    assert (refused.ok, refused.attempts, waits) == (False, 1, [])
    assert "400" in refused.detail
    gone = post_slack("http://127.0.0.1:9/hook", {"text": "x"}, sleep=waits.append)
    assert (gone.ok, gone.attempts) == (False, 4) and waits == [1.0, 2.0, 4.0]
    assert "127.0.0.1:9" not in gone.detail


def test_a_regression_with_a_confirmed_reduction_links_it(two_runs: History) -> None:
    store = two_runs.store
    s3 = two_runs.hashes["s3_site"]
    signature = store.results(R2)[s3].signature
    folder = store.reduction_dir(s3)
    folder.mkdir(parents=True)
    facts = {"signature": signature, "resources_after": 1, "confirmed": True}
    (folder / "reduction.json").write_text(json.dumps(facts))
    text = _text(slack_message(stages.run_report(store), REPORT_URL))
    assert f"<{REPORT_URL}/arch/{s3}.html#reduction|reduced to 1 resource(s)>" in text
    # an unconfirmed reduction, or one of another failure, is not linked
    for changed in ({"confirmed": False}, {"signature": "another failure"}):
        (folder / "reduction.json").write_text(json.dumps({**facts, **changed}))
        text = _text(slack_message(stages.run_report(store), REPORT_URL))
        assert "reduced to" not in text
