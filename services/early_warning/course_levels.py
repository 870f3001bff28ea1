"""A course's early-warning levels relative to the course: the shares they use (the deployment's, or the
course's own an administrator set) and what a level means in the course on its latest scored day (the
course's base rate and the High group's expected dropout rate)."""

from __future__ import annotations

from typing import Any

import peewee
from flask import current_app

from db.connection import database
from db.courses import Course
from db.early_warning import EnrollmentPrediction
from db.tables import Activity, User
from modelling.levels import check_shares
from modelling.tasks import EARLY_WARNING
from services.courses import require_course
from services.errors import Forbidden, InvalidInput


def level_shares(course: Course) -> dict[str, Any]:
    """The shares the course's levels use: {"high", "medium", "source": "course" | "deployment"}."""
    rule = EARLY_WARNING.levels(current_app.config, course.level_shares)
    return {
        "high": rule.high,
        "medium": rule.medium,
        "source": "course" if course.level_shares else "deployment",
    }


def expected_rates(course: Course, day: int | None) -> dict[str, Any]:
    """At the scored `day`: how many were scored, the base rate (mean calibrated probability: the
    dropout rate the model expects of the course) and, per level, its count and expected dropout rate."""
    if day is None:
        return {"day": None, "scored": 0, "base_rate": None, "levels": {}}
    query = (
        EnrollmentPrediction.select(
            EnrollmentPrediction.risk_level,
            peewee.fn.COUNT(EnrollmentPrediction.id),
            peewee.fn.SUM(EnrollmentPrediction.probability),
        )
        .where((EnrollmentPrediction.course == course) & (EnrollmentPrediction.day == day))
        .group_by(EnrollmentPrediction.risk_level)
        .tuples()
    )
    levels = {level: {"count": n, "expected_rate": total / n} for level, n, total in query if n}
    scored = sum(found["count"] for found in levels.values())
    total = sum(found["expected_rate"] * found["count"] for found in levels.values())
    return {"day": day, "scored": scored, "base_rate": total / scored if scored else None, "levels": levels}


def parse_shares(high: Any, medium: Any) -> tuple[float, float]:
    """Shares typed as percents (20, 30) as fractions; a clear 422 naming what is wrong."""
    try:
        values = (float(high) / 100, float(medium) / 100)
    except (TypeError, ValueError):
        raise InvalidInput(
            "Give the High and Medium shares as percents.", {"shares": "two numbers, e.g. 20 and 30"}
        ) from None
    percents = (values[0] * 100, values[1] * 100)
    if not all(0 < share < 100 for share in percents):
        raise InvalidInput("Each share must be above 0% and below 100%.", {"shares": "e.g. 20 and 30"})
    if sum(percents) > 100:
        raise InvalidInput(
            f"High and Medium together are {sum(percents):g}%: at most 100%.", {"shares": "e.g. 20 and 30"}
        )
    return check_shares(values)


def set_level_shares(viewer: User, code: str, shares: Any, ip: str | None = None) -> dict[str, Any]:
    """Set the course's own (High, Medium) shares (fractions), or clear them with None (administrators;
    validated); the next scoring of the course uses them. Returns the shares now in use."""
    if not viewer.is_admin:
        raise Forbidden("Only an administrator can change a course's level shares.")
    course = require_course(viewer, code)
    stored = None
    if shares is not None:
        try:
            stored = list(check_shares(shares))
        except ValueError as exc:
            raise InvalidInput(str(exc), {"shares": "each in (0, 1), together at most 1"}) from None
    with database.atomic():
        Course.update(level_shares=stored).where(Course.id == course.id).execute()
        Activity.record("course-level-shares", viewer, ip, course=course.code, shares=stored)
    course.level_shares = stored
    return level_shares(course)
