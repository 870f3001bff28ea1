"""The outcomes report of a course: how well its early-warning flags did."""

from __future__ import annotations

from flask import Blueprint
from flask_jwt_extended import current_user

from api.contract import operation
from api.schemas.outcomes import CourseOutcomesReportOut
from services.outcomes_report import outcomes_report

# Under /courses like api/courses.py; a blueprint of its own keeps that file as it is.
bp = Blueprint("course_outcomes", __name__, url_prefix="/courses")


@bp.get("/<path:code>/outcomes-report")
@operation(auth="staff", response=CourseOutcomesReportOut, errors=(404,), tags=("courses",))
def get_outcomes_report(code: str):
    """Per checkpoint, precision, recall and lift of the High flags; outcomes of contacted and not
    contacted flagged learners (an observation); the share of flags marked wrong per model version."""
    return outcomes_report(current_user, code)
