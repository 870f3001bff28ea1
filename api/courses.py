"""Courses and enrollments with their activity (SPEC.md 6.3), as far as the caller may see them."""

from __future__ import annotations

from flask import Blueprint
from flask_jwt_extended import current_user

from api.contract import operation
from api.pagination import page_payload
from api.schemas.courses import CourseDetailOut, CoursesOut, EnrollmentOut, EnrollmentsPage, EnrollmentsQuery
from services import courses

bp = Blueprint("courses", __name__, url_prefix="/courses")
enrollments_bp = Blueprint("enrollments", __name__, url_prefix="/enrollments")
# Course codes from platforms may hold slashes (old edX ids, xAPI activity IRIs): the path converter.


@bp.get("")
@operation(auth="admin", response=CoursesOut, tags=("courses",))
def list_courses():
    """Every course you may see, with its enrollment count and current day."""
    return {"items": courses.courses(current_user)}


@bp.get("/<path:code>")
@operation(auth="admin", response=CourseDetailOut, errors=(404,), tags=("courses",))
def get_course(code: str):
    """One course, with its enrollment and outcome counts."""
    return courses.course(current_user, code)


@bp.get("/<path:code>/enrollments")
@operation(auth="admin", query=EnrollmentsQuery, response=EnrollmentsPage, errors=(404,), tags=("courses",))
def list_enrollments(code: str, query: EnrollmentsQuery):
    """A course's enrollments by learner reference, filtered and paginated, with activity totals."""
    page = courses.enrollments_page(current_user, code, query.filters(), query.page, query.per_page)
    return page_payload(page)


@enrollments_bp.get("/<id:enrollment_id>")
@operation(auth="admin", response=EnrollmentOut, errors=(404,), tags=("courses",))
def get_enrollment(enrollment_id: int):
    """One enrollment: its course, outcome and activity by day."""
    return courses.enrollment(current_user, enrollment_id)
