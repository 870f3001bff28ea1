"""Which account is which learner: an administrator links a student's account to an
enrollment, so that the student sees their own course activity (and risk, when allowed).

Linking is explicit: accounts are self-registered, so matching a platform's learner reference to a
username or email would let anyone claim someone else's activity by registering that name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from db.connection import write_transaction
from db.courses import Course, Enrollment
from db.tables import User
from services.courses import course_calendar
from services.errors import Conflict, NotFound
from services.tutoring.tutors import course_coded, require_admin, user_named


@dataclass(frozen=True)
class Link:
    """The result of a link or unlink: the enrollment, the account (or None) and whether it changed."""

    enrollment: int
    course: str
    learner_ref: str
    username: str | None
    changed: bool


def _enrollment(code: str, learner_ref: str) -> Enrollment:
    course = course_coded(code)
    found = Enrollment.by_ref(course, learner_ref or "")
    if found is None:
        raise NotFound(f"No learner {learner_ref} in {course.code}.", {"learner_ref": "no such enrollment"})
    return found


def link_learner(admin: User | None, username: str, code: str, learner_ref: str) -> Link:
    """Link the account `username` to the learner `learner_ref` of course `code` (409 when another
    account is linked to it: unlink that first)."""
    require_admin(admin, "link accounts to learners")
    user, enrollment = user_named(username), _enrollment(code, learner_ref)
    changed, linked = Enrollment.link_account(enrollment.id, user.id)
    if linked != user.id:
        raise Conflict(
            f"{learner_ref} in {code} is linked to another account; unlink it first.",
            {"learner_ref": "linked to another account"},
        )
    return Link(enrollment.id, enrollment.course.code, enrollment.learner_ref, user.username, changed)


def unlink_learner(admin: User | None, code: str, learner_ref: str) -> Link:
    """Remove the account link of the learner `learner_ref` of course `code`."""
    require_admin(admin, "link accounts to learners")
    enrollment = _enrollment(code, learner_ref)
    changed = enrollment.user_id is not None
    if changed:
        with write_transaction():
            Enrollment.update(user=None).where(Enrollment.id == enrollment.id).execute()
    return Link(enrollment.id, enrollment.course.code, enrollment.learner_ref, None, changed)


def set_account(admin: User | None, enrollment_id: int, username: str | None) -> Link:
    """Link the enrollment to the account `username`, or unlink it when `username` is None."""
    require_admin(admin, "link accounts to learners")
    query = Enrollment.select(Enrollment, Course).join(Course)
    enrollment = query.where(Enrollment.id == enrollment_id).first()
    if enrollment is None:
        raise NotFound(f"No enrollment {enrollment_id}.")
    if username is None:
        return unlink_learner(admin, enrollment.course.code, enrollment.learner_ref)
    return link_learner(admin, username, enrollment.course.code, enrollment.learner_ref)


def my_enrollments(viewer: User) -> list[dict[str, Any]]:
    """The courses `viewer` takes (the enrollments linked to their account): course, where it stands."""
    items = []
    for enrollment in Enrollment.linked_to(viewer):
        course = enrollment.course
        calendar = course_calendar(course)
        items.append(
            {
                "enrollment": enrollment.id,
                "learner_ref": enrollment.learner_ref,
                "course": course.code,
                "title": course.title,
                "current_day": calendar["current_day"],
                "finished": calendar["status"] == "finished",
            }
        )
    return items
