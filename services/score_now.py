"""Score now: a course's tutor or an administrator scores the course at today's day of it through the
scoring job (its progress is the job's); after an activity import, with EARLY_WARNING_SCORE_AFTER_IMPORT
on, every imported course that can be scored is scored that way on its own."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app

from db.courses import Course
from db.tables import Job, User, utcnow
from db.tutoring import CourseTutor
from services import jobs
from services.early_warning import scoring
from services.errors import Forbidden, NotFound, ServiceError

log = logging.getLogger(__name__)


def may_score(user: User | None, course: Course) -> bool:
    """Whether `user` may score `course` now: an administrator, or one of the course's tutors."""
    if user is None or not user.is_staff:
        return False
    if user.is_admin:
        return True
    return CourseTutor.select().where((CourseTutor.course == course) & (CourseTutor.user == user.id)).exists()


def scorable(course: Course) -> bool:
    """Whether the course has reached its first checkpoint, so that scoring it now gives predictions."""
    return course.day_of(utcnow().date()) >= scoring.first_checkpoint(course)


def require_scorer(user: User, code: str) -> Course:
    """The course `code` if `user` may score it: 404 for no such course, 403 for anyone but its tutors
    and the administrators (scoring is an action on the course, refused rather than hidden)."""
    course = Course.by_code(code)
    if course is None:
        raise NotFound(f"No course {code}.")
    if not may_score(user, course):
        raise Forbidden(f"Only course {code}'s tutors and the administrators can score it.")
    return course


def start(user: User, code: str, day: int | None = None) -> Job:
    """Queue the scoring job for course `code` (at `day`, default today's day of it)."""
    require_scorer(user, code)
    return scoring.start_scoring(code, day, user)


def job_of(user: User, job_id: int) -> Job:
    """A job for its creator or an administrator (404 for anyone else: another's job does not exist)."""
    job = jobs.get(job_id)
    if not user.is_admin and job.created_by_id != user.id:
        raise NotFound("No such job.")
    return job


def after_import(report: dict[str, Any], user_id: int | None) -> list[int]:
    """With EARLY_WARNING_SCORE_AFTER_IMPORT on, queue a scoring job for each course of a finished
    import that can be scored; the jobs' ids (never raises: the import itself succeeded)."""
    if not current_app.config.get("EARLY_WARNING_SCORE_AFTER_IMPORT") or report.get("status") == "failed":
        return []
    user = User.get_or_none(User.id == user_id) if user_id else None
    started = []
    for code in report.get("courses") or []:
        course = Course.by_code(code)
        if course is None or not scorable(course):
            continue
        try:
            started.append(scoring.start_scoring(code, None, user).id)
        except ServiceError as exc:  # no active model, say: the import stands, scoring waits
            log.warning("scoring %s after the import was not started: %s", code, exc.message)
    return started
