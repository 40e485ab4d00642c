"""The mutation scores the report shows: each architecture's latest measurement over every
stored sensitivity report, the unscored said so, and the scores per generator."""

from __future__ import annotations

from pathlib import Path

from lsqm.reporting.mutation import (
    NEVER_MEASURED,
    by_generator,
    latest_scores,
    score_text,
    short_text,
)
from lsqm.store import ArtifactStore

from .sensitivities import measured, unmeasured, write_report

A, B, C, D = "a" * 16, "b" * 16, "c" * 16, "d" * 16


def test_the_latest_report_of_an_architecture_wins_and_the_unscored_say_why(
    tmp_path: Path,
) -> None:
    store = ArtifactStore(tmp_path / "store")
    write_report(store, "sensitivity-20261201T000000Z-aaaaaa", [
        measured(A, "a", "rules", caught=1, survived=3),
        measured(B, "b", "rules", caught=2, survived=2),
    ])  # fmt: skip
    write_report(store, "sensitivity-20261205T000000Z-bbbbbb", [
        measured(A, "a", "rules", caught=9, survived=1),
        unmeasured(C, "c", "claude"),
    ])  # fmt: skip
    (store.root / "sensitivity" / "sensitivity-20261206T000000Z-broken.json").write_text("{")

    scores = latest_scores(store)
    assert set(scores) == {A, B, C}  # the broken report is left out, the rest still read
    assert scores[A].measured_in == "sensitivity-20261205T000000Z-bbbbbb"
    assert score_text(scores, A) == "9/10 faults caught (90 %)"
    assert scores[A].surviving == ("sqs.ReceiveMessage:s0",)
    assert short_text(scores, B) == "50 % (2/4)"
    assert score_text(scores, C).startswith("not scored: the control run did not pass")
    assert short_text(scores, C) == "not scored"
    assert score_text(scores, D) == NEVER_MEASURED and short_text(scores, D) == "not scored"


def test_scores_add_up_per_generator_and_every_generator_is_listed(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "store")
    write_report(store, "sensitivity-20261201T000000Z-aaaaaa", [
        measured(A, "a", "rules", caught=9, survived=1),
        measured(B, "b", "rules", caught=2, survived=2),
        unmeasured(C, "c", "claude"),
        measured(D, "d", "lsqm-ci", caught=1, survived=0),
    ])  # fmt: skip
    rows = {g.generator: g for g in by_generator(latest_scores(store).values())}
    assert list(rows) == ["rules", "claude", "hand-written", "lsqm-ci"]
    assert (rows["rules"].caught, rows["rules"].exercised, rows["rules"].scored) == (11, 14, 2)
    assert rows["rules"].text == "11/14 faults caught (79 %) over 2 architecture(s)"
    assert rows["claude"].text == "not scored: no architecture of it measured"  # not 0
    assert rows["hand-written"].exercised == 0
    assert latest_scores(ArtifactStore(tmp_path / "empty")) == {}
