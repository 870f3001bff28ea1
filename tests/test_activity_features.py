"""Early-warning features as of day d: against a plain loop implementation, no leak from day d on."""

from __future__ import annotations

import math
import os
import statistics
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelling.activity_features import (
    FEATURE_NAMES,
    SPEC_AGGREGATES,
    activity_features,
    cube_from_frame,
    describe,
)
from modelling.event_types import EVENT_TYPES

# The real public data sets' folder, when a developer names it (the checks on it are skipped otherwise).
REAL_DATA_DIR = Path(os.environ.get("SSA_REAL_DATA_DIR") or "/nonexistent-real-data")
DAILY_DIR = REAL_DATA_DIR / "kddcup2015_daily"
CHECKPOINTS = (7, 14, 21, 30)


def reference_row(days: list[list[int]], d: int, sources: list[list[float]] | None) -> dict[str, float]:
    """The features of one enrollment, written out day by day (days[t] = the seven counts of day t)."""
    seen = [days[t] if t < len(days) else [0] * 7 for t in range(d)]
    per_day = [sum(row) for row in seen]
    on = [n > 0 for n in per_day]
    row: dict[str, float] = {}
    for k, name in enumerate(EVENT_TYPES):
        row[name] = sum(r[k] for r in seen)
    row["total_events"] = sum(per_day)
    row["active_days"] = sum(on)
    row["active_day_share"] = sum(on) / d if d else math.nan
    for week in range(1, 6):
        span = [t for t in range(7 * (week - 1), 7 * week) if t < d]
        row[f"week_{week}_events"] = sum(per_day[t] for t in span) if span else math.nan
        row[f"week_{week}_active_days"] = sum(on[t] for t in span) if span else math.nan
    last = [t for t in range(d - 7, d) if t >= 0]
    previous = [t for t in range(d - 14, d - 7) if t >= 0]
    row["last_week_events"] = sum(per_day[t] for t in last)
    row["last_week_active_days"] = sum(on[t] for t in last)
    row["previous_week_events"] = sum(per_day[t] for t in previous)
    row["previous_week_active_days"] = sum(on[t] for t in previous)
    ratio = (1 + row["last_week_events"]) / (1 + row["previous_week_events"])
    row["week_trend"] = math.log(ratio) if d >= 14 else math.nan
    active_days = [t for t in range(d) if on[t]]
    row["days_since_last_active"] = d - 1 - active_days[-1] if active_days else d
    row["first_active_day"] = active_days[0] if active_days else d
    row["longest_active_streak"] = _longest(on, True)
    streak = 0
    for t in reversed(range(d)):
        if not on[t]:
            break
        streak += 1
    row["current_active_streak"] = streak
    row["longest_idle_streak"] = _longest(on, False)
    row["active_span_days"] = active_days[-1] - active_days[0] if active_days else 0
    row["study_days"] = len(active_days)
    first_cut, second_cut = d // 3, (2 * d) // 3
    row["early_events"] = sum(per_day[t] for t in range(d) if t < first_cut)
    row["mid_events"] = sum(per_day[t] for t in range(d) if first_cut <= t < second_cut)
    row["late_events"] = sum(per_day[t] for t in range(d) if t >= second_cut)
    for j, name in enumerate(("server", "browser")):
        row[name] = sum(s[j] for s in sources[:d]) if sources is not None else math.nan
    return row


def _longest(flags: list[bool], value: bool) -> int:
    best = run = 0
    for flag in flags:
        run = run + 1 if flag == value else 0
        best = max(best, run)
    return best


def reference(counts: np.ndarray, d: int, sources: np.ndarray | None = None) -> pd.DataFrame:
    """Every enrollment's reference row, then the comparisons with the course's median enrollment."""
    rows = [
        reference_row(counts[e].tolist(), d, None if sources is None else sources[e].tolist())
        for e in range(len(counts))
    ]
    totals = statistics.median(r["total_events"] for r in rows)
    days = statistics.median(r["active_days"] for r in rows)
    recent = statistics.median(r["last_week_events"] for r in rows)
    for r in rows:
        r["events_vs_course_median"] = math.log((1 + r["total_events"]) / (1 + totals))
        r["active_days_vs_course_median"] = r["active_days"] - days
        r["last_week_events_vs_course_median"] = math.log((1 + r["last_week_events"]) / (1 + recent))
    return pd.DataFrame(rows)[list(FEATURE_NAMES)]


def random_cube(rng: np.random.Generator, enrollments: int, days: int = 30) -> np.ndarray:
    """Sparse bursty counts: most enrollments stop early, like MOOC learners."""
    stop = rng.integers(0, days + 1, size=(enrollments, 1, 1))
    on = (rng.random((enrollments, days, 1)) < rng.uniform(0.1, 0.9, (enrollments, 1, 1))) & (
        np.arange(days)[None, :, None] < stop
    )
    return rng.poisson(rng.uniform(0.5, 6, (enrollments, 1, 7)), (enrollments, days, 7)) * on


def assert_same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == list(FEATURE_NAMES)
    pd.testing.assert_frame_equal(
        got.astype(float).reset_index(drop=True),
        want.astype(float).reset_index(drop=True),
        check_exact=False,
        rtol=1e-9,
    )


@pytest.mark.parametrize("d", [0, 1, 2, 3, 6, 7, 8, 13, 14, 15, 20, 21, 29, 30])
def test_features_match_the_reference_on_generated_courses(d):
    rng = np.random.default_rng(d)
    counts = random_cube(rng, 60)
    sources = counts.sum(axis=2, keepdims=True) * np.array([0.75, 0.25])
    assert_same(activity_features(counts, d, 30), reference(counts, d))
    assert_same(activity_features(counts, d, 30, sources), reference(counts, d, sources))


def load_daily_course(path: Path) -> pd.DataFrame:
    """A course file of the daily format as a long frame (enrollment, day, the seven types)."""
    frame = pd.read_csv(path, parse_dates=["time"])
    frame["day"] = (frame["time"] - frame["time"].min()).dt.days
    frame = frame.rename(columns={f"event_{name}": name for name in EVENT_TYPES})
    return frame.rename(columns={"enrollment_id": "enrollment"})


@pytest.mark.skipif(not DAILY_DIR.is_dir(), reason=f"real data not found under {DAILY_DIR}")
@pytest.mark.parametrize("name", ["course_1038.csv", "course_1402.csv", "course_2008.csv"])
def test_features_match_the_reference_on_real_courses(name):
    frame = load_daily_course(DAILY_DIR / name)
    ids, counts, sources = cube_from_frame(frame, 30)
    assert sources is None and counts.shape == (frame["enrollment"].nunique(), 30, 7)
    assert counts.sum() == frame[list(EVENT_TYPES)].to_numpy().sum()
    sample = np.random.default_rng(1).choice(len(ids), size=min(400, len(ids)), replace=False)
    for d in CHECKPOINTS:
        features = activity_features(counts, d, 30)
        want = reference(counts, d)
        assert_same(features.iloc[sample], want.iloc[sample])


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    enrollments=st.integers(1, 12),
    d=st.integers(0, 30),
    with_sources=st.booleans(),
)
def test_nothing_from_day_d_or_later_changes_the_features_as_of_d(seed, enrollments, d, with_sources):
    rng = np.random.default_rng(seed)
    counts = random_cube(rng, enrollments)
    sources = rng.integers(0, 9, (enrollments, 30, 2)).astype(float) if with_sources else None
    before = activity_features(counts, d, 30, sources)
    changed = counts.copy()
    changed[:, d:] = rng.integers(0, 50, changed[:, d:].shape)
    changed_sources = None
    if sources is not None:
        changed_sources = sources.copy()
        changed_sources[:, d:] = np.nan
    pd.testing.assert_frame_equal(before, activity_features(changed, d, 30, changed_sources))
    # A shorter cube (only the days before d, as the store reads them) gives the same row too.
    shorter = None if sources is None else sources[:, :d]
    pd.testing.assert_frame_equal(before, activity_features(counts[:, :d], d, 30, shorter))


def test_a_learner_never_active_and_one_active_only_yesterday():
    counts = np.zeros((3, 30, 7), dtype=int)
    counts[1, 13, 3] = 4  # problems on day 13, the last day before 14
    counts[2, :14, 0] = 1  # every day
    features = activity_features(counts, 14, 30)
    never, yesterday, always = (features.iloc[i] for i in range(3))
    assert never["total_events"] == 0 and never["active_days"] == 0
    assert never["days_since_last_active"] == 14 and never["first_active_day"] == 14
    assert never["longest_idle_streak"] == 14 and never["active_span_days"] == 0
    assert yesterday["days_since_last_active"] == 0 and yesterday["problem"] == 4
    assert yesterday["current_active_streak"] == 1 and yesterday["week_trend"] == pytest.approx(np.log(5))
    assert always["longest_active_streak"] == 14 and always["longest_idle_streak"] == 0
    # The median learner is the one active once: the one never active is below it.
    assert never["active_days_vs_course_median"] == -1 and always["active_days_vs_course_median"] == 13


def test_day_zero_and_day_one():
    counts = np.zeros((2, 30, 7), dtype=int)
    counts[0, 0, 1] = 3
    at_zero = activity_features(counts, 0, 30)
    assert (at_zero["total_events"] == 0).all() and (at_zero["days_since_last_active"] == 0).all()
    assert at_zero[[f"week_{w}_events" for w in range(1, 6)]].isna().all().all()
    at_one = activity_features(counts, 1, 30)
    assert at_one["access"].tolist() == [3, 0] and at_one["days_since_last_active"].tolist() == [0, 1]
    assert at_one["late_events"].tolist() == [3, 0] and at_one["early_events"].tolist() == [0, 0]
    assert at_one["week_1_events"].tolist() == [3, 0] and at_one["week_2_events"].isna().all()


def test_a_course_of_one_enrollment_is_its_own_median():
    counts = np.zeros((1, 30, 7), dtype=int)
    counts[0, [2, 3, 9], 4] = [1, 2, 5]
    features = activity_features(counts, 14, 30)
    assert len(features) == 1
    assert features.loc[0, "events_vs_course_median"] == 0
    assert features.loc[0, "active_days_vs_course_median"] == 0
    assert features.loc[0, "video"] == 8 and features.loc[0, "longest_active_streak"] == 2


def test_an_empty_course_gives_an_empty_frame_with_every_column():
    features = activity_features(np.zeros((0, 30, 7), dtype=int), 14, 30)
    assert features.empty and list(features.columns) == list(FEATURE_NAMES)


def test_a_day_outside_the_course_or_a_wrong_cube_is_refused():
    with pytest.raises(ValueError, match="course length 30"):
        activity_features(np.zeros((2, 30, 7), dtype=int), 31, 30)
    with pytest.raises(ValueError, match="course length"):
        activity_features(np.zeros((2, 30, 7), dtype=int), -1, 30)
    with pytest.raises(ValueError, match="shape"):
        activity_features(np.zeros((2, 30, 6), dtype=int), 7, 30)


def test_sources_unknown_on_a_day_make_the_enrollments_sources_unknown():
    counts = np.ones((2, 30, 7), dtype=int)
    sources = np.full((2, 30, 2), 1.0)
    sources[1, 3] = np.nan
    features = activity_features(counts, 7, 30, sources)
    assert features.loc[0, "server"] == 7 and features.loc[0, "browser"] == 7
    assert np.isnan(features.loc[1, "server"])
    # The unknown day is after day 2: as of day 3 the source is known for every observed day.
    assert activity_features(counts, 3, 30, sources).loc[1, "server"] == 3


def test_the_feature_list_is_declared_with_words_and_covers_spec_aggregates():
    assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES)
    assert set(SPEC_AGGREGATES) <= set(FEATURE_NAMES) and len(SPEC_AGGREGATES) == 14
    assert {*EVENT_TYPES, "active_days", "days_since_last_active"} <= set(FEATURE_NAMES)
    assert all(describe(name) for name in FEATURE_NAMES)
    assert describe("days_since_last_active") == "days without activity since the last active day"


def test_the_cube_from_a_long_frame_drops_days_outside_and_keeps_silent_enrollments():
    frame = pd.DataFrame(
        {
            "enrollment": ["a", "a", "b", "a", "b"],
            "day": [0, 29, 3, 30, -1],
            "navigate": [1, 2, 3, 100, 100],
            "video": [0, 1, 0, 100, 100],
            "server": [1, None, 3, 5, 5],
            "browser": [0, 3, 0, 5, 5],
        }
    )
    ids, counts, sources = cube_from_frame(frame, 30, enrollments=["c", "b", "a"])
    assert list(ids) == ["c", "b", "a"] and counts.shape == (3, 30, 7)
    assert counts[0].sum() == 0  # "c" has no rows: a learner who did nothing
    assert counts[2, 0, 0] == 1 and counts[2, 29].tolist() == [2, 0, 0, 0, 1, 0, 0]  # missing types count 0
    assert counts.sum() == 7  # the rows of days 30 and -1 are outside the window
    assert sources[1, 3].tolist() == [3, 0] and np.isnan(sources[2, 29, 0])
    with pytest.raises(ValueError, match="'z'"):
        cube_from_frame(pd.DataFrame({"enrollment": ["z"], "day": [0]}), 30, enrollments=["a"])
    _, _, no_sources = cube_from_frame(frame.drop(columns=["server", "browser"]), 30)
    assert no_sources is None
