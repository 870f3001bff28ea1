"""Segments a tutor understands: each rule at its threshold (just below, at, just above), the order the
rules are read in, and each enrollment's rank within its course."""

from __future__ import annotations

import numpy as np
import pytest

from modelling.early_warning import segments
from modelling.early_warning.segments import (
    MIN_EARLIER_DAYS,
    QUIET_DAYS,
    RECENT_DAYS,
    SEGMENTS,
    SLIPPING_SHARE,
    ranks_in_course,
    segments_for,
)

DAY = 20  # the scored day: activity of days 0..19 counts
RECENT_START = DAY - RECENT_DAYS


def learner(events: dict[int, int], days: int = 30) -> np.ndarray:
    """One learner's cube (1 x days x 7 event types): `events` on each listed day, as one type."""
    counts = np.zeros((1, days, 7))
    for day, number in events.items():
        counts[0, day, 0] = number
    return counts


def segment_of(events: dict[int, int], day: int = DAY) -> str:
    return segments_for(learner(events), day)[0]


def test_not_started_is_no_activity_before_the_scored_day():
    assert segment_of({}) == "not_started"
    assert segment_of({DAY - 1: 1}) == "steady"  # one event the day before
    assert segment_of({DAY: 5, DAY + 3: 5}) == "not_started"  # the scored day itself is not known yet


@pytest.mark.parametrize(
    ("quiet", "expected"),
    [(QUIET_DAYS - 1, "steady"), (QUIET_DAYS, "gone_quiet"), (QUIET_DAYS + 1, "gone_quiet")],
)
def test_gone_quiet_after_the_threshold_of_days_without_activity(quiet, expected):
    # Active on one day only (no earlier weeks to slip from), then `quiet` days without anything.
    assert segment_of({DAY - 1 - quiet: 3}) == expected


def earlier_and_recent(recent_events: int, first: int = 0, per_day: int = 2) -> dict[int, int]:
    """`per_day` events each day from `first` to the recent window, then `recent_events` the day before
    the scored day."""
    return {**dict.fromkeys(range(first, RECENT_START), per_day), DAY - 1: recent_events}


def test_slipping_below_the_share_of_the_earlier_weekly_average():
    # 2 events a day before the recent week: 14 a week on average; the threshold share is half of it.
    weekly = 2 * RECENT_DAYS
    at = weekly * SLIPPING_SHARE
    assert at == int(at)
    assert segment_of(earlier_and_recent(int(at) - 1)) == "slipping"  # just below
    assert segment_of(earlier_and_recent(int(at))) == "steady"  # at: not below
    assert segment_of(earlier_and_recent(int(at) + 1)) == "steady"  # just above


def test_slipping_needs_a_week_of_earlier_activity_to_average():
    first_with_a_week = RECENT_START - MIN_EARLIER_DAYS
    assert segment_of(earlier_and_recent(1, first=first_with_a_week + 1)) == "steady"  # 6 earlier days
    assert segment_of(earlier_and_recent(1, first=first_with_a_week)) == "slipping"  # 7
    assert segment_of(earlier_and_recent(1, first=first_with_a_week - 1)) == "slipping"  # 8


def test_the_earlier_average_counts_from_the_learners_first_active_day():
    # 4 a day from a late start: 28 a week. 13 events in the recent week is below half of it; averaged
    # from day 0 instead (28 events over 13 days) it would not be. Started 4 days before the recent
    # week, there is no earlier week to average yet.
    assert segment_of(earlier_and_recent(13, first=RECENT_START - 4, per_day=4)) == "steady"  # 4 days
    assert segment_of(earlier_and_recent(13, first=RECENT_START - MIN_EARLIER_DAYS, per_day=4)) == "slipping"


def test_the_first_matching_rule_wins_in_the_tables_order():
    # A learner never active has also been quiet for DAY days: not started comes first.
    assert segments.measures(learner({}), DAY)["quiet_days"][0] >= QUIET_DAYS
    assert segment_of({}) == "not_started"
    # No activity in the recent week after a busy start: gone quiet, though also far below the average.
    assert segment_of(dict.fromkeys(range(RECENT_START), 5)) == "gone_quiet"


def test_every_segment_says_what_it_is_and_what_to_do_and_the_last_takes_the_rest():
    assert [s.name for s in SEGMENTS] == ["not_started", "gone_quiet", "slipping", "steady"]
    assert all(s.label and s.description and s.action for s in SEGMENTS)
    assert SEGMENTS[-1].when == ()
    assert all(s.when for s in SEGMENTS[:-1])


def test_a_course_is_segmented_in_one_call_per_learner_row():
    counts = np.concatenate(
        [learner({}), learner({3: 2}), learner(earlier_and_recent(1)), learner(earlier_and_recent(20))]
    )
    assert list(segments_for(counts, DAY)) == ["not_started", "gone_quiet", "slipping", "steady"]
    assert list(segments_for(counts, 0)) == ["not_started"] * 4  # day 0: nothing known yet


def test_rank_in_course_is_one_for_the_riskiest_and_ties_share_the_smaller_rank():
    assert list(ranks_in_course(np.array([0.1, 0.8, 0.9, 0.8]))) == [4, 2, 1, 2]
    assert list(ranks_in_course(np.array([0.5, 0.5]))) == [1, 1]
