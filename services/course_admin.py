"""An administrator's changes to a course: its title and window (start, length), and its removal
with everything stored about it, after a summary that names what goes."""

from __future__ import annotations

from datetime import date
from typing import Any

import peewee

from db.connection import write_transaction
from db.course_days import shift_course_days
from db.courses import ActivityDay, Course, Enrollment
from db.early_warning import EnrollmentPrediction
from db.ingest import DayEvents
from db.tables import Activity, User
from db.tutoring import CourseTutor, EnrollmentAction
from services.courses import course_summary
from services.errors import InvalidInput, NotFound
from services.ingest import outside
from services.ingest.store import MAX_DAYS

TITLE_MAX = Course.title.max_length


def _course(code: str) -> Course:
    found = Course.by_code(code or "")
    if found is None:
        raise NotFound(f"No course {code}.")
    return found


def course_codes() -> list[str]:
    """Every course's code, for an administrator choosing one."""
    return Course.codes()


def settings_of(code: str) -> dict[str, Any] | None:
    """A course's title, start (ISO date) and length, or None when there is no such course."""
    found = Course.by_code(code or "")
    if found is None:
        return None
    start = found.start_date.isoformat()
    return {"title": found.title, "start_date": start, "length_days": found.length_days,
            "outside_window": outside.count_of(found),
            "archived_at": found.archived_at}


def _clean(found: Course, title: Any, start: Any, length: Any) -> tuple[str, date, int]:
    """The course's new title, start and length (each unchanged when None), or InvalidInput."""
    fields = {}
    title = found.title if title is None else str(title).strip()
    if not 0 < len(title) <= TITLE_MAX:
        fields["title"] = f"a title of 1 to {TITLE_MAX} characters"
    if start is None:
        start = found.start_date
    elif not isinstance(start, date):
        try:
            start = date.fromisoformat(str(start).strip())
        except ValueError:
            fields["start_date"] = "a date as YYYY-MM-DD"
    if length is None:
        length = found.length_days
    elif isinstance(length, bool) or not isinstance(length, int) or not 0 < length <= MAX_DAYS:
        fields["length_days"] = f"a whole number of days from 1 to {MAX_DAYS}"
    if fields:
        raise InvalidInput("Please correct the highlighted fields.", fields)
    return title, start, length


def _stored_days(found: Course) -> tuple[int | None, int | None]:
    """The first and last day with stored activity (None, None when there is none)."""
    query = ActivityDay.select(peewee.fn.MIN(ActivityDay.day), peewee.fn.MAX(ActivityDay.day))
    return tuple(query.where(ActivityDay.course == found.id).tuples().get())


def update_course(code: str, by: User, ip: str | None = None, *, title: Any = None, start_date: Any = None,
                  length_days: Any = None) -> dict[str, Any]:
    """Change a course's title, start or length; stored activity, event keys and predictions keep their
    dates, and the activity kept aside that the new window covers is counted (`brought_in`; what stays
    outside: `outside_window`). A window that would leave stored activity outside it is refused, saying
    what falls out."""
    with write_transaction():
        found = _course(code)
        title, start, length = _clean(found, title, start_date, length_days)
        shift = (found.start_date - start).days  # a day d of the old window is day d + shift of the new
        first, last = _stored_days(found)
        if first is not None and (first + shift < 0 or last + shift >= length):
            start_day = found.start_date.toordinal()
            held = f"{date.fromordinal(start_day + first)} to {date.fromordinal(start_day + last)}"
            raise InvalidInput(
                f"The course holds activity from {held}:"
                " a window that leaves some of it out is refused (remove the course or keep those dates).",
                {"start_date": "must keep the stored activity inside the window",
                 "length_days": "must keep the stored activity inside the window"},
            )
        shift_course_days(found.id, shift)
        before = {"title": found.title, "start_date": found.start_date, "length_days": found.length_days}
        changes = {"title": title, "start_date": start, "length_days": length}
        # A window an administrator sets stays where it is: later imports no longer move it.
        Course.update(**changes, window_learned=False).where(Course.id == found.id).execute()
        brought_in = outside.bring_in(Course.get_by_id(found.id))
        Activity.record("course_update", by, ip, code=found.code, before=_jsonable(before),
                        after=_jsonable(changes), brought_in=brought_in)
        left = outside.count_of(found)
    return course_summary(Course.get_by_id(found.id)) | {"brought_in": brought_in, "outside_window": left}


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {name: value.isoformat() if isinstance(value, date) else value for name, value in values.items()}


def removal_summary(code: str) -> dict[str, Any]:
    """What removing the course takes with it: enrollments, days of activity, predictions, actions, tutors."""
    found = _course(code)
    enrollments = Enrollment.select().where(Enrollment.course == found)
    return {
        "code": found.code,
        "enrollments": enrollments.count(),
        "activity_days": ActivityDay.select().where(ActivityDay.course == found.id).count(),
        "predictions": EnrollmentPrediction.select().where(EnrollmentPrediction.course == found).count(),
        "actions": EnrollmentAction.select().where(EnrollmentAction.course == found).count(),
        "tutors": CourseTutor.select().where(CourseTutor.course == found).count(),
        "linked_accounts": enrollments.where(Enrollment.user.is_null(False)).count(),
    }


def summary_text(summary: dict[str, Any]) -> str:
    """The removal summary in one sentence."""
    parts = [
        _count(summary["enrollments"], "enrollment"),
        _count(summary["activity_days"], "day of activity", "days of activity"),
        _count(summary["predictions"], "prediction"),
        _count(summary["actions"], "recorded action"),
        _count(summary["tutors"], "tutor assignment"),
    ]
    return f"Removing {summary['code']} deletes its {', '.join(parts)}. This cannot be undone."


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else many or one + 's'}"


def delete_course(code: str, by: User, ip: str | None = None) -> dict[str, Any]:
    """Remove the course and everything stored about it; the import history keeps its runs."""
    with write_transaction():
        summary = removal_summary(code)
        found = _course(code)
        # Activity rows are tied to the course through their enrollment only (no constraint on the
        # course, for import speed): removed explicitly, before the enrollments' cascade would.
        for model in (ActivityDay, DayEvents):
            model.delete().where(model.course == found.id).execute()
        found.delete_instance()
        Activity.record("course_delete", by, ip, **summary)
    return summary

