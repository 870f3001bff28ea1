"""The health resource."""

from __future__ import annotations

from flask import Blueprint

from api.contract import operation
from api.schemas.health import HealthOut
from db.connection import is_database_up
from services.health import model_status

bp = Blueprint("health", __name__, url_prefix="/health")


@bp.get("")
@operation(auth="public", response=HealthOut, errors=(503,), tags=("health",))
def health():
    """Whether the database answers and which model version serves each task."""
    database_up = is_database_up()
    payload = {
        "status": "ok" if database_up else "degraded",
        "database": "up" if database_up else "down",
        "models": model_status() if database_up else {},
    }
    return payload, 200 if database_up else 503
