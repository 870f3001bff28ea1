"""A learner's data on request (administrators): export it as a zip, erase it; and the access log."""

from __future__ import annotations

from flask import Blueprint, Response
from flask_jwt_extended import current_user

from api.contract import operation
from api.pagination import page_payload
from api.schemas.learners import (
    AccessLogPage,
    AccessLogQuery,
    LearnerEraseIn,
    LearnerEraseOut,
    LearnerExportQuery,
)
from server.security import client_ip
from services import access_log, learner_data

bp = Blueprint("learners", __name__, url_prefix="/learners")


@bp.get("/export")
@operation(
    auth="admin", query=LearnerExportQuery, errors=(404,), tags=("learners",), raw_response="application/zip"
)
def export_learner(query: LearnerExportQuery):
    """Everything held about a learner as a zip: learner.json, then one CSV per table."""
    bundle, name = learner_data.export(current_user, query.learner_ref, query.course)
    response = Response(bundle, mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.post("/erase")
@operation(auth="admin", body=LearnerEraseIn, response=LearnerEraseOut, errors=(404,), tags=("learners",))
def erase_learner(body: LearnerEraseIn):
    """Erase everything held about a learner (or, with `dry_run`, count it). Models already trained
    are not retrained; later trainings never see the data."""
    if body.dry_run:
        counts = learner_data.counts(current_user, body.learner_ref, body.course)
    else:
        counts = learner_data.erase(current_user, body.learner_ref, body.course, client_ip())
    ref = (body.learner_ref or "").strip()
    return {"learner_ref": ref, "course": body.course, "erased": not body.dry_run, "counts": counts}


@bp.get("/access-log")
@operation(auth="admin", query=AccessLogQuery, response=AccessLogPage, tags=("learners",))
def list_access_log(query: AccessLogQuery):
    """Who looked at whom: views of enrollments and at-risk lists, exports and erasures, newest first."""
    found = access_log.entries(current_user, query.learner, query.user, query.page, query.per_page)
    return page_payload(found)
