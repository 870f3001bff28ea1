"""The outcomes report of a course: how well its early-warning flags did; and whether nudges helped,
per course and across the caller's courses."""

from __future__ import annotations

from flask import Blueprint
from flask_jwt_extended import current_user

from api.contract import operation
from api.schemas.outcomes import CourseOutcomesReportOut, NudgeOutcomesOut
from services.outcomes_report import outcomes_report
from services.tutoring.nudge_effect import nudges_across_courses

# Under /courses like api/courses.py; a blueprint of its own keeps that file as it is.
bp = Blueprint("course_outcomes", __name__, url_prefix="/courses")
# Across courses: under /outcomes, where no course code can shadow it.
across_bp = Blueprint("outcomes_across", __name__, url_prefix="/outcomes")


@bp.get("/<path:code>/outcomes-report")
@operation(auth="staff", response=CourseOutcomesReportOut, errors=(404,), tags=("courses",))
def get_outcomes_report(code: str):
    """Per checkpoint, precision, recall and lift of the High flags; outcomes of contacted and not
    contacted flagged learners (an observation); the share of flags marked wrong per model version."""
    return outcomes_report(current_user, code)


@across_bp.get("/nudges")
@operation(auth="staff", response=NudgeOutcomesOut, tags=("courses",))
def get_nudge_outcomes():
    """Dropout of nudged and held-back (randomised) learners per course the caller may see and overall,
    with a 95% confidence interval for the difference and whether the numbers can tell."""
    return nudges_across_courses(current_user)
