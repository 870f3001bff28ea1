"""Courses and enrollments with their activity, as far as the caller may see them."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, current_app, request
from flask_jwt_extended import current_user

from api.contract import operation, parse_json_body
from api.pagination import page_payload
from api.schemas.courses import (
    CourseArchivedOut,
    CourseDetailOut,
    CourseRemovedOut,
    CoursesOut,
    CourseUpdateIn,
    CourseUpdateOut,
    EnrollmentsPage,
    EnrollmentsQuery,
)
from api.schemas.model_versions import JobOut
from api.schemas.nudges import NudgeIn, NudgeOut
from api.schemas.scoring import AtRiskOut, AtRiskQuery, LevelSharesIn, LevelSharesOut, ScoreIn
from api.schemas.tutoring import (
    AccountIn,
    ActionIn,
    ActionOut,
    ActionsOut,
    CourseTutorsIn,
    CourseTutorsOut,
    EnrollmentDetailOut,
    LinkOut,
)
from server.security import client_ip
from services import (
    course_admin,
    course_overview,
    courses,
    enrollment_detail,
    learner_links,
    retention,
    score_now,
)
from services.early_warning import course_levels, enrollments_at_risk
from services.errors import InvalidInput
from services.tutoring import (
    actions,
    nudges,
    tutors,
)

bp = Blueprint("courses", __name__, url_prefix="/courses")
enrollments_bp = Blueprint("enrollments", __name__, url_prefix="/enrollments")
# Course codes from platforms may hold slashes (old edX ids, xAPI activity IRIs): the path converter.


@bp.get("")
@operation(auth="staff", response=CoursesOut, tags=("courses",))
def list_courses():
    """Every course you may see, with its enrollment count, current day and share at High."""
    return {"items": course_overview.courses_overview(current_user)}


@bp.get("/<path:code>")
@operation(auth="staff", response=CourseDetailOut, errors=(404,), tags=("courses",))
def get_course(code: str):
    """One course, with its enrollment and outcome counts."""
    return courses.course(current_user, code)


@bp.patch("/<path:code>")
@operation(auth="admin", body=CourseUpdateIn, response=CourseUpdateOut, errors=(404,), tags=("courses",))
def update_course(code: str, body: CourseUpdateIn):
    """Change a course's title, start or length; stored activity keeps its dates (a window that would
    leave some of it out is refused with 422), and activity kept aside outside the old window that the
    new one covers is counted."""
    changes = body.model_dump(exclude_none=True)
    return course_admin.update_course(code, current_user, client_ip(), **changes)


@bp.delete("/<path:code>")
@operation(auth="admin", response=CourseRemovedOut, errors=(404,), tags=("courses",))
def delete_course(code: str):
    """Remove a course with its enrollments, activity, predictions, actions and tutor assignments;
    the answer counts what was removed."""
    return course_admin.delete_course(code, current_user, client_ip())


@bp.post("/<path:code>/archive")
@operation(auth="admin", response=CourseArchivedOut, errors=(404,), tags=("courses",))
def archive_course(code: str):
    """Archive a course: its raw event keys are deleted; its daily activity counts, outcomes,
    predictions and actions are kept for training and reports, and no further activity is imported
    into it. Archiving again removes nothing more."""
    batch = int(current_app.config["RETENTION_BATCH_ROWS"])
    return retention.archive_course(code, current_user, client_ip(), batch=batch)


@bp.get("/<path:code>/enrollments")
@operation(auth="staff", query=EnrollmentsQuery, response=EnrollmentsPage, errors=(404,), tags=("courses",))
def list_enrollments(code: str, query: EnrollmentsQuery):
    """A course's enrollments by learner reference, filtered and paginated, with activity totals."""
    page = courses.enrollments_page(current_user, code, query.filters(), query.page, query.per_page)
    return page_payload(page)


@enrollments_bp.get("/<id:enrollment_id>")
@operation(auth="user", response=EnrollmentDetailOut, errors=(404,), tags=("courses",))
def get_enrollment(enrollment_id: int):
    """One enrollment: its course, outcome, activity by day, risk history and (staff) action log."""
    return enrollment_detail.enrollment_detail(current_user, enrollment_id)


@enrollments_bp.post("/<id:enrollment_id>/actions")
@operation(auth="staff", body=ActionIn, response=ActionOut, status=201, errors=(404,), tags=("courses",))
def post_action(enrollment_id: int, body: ActionIn):
    """Record what was done about the enrollment (contacted, useful, resolved, ...)."""
    return actions.record_action(current_user, enrollment_id, body.kind, body.note, body.channel)


@enrollments_bp.get("/<id:enrollment_id>/actions")
@operation(auth="staff", response=ActionsOut, errors=(404,), tags=("courses",))
def list_actions(enrollment_id: int):
    """The enrollment's action log, newest first."""
    return {"items": actions.actions_of(current_user, enrollment_id)}


@bp.get("/<path:code>/at-risk")
@operation(auth="staff", query=AtRiskQuery, response=AtRiskOut, errors=(404,), tags=("courses",))
def course_at_risk(code: str, query: AtRiskQuery):
    """The course's enrollments by predicted dropout risk at its latest scored day (or `day`), of one
    `segment` when given."""
    return enrollments_at_risk.at_risk(current_user, code, query.day, query.segment)


@bp.post("/<path:code>/score")
@operation(
    auth="staff",
    response=JobOut,
    status=202,
    errors=(403, 404, 503),
    tags=("courses",),
    raw_body={"application/json": ScoreIn.model_json_schema()},
)
def score_course(code: str):
    """Score the course's enrollments now (at `day`, default today's day of the course); returns the job
    (follow it at /api/v1/jobs/{id}). For the course's tutors and the administrators; 403 for others."""
    body = parse_json_body(ScoreIn) if request.get_data() else ScoreIn()
    return score_now.start(current_user, code, body.day).to_dict()


@bp.post("/<path:code>/nudges")
@operation(auth="staff", body=NudgeIn, response=NudgeOut, errors=(403, 404), tags=("courses",))
def nudge_learners(code: str, body: NudgeIn):
    """Email the chosen learners (`learners` or `segment`) from a template, or with `preview` only show
    the first one's email. Learners without an email address, unsubscribed, or nudged in the last
    NUDGE_MIN_DAYS days are skipped and listed. For the course's tutors and the administrators."""
    settings = nudges.NudgeSettings.from_config(current_app.config)
    return nudges.nudge(
        current_user,
        code,
        body.template,
        learners=body.learners,
        segment=body.segment,
        preview=body.preview,
        settings=settings,
    )


@bp.put("/<path:code>/level-shares")
@operation(auth="admin", body=LevelSharesIn, response=LevelSharesOut, errors=(404,), tags=("courses",))
def put_level_shares(code: str, body: LevelSharesIn):
    """Set the course's own early-warning level shares (High, Medium), or clear both with nulls to use the
    deployment's; the course's next scoring uses them."""
    if (body.high is None) != (body.medium is None):
        raise InvalidInput("Give both shares, or clear both with nulls.", {"medium": "with high"})
    shares = None if body.high is None else (body.high, body.medium)
    return {"course": code} | course_levels.set_level_shares(current_user, code, shares, request.remote_addr)


@bp.get("/<path:code>/tutors")
@operation(auth="admin", response=CourseTutorsOut, errors=(404,), tags=("courses",))
def get_tutors(code: str):
    """The course's tutors by username."""
    return tutors.course_tutors(current_user, code)


@bp.put("/<path:code>/tutors")
@operation(auth="admin", body=CourseTutorsIn, response=CourseTutorsOut, errors=(404,), tags=("courses",))
def put_tutors(code: str, body: CourseTutorsIn):
    """Make the course's tutors exactly these users (each a tutor or an administrator)."""
    return {"course": code, "tutors": tutors.set_tutors(current_user, code, body.tutors)}


@enrollments_bp.put("/<id:enrollment_id>/account")
@operation(auth="admin", body=AccountIn, response=LinkOut, errors=(404, 409), tags=("courses",))
def put_account(enrollment_id: int, body: AccountIn):
    """Link a student's account to this enrollment (they then see their own activity), or unlink it."""
    return asdict(learner_links.set_account(current_user, enrollment_id, body.username))
