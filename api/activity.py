"""Activity pushed by a platform (an API key with the ingest scope) or an administrator."""

from __future__ import annotations

from flask import Blueprint

from api.contract import current_actor, operation
from api.schemas.courses import ActivityPushIn, ActivityPushOut
from services import activity_push

bp = Blueprint("activity", __name__, url_prefix="/activity")


@bp.post("")
@operation(auth="ingest", body=ActivityPushIn, response=ActivityPushOut, tags=("activity",))
def push_activity(body: ActivityPushIn):
    """Add events (or xAPI statements) to the daily activity; each bad item is reported by its index."""
    return activity_push.accept(body.payload(), current_actor())
