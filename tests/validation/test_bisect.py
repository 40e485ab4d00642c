"""The search for the first release where a verdict changes, on synthetic version lists
whose verdict per version is known: the answer, and what it cost (probes counted)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable

import pytest

from lsqm.errors import UsageError
from lsqm.validation.bisect import VersionVerdict, bisect, confirmed

# Releases as they were: SemVer 4.x, then CalVer (sorted by lsqm.versions elsewhere).
VERSIONS = [f"4.{minor}.0" for minor in range(15)] + ["2026.3.0", "2026.4.0"]
PASSED = VersionVerdict("PASSED")
FAILED = VersionVerdict("FAILED", "emulator_error", "s3 CreateBucket: InternalError")


class Probe:
    """A probe whose verdict per version is given; it counts every call."""

    def __init__(self, verdict: Callable[[str], VersionVerdict]) -> None:
        self.verdict = verdict
        self.calls: Counter[str] = Counter()

    def __call__(self, version: str) -> VersionVerdict:
        self.calls[version] += 1
        return self.verdict(version)


def broken_from(first_bad: str) -> Probe:
    index = VERSIONS.index(first_bad)
    return Probe(lambda v: FAILED if VERSIONS.index(v) >= index else PASSED)


@pytest.mark.parametrize("first_bad", VERSIONS[1:])
def test_finds_the_first_bad_release_in_about_log2_probes(first_bad: str) -> None:
    probe = broken_from(first_bad)
    found = bisect(VERSIONS, probe)
    assert found.outcome == "found"
    assert found.first_changed == first_bad
    assert found.last_same == VERSIONS[VERSIONS.index(first_bad) - 1]
    assert (found.before, found.after) == (PASSED, FAILED)
    # Both ends, then a binary search over the 15 releases between them.
    assert found.probes <= 2 + math.ceil(math.log2(len(VERSIONS) - 1))
    assert max(probe.calls.values()) == 1  # no version is probed twice
    assert found.probes == len(probe.calls)


def test_the_cost_grows_with_log2_of_the_range() -> None:
    for size in (2, 3, 5, 17, 48, 200):
        versions = [f"1.{i}.0" for i in range(size)]
        worst = 0
        for bad in range(1, size):
            probe = Probe(lambda v, bad=bad: FAILED if int(v.split(".")[1]) >= bad else PASSED)
            found = bisect(versions, probe)
            assert found.first_changed == versions[bad]
            worst = max(worst, found.probes)
        assert worst <= 2 + math.ceil(math.log2(max(size - 1, 1))), size


def test_a_verdict_that_changes_to_a_third_one_is_still_a_change() -> None:
    third = VersionVerdict("ERROR", "environment", "provider")
    verdicts = {v: PASSED for v in VERSIONS[:6]} | {v: third for v in VERSIONS[6:10]}
    probe = Probe(lambda v: verdicts.get(v, FAILED))
    found = bisect(VERSIONS, probe)
    assert found.first_changed == VERSIONS[6]
    assert found.after == third


def test_same_verdict_on_both_ends_is_no_change_after_two_probes() -> None:
    probe = Probe(lambda _v: PASSED)
    found = bisect(VERSIONS, probe)
    assert found.outcome == "no_change"
    assert found.first_changed is None
    assert found.probes == 2


def test_an_end_that_cannot_be_tested_stops_the_search() -> None:
    probe = Probe(lambda v: VersionVerdict.skip("does not install") if v == "4.0.0" else FAILED)
    found = bisect(VERSIONS, probe)
    assert found.outcome == "untestable"
    assert found.probes == 2


def test_untestable_versions_are_skipped_and_a_neighbour_probed() -> None:
    skip = {"4.7.0", "4.8.0"}
    verdicts = broken_from("4.10.0").verdict
    probe = Probe(lambda v: VersionVerdict.skip("no start") if v in skip else verdicts(v))
    found = bisect(VERSIONS, probe)
    assert (found.outcome, found.first_changed) == ("found", "4.10.0")


def test_untestable_versions_next_to_the_change_make_the_answer_a_range() -> None:
    skip = {"4.9.0", "4.10.0"}
    verdicts = broken_from("4.10.0").verdict
    probe = Probe(lambda v: VersionVerdict.skip("no start") if v in skip else verdicts(v))
    found = bisect(VERSIONS, probe)
    assert found.outcome == "ambiguous"
    assert found.candidates == ["4.9.0", "4.10.0", "4.11.0"]
    assert (found.last_same, found.first_changed) == ("4.8.0", "4.11.0")


def test_bisect_needs_two_versions() -> None:
    with pytest.raises(UsageError):
        bisect(["4.0.0"], Probe(lambda _v: PASSED))


# -- flaky verdicts: a version counts when two runs agree -----------------------------------
def sequence(*verdicts: VersionVerdict) -> Probe:
    queue = list(verdicts)
    return Probe(lambda _v: queue.pop(0))


def test_a_steady_verdict_costs_two_runs() -> None:
    run_once = sequence(PASSED, PASSED)
    verdict = confirmed(run_once)("4.0.0")
    assert verdict.key == PASSED.key
    assert (verdict.runs, verdict.flaky) == (2, False)


def test_a_flaky_verdict_is_rerun_until_two_agree() -> None:
    run_once = sequence(FAILED, PASSED, PASSED)
    verdict = confirmed(run_once)("4.0.0")
    assert verdict.key == PASSED.key
    assert (verdict.runs, verdict.flaky) == (3, True)


def test_runs_that_never_agree_make_the_version_untestable() -> None:
    third = VersionVerdict("TIMEOUT", "timeout")
    verdict = confirmed(sequence(FAILED, PASSED, third))("4.0.0")
    assert verdict.skipped and "flaky" in verdict.signature
    assert verdict.runs == 3


def test_one_run_suffices_when_asked() -> None:
    run_once = sequence(FAILED)
    assert confirmed(run_once, agree=1)("4.0.0").runs == 1


def test_a_flaky_release_does_not_move_the_search() -> None:
    """4.8.0 (the first release probed between the ends) fails its first run: counted
    alone, that run would make it the first bad release."""
    truth = broken_from("4.11.0").verdict
    flips: Counter[str] = Counter()

    def flaky(version: str) -> VersionVerdict:
        flips[version] += 1
        if version == "4.8.0" and flips[version] == 1:
            return FAILED
        return truth(version)

    probe = Probe(flaky)
    found = bisect(VERSIONS, confirmed(probe))
    assert found.first_changed == "4.11.0"
    assert found.verdicts["4.8.0"].flaky
    assert found.verdicts["4.8.0"].runs == 3
    assert found.runs == sum(probe.calls.values())
    unconfirmed = bisect(VERSIONS, Probe(lambda v: FAILED if v == "4.8.0" else truth(v)))
    assert unconfirmed.first_changed == "4.8.0"  # why confirmation exists
