"""The health resource."""

from __future__ import annotations

from flask import Blueprint, jsonify

from api.contract import operation
from api.schemas.health import HealthOut
from server.security import caller_is_admin
from services.health import report

bp = Blueprint("health", __name__, url_prefix="/health")


@bp.get("")
@operation(auth="public", response=HealthOut, errors=(503,), tags=("health",))
def health():
    """Whether the database answers; for administrators also which model version serves each task."""
    payload, database_up = report(caller_is_admin())
    # A Response of its own: the public answer leaves `models` out rather than sending null.
    response = jsonify(payload)
    response.status_code = 200 if database_up else 503
    return response
