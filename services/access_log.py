"""Recording who looked at whom, listing it for administrators, and forgetting it when it expires."""

from __future__ import annotations

import getpass
import hashlib
import hmac
from datetime import timedelta
from typing import Any

from flask import current_app, has_request_context, request

from db.access_log import AccessEntry
from db.courses import Enrollment
from db.tables import User, utcnow
from services.accounts import Page
from services.errors import Forbidden

API_PREFIX = "/api/"
MAX_PER_PAGE = 200


def learner_hash(learner_ref: str) -> str:
    """A keyed hash of a learner reference (HMAC-SHA256 with SECRET_KEY): the deployment can tell
    whether a reference it is given was erased, nobody can read a reference back from it."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, learner_ref.encode(), hashlib.sha256).hexdigest()


def _channel() -> str:
    if not has_request_context():
        return "cli"
    return "api" if request.path.startswith(API_PREFIX) else "page"


def _who(viewer: User | None) -> tuple[User | None, str]:
    if viewer is not None:
        return viewer, viewer.username
    # The command line acts without an account: the operating-system user stands for it.
    return None, f"command line ({getpass.getuser()})"[:64]


def naming(enrollment: Enrollment) -> dict[str, Any]:
    """The fields of an entry about one enrollment (its course read through the loaded relation)."""
    return {
        "course": enrollment.course.code,
        "learner_ref": enrollment.learner_ref,
        "enrollment_id": enrollment.id,
    }


def record(
    viewer: User | None,
    action: str,
    *,
    course: str | None = None,
    learner_ref: str | None = None,
    enrollment_id: int | None = None,
    learner_hash_: str | None = None,
    **detail: Any,
) -> None:
    """Append one entry (inside the caller's transaction when there is one)."""
    user, name = _who(viewer)
    AccessEntry.create(
        user=user,
        username=name,
        action=action,
        channel=_channel(),
        course_code=course,
        learner_ref=learner_ref,
        enrollment_id=enrollment_id,
        learner_hash=learner_hash_,
        detail=detail,
    )


def entries(viewer: User, learner: str | None, username: str | None, page: int, per_page: int) -> Page:
    """A page of the access log, newest first, of one learner and/or one user (administrators)."""
    if not viewer.is_admin:
        raise Forbidden("The access log is for administrators.")
    learner = (learner or "").strip() or None
    username = (username or "").strip() or None
    page, per_page = max(1, page), max(1, min(per_page, MAX_PER_PAGE))
    found, total = AccessEntry.search(
        learner, learner_hash(learner) if learner else None, username, page, per_page
    )
    return Page([entry.to_dict() for entry in found], total, page, per_page)


def purge_expired(days: int) -> int:
    """Delete the entries older than `days` days; how many went."""
    return AccessEntry.purge_before(utcnow() - timedelta(days=days))
