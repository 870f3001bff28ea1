"""What tutors do about flagged enrollments: record an action, read the log."""

from __future__ import annotations

from typing import Any

from db.connection import write_transaction
from db.courses import Course, Enrollment
from db.early_warning import EnrollmentPrediction
from db.tables import User
from db.tutoring import CONTACT_CHANNELS, HAND_KINDS, EnrollmentAction
from services.courses import require_enrollment
from services.errors import Forbidden, InvalidInput

NOTE_MAX_CHARS = 2000
ACTION_LABELS = {
    "contacted": "Contacted",
    "acknowledged": "Acknowledged",
    "useful": "Useful",
    "not_useful": "Not useful",
    "incorrectly_flagged": "Incorrectly flagged",
    "resolved": "Resolved",
    "nudged": "Nudged",
    "held_back": "Held back from a nudge",
}


def takes_channel(kind: str) -> bool:
    """Whether an action of `kind` records a channel: only a contact does (the forms offer it then)."""
    return kind == "contacted"


def _validate(kind: str, channel: str | None, note: str | None) -> dict[str, str]:
    problems = {}
    if kind not in HAND_KINDS:
        problems["kind"] = f"Must be one of {', '.join(HAND_KINDS)}."
    if channel is not None and channel not in CONTACT_CHANNELS:
        problems["channel"] = f"Must be one of {', '.join(CONTACT_CHANNELS)}."
    if channel is not None and not takes_channel(kind):
        problems["channel"] = "A channel goes only with kind contacted."
    if note is not None and len(note) > NOTE_MAX_CHARS:
        problems["note"] = f"At most {NOTE_MAX_CHARS} characters."
    return problems


def _require_staff(viewer: User) -> None:
    if not viewer.is_staff:
        raise Forbidden("Only the course's tutors and administrators act on enrollments.")


def record_actions(
    viewer: User, enrollment_ids: list[int], kind: str, note: str | None = None, channel: str | None = None
) -> list[dict[str, Any]]:
    """Record one action on each enrollment (all or none): each must be in a course `viewer` tutors
    (or any, for an administrator); the action remembers the enrollment's latest prediction."""
    problems = _validate(kind, channel, note)
    if problems:
        raise InvalidInput("Please correct the highlighted fields.", problems)
    _require_staff(viewer)
    enrollments = [require_enrollment(viewer, one) for one in dict.fromkeys(enrollment_ids)]
    latest = EnrollmentPrediction.latest_of([e.id for e in enrollments])
    with write_transaction():
        actions = [
            EnrollmentAction.create(
                enrollment=enrollment.id,
                course=enrollment.course_id,
                user=viewer.id,
                kind=kind,
                channel=channel,
                note=(note or "").strip(),
                prediction=latest.get(enrollment.id, (None, None))[0],
                model_version=latest.get(enrollment.id, (None, None))[1],
            )
            for enrollment in enrollments
        ]
    return [action.to_dict() for action in EnrollmentAction.by_ids([action.id for action in actions])]


def record_action(
    viewer: User, enrollment_id: int, kind: str, note: str | None = None, channel: str | None = None
) -> dict[str, Any]:
    """Record one action on one enrollment (see `record_actions`)."""
    return record_actions(viewer, [enrollment_id], kind, note, channel)[0]


def actions_of(viewer: User, enrollment_id: int) -> list[dict[str, Any]]:
    """An enrollment's action log, newest first (staff who may see its course)."""
    _require_staff(viewer)
    return action_log(require_enrollment(viewer, enrollment_id))


def action_log(enrollment: Enrollment) -> list[dict[str, Any]]:
    """An enrollment already found and shown to staff: its action log, newest first."""
    return [action.to_dict() for action in EnrollmentAction.log_of(enrollment)]


def last_actions(course: Course) -> dict[int, dict[str, Any]]:
    """Enrollment id -> its latest action (kind, who, when) for every enrollment of the course with one."""
    latest = EnrollmentAction.latest_per_enrollment(course)
    return {action.enrollment_id: action.to_dict() for action in latest}
