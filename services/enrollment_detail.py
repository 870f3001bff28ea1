"""One enrollment as its readers see it: staff of its course get its activity, its
risk history with reasons and its action log; the student linked to it gets its activity, and its risk
only when STUDENT_SEES_OWN_RISK is on."""

from __future__ import annotations

from typing import Any

import peewee
from flask import current_app

from db.courses import Course, Enrollment
from db.early_warning import EnrollmentPrediction
from db.tables import ModelVersion, User
from modelling.early_warning.scored_days import as_of_day
from services import access_log, courses
from services.tutoring import actions


def sees_as_staff(viewer: User, enrollment: Enrollment) -> bool:
    """Whether `viewer` reads the enrollment as staff of its course (not only as its linked student)."""
    if not viewer.is_staff:
        return False
    return courses.visible_courses(viewer).where(Course.id == enrollment.course_id).exists()


def risk_history(enrollment: Enrollment) -> list[dict[str, Any]]:
    """The enrollment's predictions by day: checkpoint, probability, level, reasons and model version."""
    query = (
        EnrollmentPrediction.select(EnrollmentPrediction, ModelVersion.id, ModelVersion.version)
        .join(ModelVersion, peewee.JOIN.LEFT_OUTER)
        .where(EnrollmentPrediction.enrollment == enrollment)
        .order_by(EnrollmentPrediction.day)
    )
    return [
        {
            "day": row.day,
            "checkpoint": row.checkpoint,
            "probability": row.probability,
            "risk_level": row.risk_level,
            "as_of_day": as_of_day(enrollment.course.length_days, row.day, row.checkpoint),
            "top_factors": row.top_factors,
            "in_favour": row.in_favour,
            "model_version": row.model_version.version if row.model_version else None,
            "scored_at": row.created_at,
        }
        for row in query
    ]


def student_sees_risk() -> bool:
    """Whether a linked student may read their own risk (the STUDENT_SEES_OWN_RISK setting)."""
    return bool(current_app.config.get("STUDENT_SEES_OWN_RISK", False))


def enrollment_detail(viewer: User, enrollment_id: int) -> dict[str, Any]:
    """The enrollment with its activity by day, its `risk` history (null for a linked student unless
    the setting allows it) and its `actions` (null unless `viewer` is staff of its course)."""
    enrollment = courses.require_enrollment(viewer, enrollment_id)  # 404 unless visible
    access_log.record(viewer, "enrollment_view", **access_log.naming(enrollment))
    staff = sees_as_staff(viewer, enrollment)
    shows_risk = staff or student_sees_risk()
    return {
        **courses.enrollment_dict(enrollment),
        "risk": risk_history(enrollment) if shows_risk else None,
        "actions": actions.action_log(enrollment) if staff else None,
    }
