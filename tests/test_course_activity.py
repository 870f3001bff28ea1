"""A course's stored activity as of day d: the cube read from the store, features, `export-features`."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from db.connection import database
from db.courses import EVENT_TYPES, ActivityDay, Course, Enrollment
from modelling.activity_features import FEATURE_NAMES, activity_features
from services import course_activity
from services.errors import InvalidInput, NotFound


def store_course(code: str, counts: np.ndarray, sources: np.ndarray | None = None, days: int = 30):
    """A course with one enrollment per row of `counts`, its non-empty days stored through the models;
    returns the course and its enrollments in creation order."""
    with database.atomic():
        course = Course.create(code=code, title=code, start_date=date(2024, 3, 4), length_days=days)
        enrollments = [
            Enrollment.create(course=course, learner_ref=f"{code}-L{e}") for e in range(len(counts))
        ]
        rows = []
        for e, t in zip(*np.nonzero(counts.sum(axis=2)), strict=True):
            row = {name: int(counts[e, t, k]) for k, name in enumerate(EVENT_TYPES)}
            if sources is not None and not np.isnan(sources[e, t]).any():
                row.update(server=int(sources[e, t, 0]), browser=int(sources[e, t, 1]))
            rows.append({"course": course, "enrollment": enrollments[e], "day": int(t), **row})
        for start in range(0, len(rows), 100):
            ActivityDay.insert_many(rows[start : start + 100]).execute()
    return course, enrollments


def random_counts(seed: int, enrollments: int, days: int = 30) -> np.ndarray:
    rng = np.random.default_rng(seed)
    on = rng.random((enrollments, days, 1)) < 0.3
    return rng.poisson(2.0, (enrollments, days, 7)) * on


def test_features_from_the_store_equal_the_features_of_the_same_counts(app):
    counts = random_counts(1, 25)
    counts[3] = 0  # a learner who never did anything: no row at all
    sources = counts.sum(axis=2, keepdims=True) * np.array([1, 0]) + np.zeros((25, 30, 2))
    with app.app_context():
        course, enrollments = store_course("C1", counts, sources)
        store_course("OTHER", random_counts(2, 5))  # another course's rows stay out
        for d in (0, 1, 7, 14, 21, 30):
            got = course_activity.features_as_of(course, d)
            # Before any row is read the store cannot know that this course reports sources.
            want = activity_features(counts, d, 30, sources if d else None)
            assert list(got.columns) == ["course", "enrollment_id", *FEATURE_NAMES]
            assert got.index.tolist() == [e.id for e in enrollments]
            assert got["enrollment_id"].tolist() == [f"C1-L{e}" for e in range(25)]
            assert (got["course"] == "C1").all()
            pd.testing.assert_frame_equal(
                got[list(FEATURE_NAMES)].reset_index(drop=True), want, check_dtype=False
            )
        assert (
            course_activity.features_as_of(course, 14).loc[enrollments[3].id, "days_since_last_active"] == 14
        )


def test_the_cube_reads_only_days_before_d(app):
    counts = random_counts(3, 6)
    with app.app_context():
        course, enrollments = store_course("C2", counts)
        before = course_activity.course_cube(course, 10)
        ActivityDay.delete().where((ActivityDay.course == course) & (ActivityDay.day >= 10)).execute()
        ActivityDay.insert_many(
            [{"course": course, "enrollment": enrollments[0], "day": 10, "navigate": 500}]
            + [{"course": course, "enrollment": e, "day": 29, "video": 99} for e in enrollments[1:]]
        ).execute()
        after = course_activity.course_cube(course, 10)
        assert np.array_equal(before.counts, after.counts)
        assert before.counts[:, 10:].sum() == 0 and before.counts.sum() == counts[:, :10].sum()
        assert course_activity.course_cube(course, 30).counts[1, 29, 4] == 99


def test_sources_unknown_stay_unknown(app):
    counts = np.ones((2, 30, 7), dtype=int)
    sources = np.full((2, 30, 2), 3.0)
    sources[1, 5] = np.nan  # stored as NULL server/browser
    with app.app_context():
        course, _ = store_course("C3", counts, sources)
        features = course_activity.features_as_of(course, 7)
        assert features["server"].tolist()[0] == 21 and np.isnan(features["server"].tolist()[1])
        assert course_activity.features_as_of(course, 5)["browser"].tolist() == [15, 15]
        plain, _ = store_course("C4", counts)
        assert course_activity.course_cube(plain, 7).sources is None
        assert course_activity.features_as_of(plain, 7)["server"].isna().all()


def test_a_course_without_enrollments_and_a_day_outside_the_course(app):
    with app.app_context():
        course, _ = store_course("EMPTY", np.zeros((0, 30, 7), dtype=int), days=20)
        features = course_activity.features_as_of(course, 7)
        assert features.empty and list(features.columns) == ["course", "enrollment_id", *FEATURE_NAMES]
        with pytest.raises(InvalidInput, match="0 to 20"):
            course_activity.features_as_of(course, 21)
        with pytest.raises(NotFound):
            course_activity.export_features(7, "unused.csv", "NOPE")


def test_export_features_command_writes_one_row_per_enrollment(app, tmp_path):
    counts = np.zeros((3, 30, 7), dtype=int)
    counts[0, 0, 0] = 2  # navigate on day 0
    counts[0, 6, 3] = 5  # problems on day 6
    counts[1, 7, 4] = 9  # video on day 7: after day 7's window
    with app.app_context():
        store_course("SMALL", counts)
        store_course("SHORT", random_counts(4, 2, days=5), days=5)
    out = tmp_path / "features.csv"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["export-features", "--day", "7", "--out", str(out), "--course", "SMALL"])
    assert result.exit_code == 0, result.output
    assert "3 enrollment(s) of 1 course(s)" in result.output
    frame = pd.read_csv(out)
    assert list(frame.columns[:2]) == ["course", "enrollment_id"]
    assert {*EVENT_TYPES, "active_days"} <= set(frame.columns)
    assert frame["enrollment_id"].tolist() == ["SMALL-L0", "SMALL-L1", "SMALL-L2"]
    assert frame["navigate"].tolist() == [2, 0, 0] and frame["problem"].tolist() == [5, 0, 0]
    assert frame["video"].tolist() == [0, 0, 0] and frame["active_days"].tolist() == [2, 0, 0]
    assert frame["days_since_last_active"].tolist() == [0, 7, 7]

    everything = runner.invoke(args=["export-features", "--day", "7", "--out", str(out)])
    assert everything.exit_code == 0, everything.output
    assert "SHORT: left out" in everything.output
    assert pd.read_csv(out)["course"].unique().tolist() == ["SMALL"]


def test_export_features_command_refuses_bad_input_with_a_message(app, tmp_path):
    with app.app_context():
        store_course("SMALL", np.zeros((1, 30, 7), dtype=int))
    out = tmp_path / "features.csv"
    runner = app.test_cli_runner()
    unknown = runner.invoke(args=["export-features", "--day", "7", "--out", str(out), "--course", "NOPE"])
    assert unknown.exit_code != 0 and "No course NOPE" in unknown.output and not out.exists()
    late = runner.invoke(args=["export-features", "--day", "31", "--out", str(out), "--course", "SMALL"])
    assert late.exit_code != 0 and "0 to 30" in late.output and not out.exists()
    negative = runner.invoke(args=["export-features", "--day", "-1", "--out", str(out)])
    assert negative.exit_code != 0 and "--day" in negative.output
