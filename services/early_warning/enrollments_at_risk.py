"""A course's enrollments at risk: the predictions of its latest scored day (or a given one)."""

from __future__ import annotations

from typing import Any

import peewee

from db.connection import database
from db.courses import EVENT_TYPES, ActivityDay, Course, Enrollment
from db.early_warning import EnrollmentPrediction
from db.tables import User
from modelling.early_warning.scored_days import as_of_day, previous_checkpoint_day
from modelling.early_warning.segments import SEGMENT_NAMES
from services import access_log
from services.courses import require_course
from services.errors import NotFound, ServiceError
from services.tutoring.actions import last_actions

# A move smaller than this (a probability) counts as no change: noise, not a trend.
SAME_WITHIN = 0.01


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


def _direction(change: float | None) -> str:
    if change is None:
        return "new"
    if abs(change) < SAME_WITHIN:
        return "same"
    return "up" if change > 0 else "down"


def _trajectories(course: Course, days: list[int]) -> dict[int, list[float | None]]:
    """Enrollment id -> its probability at each of `days` (None where it was not scored); one query,
    read straight from the driver (plain numbers: Peewee's per-value conversion would cost more)."""
    query = EnrollmentPrediction.select(
        EnrollmentPrediction.enrollment, EnrollmentPrediction.day, EnrollmentPrediction.probability
    ).where((EnrollmentPrediction.course == course) & EnrollmentPrediction.day.in_(days))
    position = {day: index for index, day in enumerate(days)}
    out: dict[int, list[float | None]] = {}
    for enrollment, day, probability in database.execute(query).fetchall():
        out.setdefault(enrollment, [None] * len(days))[position[day]] = probability
    return out


def _rows_at(course: Course, day: int) -> list[tuple]:
    """(enrollment id, learner ref, user id, probability, risk level, top factors, segment, rank in
    course) of the course's predictions at `day`, highest probability first (the at-risk list's
    order), from the driver."""
    query = (
        EnrollmentPrediction.select(
            EnrollmentPrediction.enrollment,
            Enrollment.learner_ref,
            Enrollment.user,
            EnrollmentPrediction.probability,
            EnrollmentPrediction.risk_level,
            EnrollmentPrediction.top_factors,
            EnrollmentPrediction.in_favour,
            EnrollmentPrediction.segment,
            EnrollmentPrediction.rank_in_course,
        )
        .join(Enrollment)
        .where((EnrollmentPrediction.course == course) & (EnrollmentPrediction.day == day))
        .order_by(EnrollmentPrediction.probability.desc(), Enrollment.learner_ref)
    )
    return database.execute(query).fetchall()


def at_risk_items(
    course: Course, day: int, days: list[int], checkpoint: int | None = None
) -> list[dict[str, Any]]:
    """Every enrollment scored at `day` (the last of `days`, the one before it the previous checkpoint;
    `checkpoint` the model that scored it), highest risk first: probability, level, change and its
    direction, days since the last activity and reasons (both as of the day the model read, so they
    agree), what is in the learner's favour, last action and the trajectory over `days`; a handful of
    queries, rows from the driver."""
    trajectories = _trajectories(course, days)
    as_of = as_of_day(course.length_days, day, checkpoint)
    last_active = last_active_days(course, as_of)
    last = last_actions(course)
    factors = EnrollmentPrediction.top_factors.python_value
    items = []
    for row in _rows_at(course, day):
        enrollment, learner_ref, user, probability, level, top, favour, segment, rank = row
        trajectory = trajectories.get(enrollment, [None] * len(days))
        was = trajectory[-2] if len(days) > 1 else None
        change = None if was is None else round(probability - was, 4)
        active = last_active.get(enrollment)
        top = factors(top) or []
        items.append(
            {
                "enrollment": enrollment,
                "learner_ref": learner_ref,
                "user": user,
                "probability": probability,
                "risk_level": level,
                "change": change,
                "change_direction": _direction(change),
                "as_of_day": as_of,
                "days_since_last_activity": None if active is None else as_of - active,
                "top_factors": [factor["text"] for factor in top],
                "factors": top,
                "in_favour": [factor["text"] for factor in factors(favour) or []],
                "last_action": last.get(enrollment),
                "trajectory": trajectory,
                "segment": segment,
                "rank_in_course": rank,
            }
        )
    return items


def check_segment(segment: str | None) -> None:
    """Refuse a segment name that is none of SEGMENT_NAMES (400, the field named)."""
    if segment is not None and segment not in SEGMENT_NAMES:
        raise ServiceError(
            f"Unknown segment {segment!r}.", {"segment": f"One of {', '.join(SEGMENT_NAMES)}."}
        )


def at_risk(viewer: User, code: str, day: int | None = None, segment: str | None = None) -> dict[str, Any]:
    """The visible course's predictions at its latest scored day (or `day`), highest risk first, each
    with the change since the previous checkpoint and the days since the learner's last activity;
    only those of `segment` when given."""
    check_segment(segment)
    course = require_course(viewer, code)
    access_log.record(viewer, "at_risk_list", course=course.code, day=day, segment=segment)
    checkpoints = EnrollmentPrediction.checkpoints_by_day(course)
    if day is None:
        if not checkpoints:
            return {
                "course": course.code,
                "day": None,
                "checkpoint": None,
                "previous_day": None,
                "items": [],
                "message": "This course has not been scored yet.",
            }
        day = max(checkpoints)
    elif day not in checkpoints:
        raise NotFound(f"Day {day} of course {course.code} has not been scored.", {"day": "not scored"})
    previous = previous_checkpoint_day(checkpoints, day)
    items = at_risk_items(course, day, [day] if previous is None else [previous, day], checkpoints[day])
    if segment is not None:
        items = [item for item in items if item["segment"] == segment]
    return {
        "course": course.code,
        "day": day,
        "checkpoint": checkpoints[day],
        "previous_day": previous,
        "items": items,
        "message": "",
    }
