"""The four scores of the public conformance suites, decided in one place.

Two readers score: ``compare --matrix`` scores each result (one architecture on one emulator
release, :mod:`lsqm.reporting.matrix`), ``coverage`` each operation on one release
(:mod:`lsqm.reporting.coverage`). Both ask the same three questions in the same order, which
:func:`judge` alone answers: was anything learnt about the emulator; did it say it does not
implement the thing; did it answer wrongly. The four counts are kept apart, never blended into
one number: "unsupported" is never read as "wrong", nor "not exercised" as either.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from enum import StrEnum

from pydantic import BaseModel

from lsqm.records import Category, Status


class Score(StrEnum):
    CORRECT = "correct"
    WRONG = "wrong"
    UNSUPPORTED = "unsupported"
    NOT_EXERCISED = "not_exercised"


class Scores(BaseModel):
    """How many things (results, operations) got each score."""

    correct: int = 0
    wrong: int = 0
    unsupported: int = 0
    not_exercised: int = 0

    @classmethod
    def tally(cls, scores: Iterable[Score]) -> Scores:
        counts = Counter(scores)
        return cls(**{s.value: counts.get(s, 0) for s in Score})


def judge(*, exercised: bool, unsupported: bool, wrong: bool) -> Score:
    """The score of something the emulator was (or was not) asked to do: unsupported before
    wrong (a 501 is the emulator's own answer about itself, whatever else went wrong)."""
    if not exercised:
        return Score.NOT_EXERCISED
    if unsupported:
        return Score.UNSUPPORTED
    if wrong:
        return Score.WRONG
    return Score.CORRECT


# Categories of a result that say the emulator answered and was wrong: a test failed, a
# 4xx/5xx it should not give, a provider crash on its answer, or it died during the work.
# A time limit, like the environment, configuration, harness and no tests, teaches nothing.
WRONG_CATEGORIES = frozenset(
    {
        Category.EMULATOR_BEHAVIOUR,
        Category.EMULATOR_ERROR,
        Category.EMULATOR_REJECTED,
        Category.EMULATOR_UNAVAILABLE,
        Category.PROVIDER_CRASH,
    }
)


def result_score(status: Status, category: Category | None) -> Score:
    """A result's score: PASSED is correct; else its category says which."""
    unsupported = category is Category.EMULATOR_UNSUPPORTED
    wrong = category in WRONG_CATEGORIES
    passed = status is Status.PASSED
    return judge(
        exercised=passed or unsupported or wrong,
        unsupported=not passed and unsupported,
        wrong=not passed and wrong,
    )


__all__ = ["WRONG_CATEGORIES", "Score", "Scores", "judge", "result_score"]
