"""From parsed rows to the store's keys: the course of each row (created when new), the enrollment of
each learner (created on first sight) and the course day of each date (outside the window: rejected)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from db.courses import DEFAULT_COURSE_DAYS, Course, Enrollment
from services.ingest.parsed import Rejection

LEARNER_MAX = Enrollment.learner_ref.max_length
EPOCH = date(1970, 1, 1)
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


@dataclass
class Grouped:
    """A chunk's rows grouped by course with all the work that needs no database, so that it can be
    done while the previous chunk is being stored: the rows in `order` (course by course in order of
    first sight, file order within one; rows without a usable course or learner left out as
    `rejected`), `codes[i]` owning rows `bounds[i]:bounds[i + 1]` of that order."""

    frame: pd.DataFrame
    rejected: list[Rejection]
    codes: np.ndarray
    bounds: np.ndarray
    order: np.ndarray
    lines: np.ndarray
    learners: np.ndarray  # numbers into `refs`
    refs: np.ndarray
    days: np.ndarray  # days since 1970-01-01


def group_rows(frame: pd.DataFrame, dates: pd.Series, default_course: str | None) -> Grouped:
    """The rows of `frame` grouped by course (its `course`, else `default_course`), their learners
    numbered and checked, their dates as days."""
    codes = frame["course"].to_numpy(dtype=object).copy()
    codes[pd.isna(codes)] = default_course
    # Learners numbered once for the chunk: checked and looked up per distinct learner.
    learner_of, learner_refs = pd.factorize(frame["learner"].to_numpy(dtype=object))
    problems = _key_problems(codes, learner_of, learner_refs)
    rejected = [Rejection(int(frame["line"].iat[i]), problems[i]) for i in np.flatnonzero(problems != None)]  # noqa: E711
    code_of, distinct = pd.factorize(np.where(problems == None, codes, None))  # noqa: E711
    # Rows grouped by course: one copy of the frame for the whole chunk instead of a selection per course.
    order = np.argsort(code_of, kind="stable")
    order = order[code_of[order] >= 0]
    bounds = np.searchsorted(code_of[order], np.arange(len(distinct) + 1))
    days = dates.to_numpy(dtype="datetime64[ns]")[order].astype("datetime64[D]").astype(np.int64)
    return Grouped(
        frame,
        rejected,
        distinct,
        bounds,
        order,
        frame["line"].to_numpy()[order],
        learner_of[order],
        learner_refs,
        days,
    )


def keyed_rows(grouped: Grouped, courses: Courses) -> tuple[pd.DataFrame, list[Rejection]]:
    """The grouped rows with `course_id`, `enrollment_id` and `day` added, those outside their course's
    window or with no usable course or learner taken out as rejections (every rejection is returned:
    the caller keeps the first ones and counts the rest). Creates the courses and enrollments missing."""
    g = grouped
    parts = []
    for index, code in enumerate(g.codes):
        rows = slice(g.bounds[index], g.bounds[index + 1])
        parts.append(_in_course(g.lines[rows], g.learners[rows], g.refs, g.days[rows], courses, str(code)))
    # One lookup for every course of the chunk (a mixed log names dozens in each chunk).
    ids = Enrollment.ids_by_course({part.course.id: part.refs for part in parts})
    rejected = list(g.rejected)
    inside, course_ids, enrollment_ids, days = [], [], [], []
    for part in parts:
        numbers = np.array([ids[part.course.id][ref] for ref in part.refs], dtype=np.int64)
        inside.append(part.inside)
        course_ids.append(np.full(len(part.days), part.course.id, dtype=np.int64))
        enrollment_ids.append(numbers[part.learner_of])
        days.append(part.days)
        rejected.extend(part.outside)
    rejected.sort(key=lambda rejection: rejection.line)
    if not g.codes.size:
        return g.frame.iloc[:0].assign(course_id=0, enrollment_id=0, day=0), rejected
    keyed = g.frame.iloc[g.order[np.concatenate(inside)]]
    return keyed.assign(
        course_id=np.concatenate(course_ids),
        enrollment_id=np.concatenate(enrollment_ids),
        day=np.concatenate(days),
    ), rejected


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


@dataclass
class _CourseRows:
    """One course's rows of a chunk: which are inside its window, their days and learners (numbers
    into `refs`, the learner references in order of first sight), and the rows outside as rejections."""

    course: Course
    inside: np.ndarray
    days: np.ndarray
    learner_of: np.ndarray
    refs: list[str]
    outside: list[Rejection]


def _in_course(
    lines: np.ndarray, learners: np.ndarray, refs: np.ndarray, dates: np.ndarray, courses: Courses, code: str
) -> _CourseRows:
    """One course's rows (`learners`: numbers into `refs`, `dates` as days since 1970) in its window."""
    course = courses.get(code, EPOCH + timedelta(days=int(dates.min())))
    days = dates - (course.start_date - EPOCH).days
    inside = (days >= 0) & (days < course.length_days)
    outside = [
        Rejection(int(line), course_window_reason(int(day), course))
        for line, day in zip(lines[~inside], days[~inside], strict=True)
    ]
    learner_of, numbers = pd.factorize(learners[inside])  # in order of first sight, as enrollments are made
    distinct = [str(learner) for learner in refs[numbers]]
    return _CourseRows(course, inside, days[inside], learner_of, distinct, outside)
