"""From parsed rows to the store's keys: the course of each row (created when new), the enrollment of
each learner (created on first sight) and the course day of each date (outside the window: rejected)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd

from db.courses import DEFAULT_COURSE_DAYS, Course, Enrollment
from services.ingest.parsed import Rejection

LEARNER_MAX = Enrollment.learner_ref.max_length
CODE_MAX = Course.code.max_length


class Courses:
    """The courses one import names. A course that does not exist is created with the import's
    `start`, else the earliest date the import holds for it (asked of `earliest` once, lazily: a
    file whose courses all exist is not read twice), and a length of `days` or 30."""

    def __init__(self, start: date | None, days: int | None, earliest: Callable[[], dict[str, date]]):
        self.start, self.days, self._earliest = start, days, earliest
        self._first_dates: dict[str, date] | None = None
        self.known: dict[str, Course] = {}

    def get(self, code: str, fallback_start: date) -> Course:
        """The course with this code (created when new; `fallback_start` if the import has no date for it)."""
        course = self.known.get(code) or Course.by_code(code)
        if course is None:
            course = self._create(code, fallback_start)
        self.known[code] = course
        return course

    def _create(self, code: str, fallback_start: date) -> Course:
        start = self.start
        if start is None:
            if self._first_dates is None:
                self._first_dates = self._earliest()
            start = self._first_dates.get(code, fallback_start)
        length = self.days or DEFAULT_COURSE_DAYS
        Course.insert(
            code=code, title=code, start_date=start, length_days=length
        ).on_conflict_ignore().execute()
        return Course.by_code(code)


def course_window_reason(day: int, course: Course) -> str:
    """Why a row on `day` of `course` is not counted."""
    return f"outside the course window: day {day} of a {course.length_days}-day course {course.code}"


def keyed_rows(
    frame: pd.DataFrame, dates: pd.Series, courses: Courses, default_course: str | None
) -> tuple[pd.DataFrame, list[Rejection]]:
    """The rows of `frame` with `course_id`, `enrollment_id` and `day` added, those outside their
    course's window or with no usable course or learner taken out as rejections (every rejection is
    returned: the caller keeps the first ones and counts the rest)."""
    codes = frame["course"].to_numpy(dtype=object).copy()
    codes[pd.isna(codes)] = default_course
    # Learners numbered once for the chunk: checked and looked up per distinct learner.
    learner_of, learner_refs = pd.factorize(frame["learner"].to_numpy(dtype=object))
    problems = _key_problems(codes, learner_of, learner_refs)
    rejected = [Rejection(int(frame["line"].iat[i]), problems[i]) for i in np.flatnonzero(problems != None)]  # noqa: E711
    when = dates.to_numpy(dtype="datetime64[ns]")
    code_of, distinct = pd.factorize(np.where(problems == None, codes, None))  # noqa: E711
    # Rows grouped by course (in order of first sight, file order within a course): one copy of the
    # frame for the whole chunk instead of a selection per course.
    order = np.argsort(code_of, kind="stable")
    order = order[code_of[order] >= 0]
    bounds = np.searchsorted(code_of[order], np.arange(len(distinct) + 1))
    lines = frame["line"].to_numpy()[order]
    learners = learner_of[order]
    when = when[order]
    inside, course_ids, enrollment_ids, days = [], [], [], []
    for index, code in enumerate(distinct):
        rows = slice(bounds[index], bounds[index + 1])
        course, kept, enrollments, course_days, outside = _in_course(
            lines[rows], learners[rows], learner_refs, when[rows], courses, str(code)
        )
        inside.append(kept)
        course_ids.append(np.full(len(course_days), course.id, dtype=np.int64))
        enrollment_ids.append(enrollments)
        days.append(course_days)
        rejected.extend(outside)
    rejected.sort(key=lambda rejection: rejection.line)
    if not distinct.size:
        return frame.iloc[:0].assign(course_id=0, enrollment_id=0, day=0), rejected
    keyed = frame.iloc[order[np.concatenate(inside)]]
    return keyed.assign(course_id=np.concatenate(course_ids), enrollment_id=np.concatenate(enrollment_ids),
                        day=np.concatenate(days)), rejected


def _key_problems(codes: np.ndarray, learners: np.ndarray, refs: np.ndarray) -> np.ndarray:
    """Per row, why its course or learner cannot be used (None when both can)."""
    problems = np.full(len(codes), None, dtype=object)
    missing = pd.isna(codes)
    problems[missing] = "no course: the row has no course_id and the import names no course"
    code_of, distinct = pd.factorize(codes)
    long_code = np.array([len(str(code)) > CODE_MAX for code in distinct], dtype=bool)
    if long_code.any():
        problems[(code_of >= 0) & long_code[code_of]] = f"course code too long: over {CODE_MAX} characters"
    too_long = np.array([len(str(learner)) > LEARNER_MAX for learner in refs], dtype=bool)
    if too_long.any():
        rows = too_long[learners] & (problems == None)  # noqa: E711
        problems[rows] = f"learner reference too long: over {LEARNER_MAX} characters"
    return problems


def _in_course(lines: np.ndarray, learners: np.ndarray, refs: np.ndarray, when: np.ndarray, courses: Courses,
               code: str):
    """One course's rows (`learners`: numbers into `refs`): the course, which rows are inside its window,
    the enrollment and day of each row inside, and the rows outside as rejections."""
    course = courses.get(code, pd.Timestamp(when.min()).date())
    start = np.datetime64(course.start_date, "D")
    days = (when.astype("datetime64[D]") - start).astype(np.int64)
    inside = (days >= 0) & (days < course.length_days)
    outside = [
        Rejection(int(line), course_window_reason(int(day), course))
        for line, day in zip(lines[~inside], days[~inside], strict=True)
    ]
    learner_of, numbers = pd.factorize(learners[inside])  # in order of first sight, as enrollments are made
    distinct = refs[numbers]
    ids = Enrollment.ids_for(course.id, [str(learner) for learner in distinct])
    enrollment_ids = np.array([ids[str(learner)] for learner in distinct], dtype=np.int64)
    return course, inside, enrollment_ids[learner_of], days[inside], outside
