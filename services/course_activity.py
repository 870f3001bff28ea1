"""A course's stored activity as of day d: the dense cube, the early-warning features, their export."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from db.courses import EVENT_TYPES, SOURCES, ActivityDay, Course, Enrollment
from modelling.activity_features import FEATURE_NAMES, activity_features, cube_from_frame
from modelling.cells import frame_csv
from services.errors import InvalidInput, NotFound

ROW_COLUMNS = ("enrollment", "day", *EVENT_TYPES, *SOURCES)
KEY_COLUMNS = ("course", "enrollment_id")


@dataclass
class CourseCube:
    """One course's activity before day `day`: `counts[e, t, k]` for enrollment `ids[e]` (by id)."""

    course: Course
    day: int
    ids: np.ndarray
    learner_refs: list[str]
    counts: np.ndarray
    sources: np.ndarray | None


def course_cube(course: Course, day: int) -> CourseCube:
    """The cube of `course` from its days 0..day-1 (the activity in one query; enrollments by id).

    `sources` is None when no stored row of those days names a source; otherwise a row stored without
    one is NaN there, so that enrollment's server/browser features are unknown rather than too low."""
    _check_day(course, day)
    enrollments = Enrollment.of_course(course)
    ids = np.array([row[0] for row in enrollments], dtype=np.int64)
    # None (source unknown) becomes NaN in a float array; counts are far below 2**53.
    rows = np.array(ActivityDay.before_day(course, day), dtype=float)
    frame = pd.DataFrame(rows.reshape(-1, len(ROW_COLUMNS)), columns=ROW_COLUMNS)
    frame["enrollment"] = frame["enrollment"].astype(np.int64)
    _, counts, sources = cube_from_frame(frame, course.length_days, enrollments=ids)
    return CourseCube(course, day, ids, [row[1] for row in enrollments], counts, sources)


def features_as_of(course: Course, day: int) -> pd.DataFrame:
    """One row per enrollment of `course` (index: the enrollment's id): `course, enrollment_id` (the
    learner reference), then FEATURE_NAMES from days 0..day-1."""
    cube = course_cube(course, day)
    features = activity_features(cube.counts, day, course.length_days, cube.sources)
    features.insert(0, "enrollment_id", cube.learner_refs)
    features.insert(0, "course", course.code)
    features.index = pd.Index(cube.ids, name="enrollment")
    return features


def _check_day(course: Course, day: int) -> None:
    if not 0 <= day <= course.length_days:
        raise InvalidInput(
            f"Day {day} is outside course {course.code}: use 0 to {course.length_days}.",
            {"day": f"between 0 and {course.length_days}"},
        )


@dataclass
class ExportSummary:
    """What an export wrote: rows and courses, and the courses left out (too short for the day)."""

    rows: int = 0
    courses: int = 0
    skipped: list[str] = field(default_factory=list)


def export_features(day: int, out: str | Path, course_code: str | None = None) -> ExportSummary:
    """Write the features as of `day` of every enrollment (of one course, when a code is given) to a
    CSV; courses shorter than `day` are left out of an all-courses export and named in the summary."""
    if course_code is not None:
        course = Course.by_code(course_code)
        if course is None:
            raise NotFound(f"No course {course_code}.", {"course": "unknown code"})
        _check_day(course, day)
        courses = [course]
    else:
        courses = list(Course.select().order_by(Course.code))
    summary = ExportSummary()
    with open(out, "w", newline="", encoding="utf-8") as handle:
        handle.write(",".join((*KEY_COLUMNS, *FEATURE_NAMES)) + "\n")
        for course in courses:
            if day > course.length_days:
                summary.skipped.append(course.code)
                continue
            features = features_as_of(course, day)
            frame_csv(features, handle, header=False, index=False)
            summary.rows += len(features)
            summary.courses += 1
    return summary
