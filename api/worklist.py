"""The worklist resource: the learners a tutor should act on this week, across their courses."""

from __future__ import annotations

from flask import Blueprint
from flask_jwt_extended import current_user

from api.contract import operation
from api.schemas.worklist import WorklistOut, WorklistQuery
from services.tutoring import worklist

bp = Blueprint("worklist", __name__, url_prefix="/worklist")


@bp.get("")
@operation(auth="staff", query=WorklistQuery, response=WorklistOut, errors=(404,), tags=("tutoring",))
def get_worklist(query: WorklistQuery):
    """At most the tutor's capacity of learners from their running courses' latest scored days, those a
    contact can still reach first, leaving out learners acted on recently; administrators may name a
    tutor."""
    return worklist.worklist(current_user, query.tutor)
