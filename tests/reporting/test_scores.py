"""The one decision of the four conformance scores, which ``compare --matrix`` (per result)
and ``coverage`` (per operation) both judge with."""

from __future__ import annotations

import pytest

from lsqm.records import Category, Status
from lsqm.reporting.scores import Score, Scores, judge, result_score


@pytest.mark.parametrize(
    ("exercised", "unsupported", "wrong", "expected"),
    [
        (False, True, True, Score.NOT_EXERCISED),  # nothing learnt outranks everything
        (True, True, True, Score.UNSUPPORTED),  # the emulator's word about itself first
        (True, False, True, Score.WRONG),
        (True, False, False, Score.CORRECT),
    ],
)
def test_judge_asks_in_one_order(
    exercised: bool, unsupported: bool, wrong: bool, expected: Score
) -> None:
    assert judge(exercised=exercised, unsupported=unsupported, wrong=wrong) is expected


EXPECTED = {
    Category.EMULATOR_UNSUPPORTED: Score.UNSUPPORTED,
    Category.EMULATOR_ERROR: Score.WRONG,
    Category.EMULATOR_REJECTED: Score.WRONG,
    Category.EMULATOR_BEHAVIOUR: Score.WRONG,
    Category.EMULATOR_UNAVAILABLE: Score.WRONG,
    Category.PROVIDER_CRASH: Score.WRONG,
    Category.TERRAFORM_CONFIG: Score.NOT_EXERCISED,
    Category.ENVIRONMENT: Score.NOT_EXERCISED,
    Category.TIMEOUT: Score.NOT_EXERCISED,
    Category.HARNESS: Score.NOT_EXERCISED,
    Category.NO_TESTS: Score.NOT_EXERCISED,
}


def test_every_category_has_the_score_the_design_gives_it() -> None:
    assert set(EXPECTED) == set(Category)  # a new category must be placed here
    for category, expected in EXPECTED.items():
        assert result_score(Status.FAILED, category) is expected, category
    assert result_score(Status.PASSED, None) is Score.CORRECT
    assert result_score(Status.ERROR, None) is Score.NOT_EXERCISED


def test_scores_count_each_apart() -> None:
    found = Scores.tally([Score.WRONG, Score.CORRECT, Score.WRONG, Score.NOT_EXERCISED])
    assert found.model_dump() == {"correct": 1, "wrong": 2, "unsupported": 0, "not_exercised": 1}
