"""One enrollment as its page shows it: activity by day and event type, its daily
total against the course's median learner, its risk at each scored day with reasons, the action log.

Who sees what: staff who see the course see everything; the linked student sees their activity, and
their risk only when the setting STUDENT_SEES_OWN_RISK is on (never the action log)."""

from __future__ import annotations

from typing import Any

import numpy as np

from db.courses import EVENT_TYPES, ActivityDay, Course, Enrollment
from db.nudges import LearnerContact
from db.tables import User
from services import access_log
from services.courses import course_calendar, require_enrollment
from services.early_warning.course_levels import expected_rates
from services.enrollment_detail import risk_history, sees_as_staff, student_sees_risk
from services.tutoring.actions import action_log, actions_of, record_action

# The fewest scored learners whose average probability a student may see beside their own.
STUDENT_AVERAGE_MIN_LEARNERS = 20


def shown_days(course: Course) -> int:
    """How many days of the course have happened (all of a finished course, none of an upcoming one)."""
    calendar = course_calendar(course)
    if calendar["status"] == "finished":
        return course.length_days
    return 0 if calendar["current_day"] is None else calendar["current_day"] + 1


def activity_matrix(enrollment: Enrollment, days: int) -> np.ndarray:
    """The enrollment's counts as a days x event-types matrix (days without a row are zeros)."""
    matrix = np.zeros((days, len(EVENT_TYPES)), dtype=np.int64)
    for row in ActivityDay.of_enrollment(enrollment):
        if 0 <= row.day < days:
            matrix[row.day] = [getattr(row, name) for name in EVENT_TYPES]
    return matrix


def course_median_totals(course: Course, days: int) -> np.ndarray:
    """Per day 0..days-1, the median daily total over every enrollment of the course, a learner with
    no events that day counting 0 (the typical learner, not the typical active one). Read as each day's
    distinct totals with how many learners have them: a few rows per day, never a row per learner."""
    enrollments = Enrollment.select().where(Enrollment.course == course).count()
    medians = np.zeros(days)
    if enrollments == 0:
        return medians
    per_day: dict[int, dict[int, int]] = {}
    for day, total, count in ActivityDay.daily_total_counts(course, days):
        per_day.setdefault(day, {})[total] = count
    for day, counts in per_day.items():
        medians[day] = _median_of_counts(counts, enrollments)
    return medians


def _median_of_counts(counts: dict[int, int], size: int) -> float:
    """The median of `size` values given as value -> how many times, every value not given being 0."""
    values = np.repeat(list(counts), list(counts.values()))  # one day's learners with events: small
    return float(np.median(np.concatenate([values, np.zeros(size - len(values))])))


def _with_reasons(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "reasons": [factor.get("text", "") for factor in row["top_factors"] or []],
        "in_favour": [factor.get("text", "") for factor in row.get("in_favour") or []],
    }


def _header(enrollment: Enrollment) -> dict[str, Any]:
    course = enrollment.course
    return {
        "id": enrollment.id,
        "learner_ref": enrollment.learner_ref,
        "user": enrollment.user_id,
        "outcome": enrollment.outcome,
        "course": {
            "code": course.code,
            "title": course.title,
            "start_date": course.start_date,
            "length_days": course.length_days,
        },
    }


def enrollment_view(viewer: User, enrollment_id: int) -> dict[str, Any]:
    """Everything the enrollment page shows to `viewer` (404 for an enrollment they may not open):
    `risk` is None when they may not see it, `actions` and `contact` None unless they are the course's
    staff."""
    enrollment = require_enrollment(viewer, enrollment_id)
    access_log.record(viewer, "enrollment_view", **access_log.naming(enrollment))
    staff = sees_as_staff(viewer, enrollment)
    days = shown_days(enrollment.course)
    matrix = activity_matrix(enrollment, days)
    sees_risk = staff or student_sees_risk()
    risk = [_with_reasons(row) for row in risk_history(enrollment)] if sees_risk else None
    return {
        **_header(enrollment),
        "staff": staff,
        "event_types": list(EVENT_TYPES),
        "days": list(range(days)),
        "matrix": matrix.tolist(),
        "daily_total": matrix.sum(axis=1).tolist(),
        "course_median": course_median_totals(enrollment.course, days).tolist(),
        "risk": risk,
        "course_base_rate": _course_base_rate(enrollment.course, risk, staff),
        "actions": action_log(enrollment) if staff else None,
        # The learner's contact details: the course's staff only (None for anyone else, or none stored).
        "contact": _contact(enrollment) if staff else None,
    }


def _course_base_rate(course: Course, risk: list[dict[str, Any]] | None, staff: bool) -> float | None:
    """Levels are relative to the course: its mean probability on the learner's last scored day says
    what their own is high or low against. A student is shown it only as an average of enough learners
    that it tells nothing of any one of them."""
    if not risk:
        return None
    rates = expected_rates(course, risk[-1]["day"])
    return rates["base_rate"] if staff or rates["scored"] >= STUDENT_AVERAGE_MIN_LEARNERS else None


def _contact(enrollment: Enrollment) -> dict[str, Any]:
    found = LearnerContact.of([enrollment.id]).get(enrollment.id)
    return found.to_dict() if found else {"email": None, "name": "", "unsubscribed_at": None}


def record(
    viewer: User, enrollment_id: int, kind: str, channel: str | None = None, note: str | None = None
) -> list[dict[str, Any]]:
    """Record an action on the enrollment (services.tutoring.actions rules) and return its log, newest
    first."""
    record_action(viewer, enrollment_id, kind, note or None, channel or None)
    return actions_of(viewer, enrollment_id)
