"""The notifications resource: the signed-in user's own notifications (the bell), and marking them read.
Another user's notification is not found (404), so ids tell nothing about anyone else."""

from __future__ import annotations

from flask import Blueprint
from flask_jwt_extended import current_user

from api.contract import operation
from api.pagination import page_payload
from api.schemas.notifications import NotificationOut, NotificationsPage, NotificationsQuery, ReadAllOut
from services.tutoring import notifications

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("")
@operation(query=NotificationsQuery, response=NotificationsPage, tags=("notifications",))
def list_notifications(query: NotificationsQuery):
    """Your notifications, newest first, paginated, optionally only the unread (or read) ones; with the
    unread count."""
    inbox = notifications.inbox(current_user, query.unread, query.page, query.per_page)
    return {**page_payload(inbox.page), "unread": inbox.unread}


@bp.post("/<id:notification_id>/read")
@operation(response=NotificationOut, errors=(404,), tags=("notifications",))
def mark_read(notification_id: int):
    """Mark one of your notifications read (one already read keeps its time)."""
    return notifications.mark_read(current_user, notification_id)


@bp.post("/read-all")
@operation(response=ReadAllOut, tags=("notifications",))
def mark_all_read():
    """Mark every one of your unread notifications read."""
    return {"marked": notifications.mark_all_read(current_user), "unread": 0}
