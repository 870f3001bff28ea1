"""A tutor's worklist ("This week" on Home, GET /api/v1/worklist): at most their capacity of learners
across their running courses, from each course's latest scored day, the ones a contact can still help
first; learners someone acted on in the last WORKLIST_RECENT_ACTION_DAYS days are left out."""

from __future__ import annotations

import operator
from datetime import datetime, timedelta
from functools import reduce
from itertools import groupby
from typing import Any

import peewee
from flask import current_app

from db.courses import Course, Enrollment
from db.early_warning import EnrollmentPrediction as Prediction
from db.tables import User, utcnow
from db.tutoring import EnrollmentAction
from modelling.early_warning.segments import PRIORITIES, SEGMENTS, action_of, label_of
from services.course_overview import risk_levels
from services.courses import visible_courses
from services.errors import Forbidden, InvalidInput, NotFound

DEFAULT_RECENT_ACTION_DAYS = 7


def recent_action_days() -> int:
    """How many days an action keeps a learner off the worklist (the setting)."""
    return int(current_app.config.get("WORKLIST_RECENT_ACTION_DAYS") or DEFAULT_RECENT_ACTION_DAYS)


def order_text() -> str:
    """How the list is ordered, in one sentence built from the levels and the segments' priorities."""
    ranked = sorted(SEGMENTS, key=lambda segment: -segment.priority)
    groups = [
        " and ".join(segment.label.lower() for segment in group)
        for _, group in groupby(ranked, key=lambda segment: segment.priority)
    ]
    return (
        f"Ordered by risk level ({risk_levels()[0]} first), then learners a contact can still reach "
        f"({' before '.join(groups)}), then by predicted probability, highest first."
    )


def _target(viewer: User, tutor: str | None) -> User:
    """Whose worklist: the viewer's own, or (administrators) the named tutor's."""
    if not viewer.is_staff:
        raise Forbidden("The worklist is for tutors and administrators.")
    if tutor is None or tutor == viewer.username:
        return viewer
    if not viewer.is_admin:
        raise Forbidden("Only administrators see another tutor's worklist.")
    found = User.get_or_none(User.username == tutor.strip().lower())
    if found is None:
        raise NotFound(f"No user named {tutor}.")
    if not found.is_staff:
        raise InvalidInput("Not a tutor.", {"tutor": f"{tutor} is not a tutor or an administrator."})
    return found


def _latest_days(target: User, today) -> dict[int, int]:
    """Course id -> its latest scored day, for the target's courses that have not finished."""
    running = [course.id for course in visible_courses(target) if not course.has_finished(today)]
    if not running:
        return {}
    # One index probe per course (its last day on the (course, day) index), not a scan of them all.
    latest = Prediction.select(peewee.fn.MAX(Prediction.day)).where(Prediction.course == Course.id)
    query = Course.select(Course.id, latest.alias("day")).where(Course.id.in_(running))
    return {course: day for course, day in query.tuples() if day is not None}


def _rank(field: peewee.Field, ranks: dict[str, int], other: int) -> peewee.Node:
    """A CASE giving each value of `field` its rank (smaller first), `other` for anything else."""
    return peewee.Case(field, list(ranks.items()), other)


def _rows(latest: dict[int, int], since: datetime, capacity: int) -> list[Prediction]:
    """The first `capacity` predictions of the latest scored days, with no action since `since`."""
    if not latest:
        return []
    levels = {name: index for index, name in enumerate(risk_levels())}
    segments = {name: -priority for name, priority in PRIORITIES.items()}
    scored_day = reduce(
        operator.or_,
        [(Prediction.course == course) & (Prediction.day == day) for course, day in latest.items()],
    )
    acted = EnrollmentAction.select(EnrollmentAction.id).where(
        (EnrollmentAction.enrollment == Prediction.enrollment) & (EnrollmentAction.created_at >= since)
    )
    # The order is found on narrow rows (ids and sort keys): sorting a course's whole rows, reasons
    # included, spills to disk on PostgreSQL; the listed few are then read whole.
    first = (
        Prediction.select(Prediction.id)
        .where(scored_day & ~peewee.fn.EXISTS(acted))
        .order_by(
            _rank(Prediction.risk_level, levels, len(levels)),
            _rank(Prediction.segment, segments, 0),
            Prediction.probability.desc(),
            Prediction.enrollment,
        )
        .limit(capacity)
    )
    return _read([row_id for (row_id,) in first.tuples()])


def _read(ids: list[int]) -> list[Prediction]:
    """These predictions whole, with their learner and course, in the given order."""
    found = {
        row.id: row
        for row in Prediction.select(
            Prediction, Enrollment.id, Enrollment.learner_ref, Course.id, Course.code
        )
        .join(Enrollment, on=(Prediction.enrollment == Enrollment.id))
        .join(Course, on=(Prediction.course == Course.id))
        .where(Prediction.id.in_(ids))
    }
    return [found[row_id] for row_id in ids]


def _item(prediction: Prediction) -> dict[str, Any]:
    factors = prediction.top_factors or []
    return {
        "enrollment": prediction.enrollment.id,
        "learner_ref": prediction.enrollment.learner_ref,
        "course": prediction.course.code,
        "day": prediction.day,
        "risk_level": prediction.risk_level,
        "probability": prediction.probability,
        "segment": prediction.segment,
        "segment_label": label_of(prediction.segment),
        "suggested_action": action_of(prediction.segment),
        "reason": factors[0].get("text", "") if factors else "",
        "rank_in_course": prediction.rank_in_course,
    }


def done_count(target: User, since: datetime) -> int:
    """How many actions `target` recorded since `since`."""
    return (
        EnrollmentAction.select()
        .where((EnrollmentAction.user == target.id) & (EnrollmentAction.created_at >= since))
        .count()
    )


def worklist(viewer: User, tutor: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """The worklist of `viewer` (or, for an administrator, of the tutor named `tutor`): its rows in
    order, how they are ordered, and how many actions the tutor recorded in the recent days."""
    target = _target(viewer, tutor)
    now = now or utcnow()
    days = recent_action_days()
    since = now - timedelta(days=days)
    rows = _rows(_latest_days(target, now.date()), since, target.worklist_capacity)
    return {
        "tutor": target.username,
        "capacity": target.worklist_capacity,
        "recent_action_days": days,
        "order": order_text(),
        "done": done_count(target, since),
        "items": [_item(row) for row in rows],
    }
