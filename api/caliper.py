"""A Caliper endpoint for platforms that send IMS Caliper envelopes as events happen (Canvas Live Events
in Caliper form, Open edX's event-routing-backends): an ingest key as `Authorization: Bearer <key>`,
X-API-Key or the `key` parameter; the envelope checked, its events imported as a push is."""

from __future__ import annotations

from flask import Blueprint, request

from api.contract import current_actor, operation
from api.schemas.caliper import ENVELOPE_BODY, SensorQuery
from api.schemas.courses import ActivityPushOut
from server.errors import UnsupportedMediaType
from services import caliper_push

bp = Blueprint("caliper", __name__, url_prefix="/caliper")


@bp.post("")
@operation(auth="sensor", query=SensorQuery, response=ActivityPushOut, tags=("caliper",),
           raw_body=ENVELOPE_BODY)
def post_envelope(query: SensorQuery):
    """Store the events of a Caliper envelope; each event not counted is reported by its index."""
    if not request.is_json:
        raise UnsupportedMediaType("Send the envelope as application/json.")
    return caliper_push.accept(request.get_json(), current_actor())
