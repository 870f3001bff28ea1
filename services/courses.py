"""Courses, enrollments and their activity as the read API shows them, and who may see which."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import peewee

from db.courses import EVENT_TYPES, SOURCES, ActivityDay, Course, Enrollment
from db.tables import User, utcnow
from db.tutoring import CourseTutor
from services.accounts import Page
from services.errors import NotFound


@dataclass(frozen=True)
class EnrollmentFilters:
    """Which enrollments of a course to list."""

    learner: str | None = None
    outcome: str | None = None  # known, unknown, dropped or stayed
    active_since: int | None = None  # a course day: active on that day or later


def visible_courses(viewer: User) -> peewee.ModelSelect:
    """The courses `viewer` may see: every course for an administrator, the assigned ones
    for a tutor, none for a student (who sees only their own linked enrollments). The one rule."""
    query = Course.select()
    if viewer.is_admin:
        return query
    if viewer.is_staff:
        return query.where(Course.id.in_(CourseTutor.course_ids_of(viewer)))
    return query.where(False)


def visible_enrollments(viewer: User) -> peewee.Expression:
    """Which enrollments `viewer` may open: those of their visible courses, and a student's own."""
    return Enrollment.course.in_(visible_courses(viewer).select(Course.id)) | (Enrollment.user == viewer.id)


def require_course(viewer: User, code: str) -> Course:
    """The course `code` if `viewer` may see it; 404 otherwise (an invisible course does not exist)."""
    course = visible_courses(viewer).where(Course.code == code).first()
    if course is None:
        raise NotFound(f"No course {code}.")
    return course


def require_enrollment(viewer: User, enrollment_id: int) -> Enrollment:
    """The enrollment if `viewer` may see its course; 404 otherwise."""
    enrollment = (
        Enrollment.select(Enrollment, Course)
        .join(Course)
        .where((Enrollment.id == enrollment_id) & visible_enrollments(viewer))
        .first()
    )
    if enrollment is None:
        raise NotFound(f"No enrollment {enrollment_id}.")
    return enrollment


def course_calendar(course: Course, today: date | None = None) -> dict[str, Any]:
    """Where the course stands on `today` (UTC today by default): `status` upcoming, running or
    finished, and `current_day` (its day while running, None otherwise). The one rule for it."""
    today = today or utcnow().date()
    day = course.day_of(today)
    if day < 0:
        status = "upcoming"
    elif day >= course.length_days:
        status = "finished"
    else:
        status = "running"
    return {"status": status, "current_day": day if status == "running" else None}


def _course_dict(course: Course, today: date) -> dict[str, Any]:
    return {
        **course.to_dict(),
        "end_date": course.start_date + timedelta(days=course.length_days - 1),
        "enrollments": getattr(course, "enrollment_count", None),
        **course_calendar(course, today),
    }


def courses(viewer: User) -> list[dict[str, Any]]:
    """Every course `viewer` may see, by code, with its enrollment count and where it stands today."""
    return [row for _, row in courses_by_id(viewer)]


def courses_by_id(viewer: User) -> list[tuple[int, dict[str, Any]]]:
    """(course id, the course as `courses` lists it) for every course `viewer` may see, by code."""
    today = utcnow().date()
    counted = Course.with_enrollment_counts(visible_courses(viewer))
    return [(course.id, _course_dict(course, today)) for course in counted]


def course(viewer: User, code: str) -> dict[str, Any]:
    """One course with its enrollment count, where it stands today and its outcome counts."""
    found = require_course(viewer, code)
    return {**course_summary(found), "outcomes": found.outcome_counts()}


def course_summary(found: Course) -> dict[str, Any]:
    """A course already found as the list shows it: with its enrollment count and where it stands."""
    (counted,) = Course.with_enrollment_counts(Course.select().where(Course.id == found.id))
    return _course_dict(counted, utcnow().date())


def enrollments_page(viewer: User, code: str, filters: EnrollmentFilters, page: int, per_page: int) -> Page:
    """A page of a visible course's enrollments, by learner reference, with activity totals."""
    found = require_course(viewer, code)
    rows, total = Enrollment.search(
        found, filters.learner, filters.outcome, filters.active_since, page, per_page
    )
    items = [
        {
            "id": row.id,
            "learner_ref": row.learner_ref,
            "user": row.user_id,
            "outcome": row.outcome,
            "active_days": row.active_days,
            "events": row.events,
            "last_active_day": row.last_day,
        }
        for row in rows
    ]
    return Page(items, total, page, per_page)


def _day_dict(course: Course, row: ActivityDay) -> dict[str, Any]:
    counts = {name: getattr(row, name) for name in EVENT_TYPES}
    return {
        "day": row.day,
        "date": course.start_date + timedelta(days=row.day),
        **counts,
        **{name: getattr(row, name) for name in SOURCES},
        "total": sum(counts.values()),
    }


def enrollment(viewer: User, enrollment_id: int) -> dict[str, Any]:
    """One visible enrollment: its course, learner, outcome and activity by day of the course."""
    return enrollment_dict(require_enrollment(viewer, enrollment_id))


def enrollment_dict(found: Enrollment) -> dict[str, Any]:
    """An enrollment already found: its course, learner, outcome and activity by day of the course."""
    return {
        "id": found.id,
        "course": _course_dict(found.course, utcnow().date()),
        "learner_ref": found.learner_ref,
        "user": found.user_id,
        "outcome": found.outcome,
        "outcome_source": found.outcome_source,
        "days": [_day_dict(found.course, row) for row in ActivityDay.of_enrollment(found)],
    }
