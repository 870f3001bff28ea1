"""Digest emails a dead process left pending: sent once, by whichever process finds them first.

A digest's notification is stored before its email goes out on a background thread; a process that
dies in between (or in the middle of a send) leaves the email `pending`. The scheduler resends them: the
in-process scheduler's lease holder on every check (so also as it starts), or a Celery beat task. Only
emails pending for longer than DIGEST_RESEND_AFTER_MINUTES, and not claimed by a sender for as long,
count as left behind; each attempt claims the row with one UPDATE first, so processes resending at the
same time (or a sender that was only slow) never both send one email.
"""

from __future__ import annotations

import logging

import peewee
from flask import current_app

from db.tables import utcnow
from db.tutoring import Notification
from services.tutoring import notifications
from services.tutoring.notifications import DigestSettings

log = logging.getLogger(__name__)


def resend_pending(settings: DigestSettings) -> int:
    """Send the digest emails left pending, with the usual attempts and records; how many were found."""
    if settings.mail is None:
        return 0
    cutoff = utcnow() - settings.resend_after
    left = Notification.left_pending(created_before=cutoff, free_before=cutoff)
    if left:
        log.warning("%d digest email(s) left pending by a stopped process: sending them now", len(left))
        notifications.send_emails(left, settings)
    return len(left)


def resend_pending_now() -> int:
    """`resend_pending` with the running app's settings (inside an app context); never raises, so the
    scheduler's thread that calls it keeps scoring (the next check tries again)."""
    try:
        return resend_pending(DigestSettings.from_config(current_app.config))
    except peewee.DatabaseError as exc:
        log.warning("resending pending digest emails failed: %s", exc)
    except Exception:
        log.exception("resending pending digest emails failed")
    return 0
