"""From parsed rows to the store's keys: the course of each row (created when new), the enrollment of
each learner (created on first sight) and the course day of each date (outside the window: kept aside,
see services/ingest/outside.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

import services.ingest.course_codes as course_codes
from db.course_days import last_day, shift_course_days
from db.courses import DEFAULT_COURSE_DAYS, Course, Enrollment
from services.ingest.parsed import Rejection

LEARNER_MAX = Enrollment.learner_ref.max_length
MAX_DAYS = 3650  # the longest course window, set or learned
EPOCH = date(1970, 1, 1)
CODE_MAX = Course.code.max_length


CoursePolicy = Callable[[str, "Course | None"], "str | None"]


class Courses:
    """The courses one import names. A course that does not exist is created with the import's
    `start`, else the earliest date the import holds for it (asked of `earliest` once, lazily: a
    file whose courses all exist is not read twice), and a length of `days` or 30. `policy` says why
    a course's rows are refused (an API key's limits), given the code and the course if it exists."""

    def __init__(
        self,
        start: date | None,
        days: int | None,
        earliest: Callable[[], dict[str, date]],
        policy: CoursePolicy | None = None,
        rebase: bool = False,
    ):
        self.start, self.days, self._earliest, self.policy = start, days, earliest, policy
        self.rebase = rebase  # move each course's first date in the file onto the course's day 0
        self._first_dates: dict[str, date] | None = None
        self._skeletons: dict[str, str] | None = None
        self.known: dict[str, Course] = {}
        self.refused: dict[str, str | None] = {}
        self.created: set[str] = set()
        self.spans: dict[str, tuple[int, int]] = {}  # per course, the first and last date read (epoch days)

    def refusal(self, code: str) -> str | None:
        """Why rows of course `code` are not taken (the policy; a new code that looks like an existing
        one), or None; decided once per code and import."""
        if code not in self.refused:
            existing = self.known.get(code) or Course.by_code(code)
            if existing is not None:
                self.known[code] = existing
            reason = self.policy(code, existing) if self.policy else None
            if reason is None and existing is not None and existing.archived_at is not None:
                # Its event keys are gone: a new import would recount its days from new events alone.
                reason = f"course {code!r} is archived: no activity is imported into it"
            if reason is None and existing is None:
                reason = self._lookalike(code)
            self.refused[code] = reason
        return self.refused[code]

    def _lookalike(self, code: str) -> str | None:
        if self._skeletons is None:
            self._skeletons = {course_codes.skeleton(known): known for known in Course.codes()}
        twin = self._skeletons.get(course_codes.skeleton(code))
        # The code itself (made by a concurrent import since it was looked up) is no lookalike.
        if twin is None or twin == code:
            self._skeletons[course_codes.skeleton(code)] = code
            return None
        return f"course code {code!r} looks like the existing course {twin!r}"

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
        made = Course.insert(
            code=code, title=code, start_date=start, length_days=length, window_learned=self.start is None
        ).on_conflict_ignore().execute()
        if made:
            self.created.add(code)
        return Course.by_code(code)

    def fit_window(self, code: str, first: int, last: int) -> Course:
        """The course with its learned window widened to hold the dates `first`..`last` (days since
        1970), the rows it holds re-keyed so that each keeps its date: a push of earlier events
        moves the start back, one of later events moves the end on (up to MAX_DAYS). The row is locked
        first, so two imports widening the same course take turns."""
        course = Course.locked_for_update(self.known[code].id)
        start = (course.start_date - EPOCH).days
        end = start + course.length_days - 1
        new_start = min(start, first)
        new_end = min(max(end, last), new_start + MAX_DAYS - 1)
        if new_start < start and code in self.created and self.start is None:
            new_end = min(self._first_pass_end(code, course, new_start), new_start + MAX_DAYS - 1)
        if (new_start, new_end) != (start, end):
            shift_course_days(course.id, start - new_start)
            course.start_date = EPOCH + timedelta(days=new_start)
            course.length_days = new_end - new_start + 1
            Course.update(start_date=course.start_date, length_days=course.length_days).where(
                Course.id == course.id
            ).execute()
        self.known[code] = course
        return course

    def _first_pass_end(self, code: str, course: Course, new_start: int) -> int:
        """The end a course this import made would have had had it started on `new_start` (the length
        from its start, widened to the last date read): so that reading the file once, chunk by chunk,
        gives the window a pass for the file's first date would have given. Never before a row already
        held (a concurrent import's)."""
        end = max(new_start + (self.days or DEFAULT_COURSE_DAYS) - 1, self.spans[code][1])
        held = last_day(course.id)
        return end if held is None else max(end, (course.start_date - EPOCH).days + held)

    def day_zero(self, code: str, course: Course) -> int:
        """The date (days since 1970) that is day 0 of `course` for this import: its start, or with
        `rebase` the file's first date for it, so a historical export lands in the course's window."""
        if self.rebase:
            if self._first_dates is None:
                self._first_dates = self._earliest()
            first = self._first_dates.get(code)
            if first is not None:
                return (first - EPOCH).days
        return (course.start_date - EPOCH).days

    def note_dates(self, code: str, first: int, last: int) -> None:
        """Widen the span of dates read for `code` (days since 1970-01-01)."""
        known = self.spans.get(code)
        self.spans[code] = (first, last) if known is None else (min(known[0], first), max(known[1], last))

    def remove_empty_created(self) -> list[str]:
        """Remove the courses this import created that hold no enrollment (nothing was stored in
        them); returns their codes."""
        empty = [code for code in sorted(self.created)
                 if not Enrollment.select().where(Enrollment.course == self.known[code]).exists()]
        if empty:
            Course.delete().where(Course.code.in_(empty)).execute()
        return empty


def nothing_stored_reason(courses: Courses, rejected: int, reasons: dict[str, int], outside: int = 0,
                          removed: tuple[str, ...] = ()) -> str:
    """Why an import stored nothing, in one sentence a person can act on (`outside`: rows outside a
    course's window; kept aside unless their course, made by this import, was `removed` again)."""
    if outside and outside * 2 >= rejected:
        code = max(courses.spans, key=lambda c: courses.spans[c][1] - courses.spans[c][0])
        first, last = (EPOCH + timedelta(days=day) for day in courses.spans[code])
        course = courses.known.get(code)
        if course is not None:
            end = course.start_date + timedelta(days=course.length_days - 1)
            kept = "" if code in removed else (f" (its {outside:,} rows outside the window are kept aside:"
                                               " counted once the window covers them)")
            return (f"nothing was stored: the file covers {first} to {last}, but course {code} runs"
                    f" {course.start_date} to {end}{kept}; set the course's start date (Course settings) to"
                    " the file's dates, import into a new course without a start date, or move the file's"
                    " dates onto the course's window (rebase)")
    if not reasons:
        return "nothing was stored: the file holds no activity lines"
    top, count = max(reasons.items(), key=lambda item: item[1])
    return f"nothing was stored: all {rejected:,} lines were rejected, most for \"{top}\" ({count:,} lines)"


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
    codes = _normal_codes(frame["course"].to_numpy(dtype=object), default_course)
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
        frame, rejected, distinct, bounds, order, frame["line"].to_numpy()[order], learner_of[order],
        learner_refs, days,
    )


def _normal_codes(codes: np.ndarray, default_course: str | None) -> np.ndarray:
    """Each row's course code in NFC (the import's course where the row names none), normalised once
    per distinct code."""
    codes = codes.copy()
    codes[pd.isna(codes)] = default_course
    code_of, distinct = pd.factorize(codes)
    if not len(distinct):
        return codes
    normal = np.array([course_codes.normalise(str(code)) for code in distinct] + [None], dtype=object)
    return normal[code_of]


def keyed_rows(grouped: Grouped, courses: Courses) -> tuple[pd.DataFrame, list[Rejection], pd.DataFrame]:
    """The grouped rows with `course_id`, `enrollment_id` and `day` added; the rows with no usable
    course or learner as rejections (every one is returned: the caller keeps the first ones and counts
    the rest); and the rows outside their course's window with `course_id` and `date` (days since 1970,
    on the course's calendar), to be kept aside. Creates the courses and enrollments missing."""
    g = grouped
    parts = []
    for index, code in enumerate(g.codes):
        rows = slice(g.bounds[index], g.bounds[index + 1])
        parts.append(_in_course(g.lines[rows], g.learners[rows], g.refs, g.days[rows], courses, str(code)))
    # One lookup for every course of the chunk (a mixed log names dozens in each chunk).
    ids = Enrollment.ids_by_course({part.course.id: part.refs for part in parts if part.course is not None})
    rejected = list(g.rejected)
    inside, course_ids, enrollment_ids, days, aside = [], [], [], [], []
    for part in parts:
        found = ids.get(part.course.id, {}) if part.course is not None else {}
        numbers = np.array([found[ref] for ref in part.refs], dtype=np.int64)
        inside.append(part.inside)
        course_ids.append(np.full(len(part.days), part.course.id if part.course else 0, dtype=np.int64))
        enrollment_ids.append(numbers[part.learner_of])
        days.append(part.days)
        rejected.extend(part.refused)
        aside.append(part.aside)
    rejected.sort(key=lambda rejection: rejection.line)
    if not g.codes.size:
        none = g.frame.iloc[:0]
        return none.assign(course_id=0, enrollment_id=0, day=0), rejected, none.assign(course_id=0, date=0)
    keyed = g.frame.iloc[g.order[np.concatenate(inside)]]
    keyed = keyed.assign(course_id=np.concatenate(course_ids), enrollment_id=np.concatenate(enrollment_ids),
                         day=np.concatenate(days))
    return keyed, rejected, _aside_rows(g, parts, aside)


def _aside_rows(g: Grouped, parts: list[_CourseRows], aside: list[np.ndarray]) -> pd.DataFrame:
    """The rows outside their course's window, with `course_id` and `date`."""
    outside = np.concatenate([~part.inside if part.course is not None else np.zeros(len(part.inside), bool)
                              for part in parts])
    frame = g.frame.iloc[g.order[outside]]
    course_ids = [np.full(len(dates), part.course.id if part.course else 0, dtype=np.int64)
                  for part, dates in zip(parts, aside, strict=True)]
    return frame.assign(course_id=np.concatenate(course_ids), date=np.concatenate(aside))


def _key_problems(codes: np.ndarray, learners: np.ndarray, refs: np.ndarray) -> np.ndarray:
    """Per row, why its course or learner cannot be used (None when both can)."""
    problems = np.full(len(codes), None, dtype=object)
    missing = pd.isna(codes)
    problems[missing] = "no course: the row has no course_id and the import names no course"
    code_of, distinct = pd.factorize(codes)
    long_code = np.array([len(str(code)) > CODE_MAX for code in distinct], dtype=bool)
    if long_code.any():
        problems[(code_of >= 0) & long_code[code_of]] = f"course code too long: over {CODE_MAX} characters"
    for number, code in enumerate(distinct):
        reason = course_codes.problem(str(code))
        if reason is not None:
            problems[(code_of == number) & (problems == None)] = reason  # noqa: E711
    too_long = np.array([len(str(learner)) > LEARNER_MAX for learner in refs], dtype=bool)
    if too_long.any():
        rows = too_long[learners] & (problems == None)  # noqa: E711
        problems[rows] = f"learner reference too long: over {LEARNER_MAX} characters"
    return problems


@dataclass
class _CourseRows:
    """One course's rows of a chunk: which are inside its window, their days and learners (numbers
    into `refs`, the learner references in order of first sight), the dates on the course's calendar
    (days since 1970) of the rows outside, and every row as a rejection when the course is refused."""

    course: Course | None  # None: the course is refused
    inside: np.ndarray
    days: np.ndarray
    learner_of: np.ndarray
    refs: list[str]
    aside: np.ndarray
    refused: list[Rejection]


def _in_course(lines: np.ndarray, learners: np.ndarray, refs: np.ndarray, dates: np.ndarray, courses: Courses,
               code: str) -> _CourseRows:
    """One course's rows (`learners`: numbers into `refs`, `dates` as days since 1970) in its window;
    every row refused when the course is (see `Courses.refusal`)."""
    reason = courses.refusal(code)
    if reason is not None:
        none = np.zeros(0, dtype=np.int64)
        refused = [Rejection(int(line), reason) for line in lines]
        return _CourseRows(None, np.zeros(len(lines), dtype=bool), none, none, [], none, refused)
    courses.note_dates(code, int(dates.min()), int(dates.max()))
    course = courses.get(code, EPOCH + timedelta(days=int(dates.min())))
    if course.window_learned and not courses.rebase:
        course = courses.fit_window(code, int(dates.min()), int(dates.max()))
    days = dates - courses.day_zero(code, course)
    inside = (days >= 0) & (days < course.length_days)
    # A rebased row keeps the date it has on the course's calendar, where a later window finds it.
    aside = days[~inside] + (course.start_date - EPOCH).days
    learner_of, numbers = pd.factorize(learners[inside])  # in order of first sight, as enrollments are made
    distinct = [str(learner) for learner in refs[numbers]]
    return _CourseRows(course, inside, days[inside], learner_of, distinct, aside, [])
