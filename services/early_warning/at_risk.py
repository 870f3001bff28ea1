"""A course's enrollments at risk: the predictions of its latest scored day (or a given one)."""

from __future__ import annotations

from typing import Any

import peewee

from db.courses import EVENT_TYPES, ActivityDay, Course
from db.early_warning import EnrollmentPrediction
from db.models import User
from services.actions import last_actions
from services.courses import require_course
from services.errors import NotFound


def last_active_days(course: Course, day: int) -> dict[int, int]:
    """Enrollment id -> its last day with events before `day`."""
    events = sum(
        (getattr(ActivityDay, name) for name in EVENT_TYPES[1:]), getattr(ActivityDay, EVENT_TYPES[0])
    )
    query = (
        ActivityDay.select(ActivityDay.enrollment, peewee.fn.MAX(ActivityDay.day))
        .where((ActivityDay.course == course) & (ActivityDay.day < day) & (events > 0))
        .group_by(ActivityDay.enrollment)
        .tuples()
    )
    return dict(query)


def _previous_day(days: list[int], day: int, checkpoints: dict[int, int]) -> int | None:
    """The latest scored day before `day` made with an earlier checkpoint's model."""
    earlier = [d for d in days if d < day and checkpoints.get(d, -1) < checkpoints[day]]
    return max(earlier) if earlier else None


def at_risk(viewer: User, code: str, day: int | None = None) -> dict[str, Any]:
    """The visible course's predictions at its latest scored day (or `day`), highest risk first, each
    with the change since the previous checkpoint and the days since the learner's last activity."""
    course = require_course(viewer, code)
    days = EnrollmentPrediction.scored_days(course)
    if day is None:
        if not days:
            return {
                "course": course.code,
                "day": None,
                "checkpoint": None,
                "previous_day": None,
                "items": [],
                "message": "This course has not been scored yet.",
            }
        day = days[0]
    elif day not in days:
        raise NotFound(f"Day {day} of course {course.code} has not been scored.", {"day": "not scored"})
    rows = EnrollmentPrediction.of_course_day(course, day)
    checkpoints = EnrollmentPrediction.checkpoints_by_day(course)
    previous = _previous_day(days, day, checkpoints)
    before = EnrollmentPrediction.probabilities_at(course, previous) if previous is not None else {}
    last_active = last_active_days(course, day)
    actions = last_actions(course)
    items = []
    for row in rows:
        enrollment = row.enrollment
        was = before.get(enrollment.id)
        last = last_active.get(enrollment.id)
        items.append(
            {
                "enrollment": enrollment.id,
                "learner_ref": enrollment.learner_ref,
                "user": enrollment.user_id,
                "probability": row.probability,
                "risk_level": row.risk_level,
                "change": None if was is None else round(row.probability - was, 4),
                "days_since_last_activity": None if last is None else day - last,
                "top_factors": [factor["text"] for factor in row.top_factors],
                "factors": row.top_factors,
                "last_action": actions.get(enrollment.id),
            }
        )
    return {
        "course": course.code,
        "day": day,
        "checkpoint": checkpoints[day],
        "previous_day": previous,
        "items": items,
        "message": "",
    }
