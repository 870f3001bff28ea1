"""Tests of the course generator, the demo courses, their CSV files and the course calibration step."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from modelling import calibrate_courses
from modelling.demo_course_set import DAILY_COLUMNS, demo_courses, write_daily_csv, write_outcomes_csv
from modelling.event_types import EVENT_TYPES
from modelling.synthetic_courses import CourseSpec, generate_courses, load_course_calibration

CALIBRATION = load_course_calibration()
TODAY = date(2025, 3, 14)
TYPES = list(EVENT_TYPES)


def _specs(n_courses: int = 6, enrollments: int = 2_500) -> list[CourseSpec]:
    return [CourseSpec(f"T{i}", f"Test course {i}", enrollments) for i in range(n_courses)]


@pytest.fixture(scope="module")
def generated() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return generate_courses(_specs(), seed=5)


@pytest.fixture(scope="module")
def demo() -> list:
    return demo_courses(TODAY, seed=3)


def _active(activity: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """Each enrollment-day with its label and whether anything happened."""
    frame = activity.merge(outcomes, on=["course", "enrollment_id"], validate="many_to_one")
    return frame.assign(active=frame[TYPES].sum(axis=1) > 0)


def test_calibration_is_aggregate_figures_with_their_source() -> None:
    assert "aggregate figures only" in CALIBRATION["source"].lower()
    assert "kddcup2015_daily" in CALIBRATION["source"]
    for name in ("stayer", "dropout"):
        assert len(CALIBRATION["labels"][name]["active_rate_by_day"]) == CALIBRATION["length_days"]


def test_same_seed_same_courses_and_another_seed_other_courses() -> None:
    first = generate_courses(_specs(2, 300), seed=11)
    again = generate_courses(_specs(2, 300), seed=11)
    other = generate_courses(_specs(2, 300), seed=12)
    for a, b in zip(first, again, strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert not first[1][TYPES].equals(other[1][TYPES])
    assert not first[2]["label"].equals(other[2]["label"])


def test_shapes_and_value_ranges(generated) -> None:
    courses, activity, outcomes = generated
    assert list(courses["code"]) == [f"T{i}" for i in range(6)]
    assert (courses["length_days"] == 30).all() and (courses["enrollments"] == 2_500).all()
    # every enrollment has one row per day of the course, zeros included
    assert len(activity) == 6 * 2_500 * 30
    assert activity.groupby(["course", "enrollment_id"]).size().eq(30).all()
    assert activity["day"].between(0, 29).all()
    counts = activity[TYPES]
    assert all(np.issubdtype(dtype, np.integer) for dtype in counts.dtypes)
    assert (counts >= 0).all().all()
    assert len(outcomes) == 6 * 2_500 and outcomes["enrollment_id"].is_unique
    assert set(outcomes["label"]) == {0, 1}
    # like the real data, every enrollment of a finished course shows up at least once
    per_enrollment = activity.groupby("enrollment_id")[TYPES].sum().sum(axis=1)
    assert (per_enrollment > 0).all()


def test_running_course_stops_before_today_and_has_no_outcomes() -> None:
    specs = [CourseSpec("RUN", "Running", 400, observed_days=12), CourseSpec("DONE", "Done", 400)]
    courses, activity, outcomes = generate_courses(specs, seed=1)
    running = activity[activity["course"] == "RUN"]
    assert running["day"].max() == 11 and len(running) == 400 * 12
    assert set(outcomes["course"]) == {"DONE"}
    assert courses.set_index("code").loc["RUN", "observed_days"] == 12


def test_dropout_rates_match_the_course_rate(generated) -> None:
    courses, _, outcomes = generated
    measured = outcomes.groupby("course")["label"].mean()
    rates = courses.set_index("code")["dropout_rate"]
    tolerance = 4 * np.sqrt(rates * (1 - rates) / 2_500)
    assert ((measured - rates).abs() <= tolerance).all()
    real = CALIBRATION["courses"]["dropout_rates"]
    assert rates.between(min(real), max(real)).all()
    given = generate_courses([CourseSpec("G", "Given", 3_000, dropout_rate=0.6)], seed=2)[2]
    assert abs(given["label"].mean() - 0.6) < 4 * np.sqrt(0.6 * 0.4 / 3_000)


def test_active_day_rates_match_the_calibration_by_label_and_week(generated) -> None:
    frame = _active(generated[1], generated[2])
    frame["week"] = np.minimum(frame["day"] // 7, 3)
    rates = frame.groupby(["label", "week"])["active"].mean()
    for name, label in calibrate_courses.LABELS.items():
        expected = np.asarray(CALIBRATION["labels"][name]["active_rate_by_day"])
        for week in range(4):
            days = slice(week * 7, 30 if week == 3 else week * 7 + 7)
            # the chain is fitted to transitions, not to these rates: a few points apart is a good fit
            assert rates[(label, week)] == pytest.approx(expected[days].mean(), abs=0.025)


def test_dropouts_fade_late_in_the_course_while_stayers_keep_going(generated) -> None:
    frame = _active(generated[1], generated[2])
    late = frame[frame["day"] >= 23].groupby("label")["active"].mean()
    early = frame[frame["day"] < 7].groupby("label")["active"].mean()
    assert late[1] < late[0] / 3
    assert late[1] < early[1] / 2
    last = frame[frame["active"]].groupby(["enrollment_id", "label"])["day"].max().groupby("label").mean()
    assert last[1] < last[0] - 5


def test_events_per_active_day_and_type_mix_look_like_the_calibration(generated) -> None:
    frame = _active(generated[1], generated[2])
    days = frame[frame["active"]]
    for name, label in calibrate_courses.LABELS.items():
        events = days.loc[days["label"] == label, TYPES].sum(axis=1)
        figures = CALIBRATION["labels"][name]
        assert events.median() == pytest.approx(figures["events_per_active_day"]["median"], rel=0.35)
        shares = days.loc[days["label"] == label, TYPES].sum() / events.sum()
        expected = np.mean(figures["event_mix"]["shares_by_week"], axis=0)
        assert np.abs(shares.to_numpy() - expected).max() < 0.06


def test_type_mix_follows_the_day_size_and_the_first_active_day(generated) -> None:
    counts = generated[1][TYPES].to_numpy().reshape(len(generated[2]), -1, len(TYPES))
    measured = calibrate_courses.mix_by_day_size(counts)
    shipped = CALIBRATION["event_mix_by_day_size"]
    for part in ("first_active_day", "later_days"):
        # the course, learner and day tilts scatter the shares around the shipped ones
        assert np.abs(np.subtract(measured[part], shipped[part])).max() < 0.1
    navigate, problem = TYPES.index("navigate"), TYPES.index("problem")
    assert measured["first_active_day"][0][navigate] > 0.9  # a one-event first day is a navigation
    assert measured["later_days"][-1][problem] > 5 * measured["later_days"][2][problem] + 0.1


def test_invalid_specs_are_refused() -> None:
    with pytest.raises(ValueError, match="unique"):
        generate_courses([CourseSpec("A", "a", 10), CourseSpec("A", "b", 10)], seed=0)
    with pytest.raises(ValueError, match="enrollment"):
        CourseSpec("A", "a", 0)
    with pytest.raises(ValueError, match="dropout rate"):
        CourseSpec("A", "a", 10, dropout_rate=1.5)


def test_demo_has_finished_courses_with_outcomes_and_running_ones_without(demo) -> None:
    finished = [course for course in demo if not course.running]
    running = [course for course in demo if course.running]
    assert len(finished) >= 4 and len(running) >= 3
    assert len({course.current_day for course in running}) == len(running)
    for course in finished:
        assert course.start_date + timedelta(days=course.length_days) < TODAY
        assert course.outcomes is not None and set(course.outcomes["label"]) == {0, 1}
        assert course.activity["date"].max() < TODAY
    for course in running:
        assert course.start_date == TODAY - timedelta(days=course.current_day)
        assert course.outcomes is None
        assert course.activity["date"].max() == TODAY - timedelta(days=1)
        assert course.activity["day"].max() == course.current_day - 1
    assert all(course.code.startswith("DEMO-") and course.title for course in demo)
    assert len({course.code for course in demo}) == len(demo)


def test_demo_is_deterministic_and_follows_today(demo) -> None:
    again = demo_courses(TODAY, seed=3)
    pd.testing.assert_frame_equal(demo[0].activity, again[0].activity)
    later = demo_courses(TODAY + timedelta(days=7), seed=3)
    assert later[0].start_date == demo[0].start_date + timedelta(days=7)


def test_written_files_parse_back_with_the_spec_columns(demo, tmp_path) -> None:
    course = next(course for course in demo if not course.running)
    daily = pd.read_csv(write_daily_csv(course, tmp_path / "daily.csv"), dtype={"enrollment_id": str})
    assert list(daily.columns) == DAILY_COLUMNS
    assert {"enrollment_id", "time", *(f"event_{name}" for name in EVENT_TYPES)} <= set(daily.columns)
    times = pd.to_datetime(daily["time"], format="%Y-%m-%d").dt.date
    assert times.min() == course.start_date
    assert times.max() == course.start_date + timedelta(days=course.length_days - 1)
    assert (daily["course_id"] == course.code).all()
    assert (
        daily[[f"event_{name}" for name in EVENT_TYPES]].to_numpy().sum()
        == course.activity[TYPES].sum().sum()
    )

    outcomes = pd.read_csv(
        write_outcomes_csv(course, tmp_path / "outcomes.csv"), dtype={"enrollment_id": str}
    )
    assert list(outcomes.columns[:2]) == ["enrollment_id", "label"]
    assert set(outcomes["enrollment_id"]) == set(daily["enrollment_id"])
    assert outcomes["label"].isin([0, 1]).all()

    running = next(course for course in demo if course.running)
    with pytest.raises(ValueError, match="running"):
        write_outcomes_csv(running, tmp_path / "none.csv")


def test_calibration_step_reads_the_daily_format_and_measures_what_was_generated(demo, tmp_path) -> None:
    finished = [course for course in demo if not course.running]
    for course in finished:
        write_daily_csv(course, tmp_path / f"course_{course.code}.csv")
    labels = pd.concat([course.outcomes for course in finished])
    labels[["enrollment_id", "label"]].to_csv(tmp_path / "truth.csv", index=False)
    out = tmp_path / "figures.json"
    assert calibrate_courses.main(["--data-dir", str(tmp_path), "--out", str(out)]) == 0
    figures = pd.read_json(out, typ="series")
    assert figures["courses"]["courses"] == len(finished)
    assert figures["courses"]["dropout_rate_overall"] == pytest.approx(labels["label"].mean(), abs=1e-6)
    for name in ("stayer", "dropout"):
        measured = np.asarray(figures["labels"][name]["active_rate_by_day"])
        shipped = np.asarray(CALIBRATION["labels"][name]["active_rate_by_day"])
        assert np.abs(measured.mean() - shipped.mean()) < 0.03


def test_calibration_step_without_data_writes_nothing(tmp_path) -> None:
    out = tmp_path / "figures.json"
    assert calibrate_courses.main(["--data-dir", str(tmp_path / "absent"), "--out", str(out)]) == 2
    assert not out.exists()
