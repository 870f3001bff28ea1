"""The predictions resource: one row at a time (batch scoring lives beside it)."""

from __future__ import annotations

from flask import Blueprint, request, send_file
from flask_jwt_extended import current_user

from api.contract import operation
from api.schemas.common import CSV_UPLOAD
from api.schemas.predictions import BatchQuery, DropoutIn, DropoutOut, ExamScoreIn, ExamScoreOut
from modelling.tasks import DROPOUT, EXAM
from server.errors import UnsupportedMediaType
from server.security import client_ip
from services import batch, model_versions, predictions

bp = Blueprint("predictions", __name__, url_prefix="/predictions")


def _predict(task: str, body) -> dict:
    values = body.model_dump(exclude={"save", "student_ref"})
    return predictions.predict(
        task, values, user=current_user, save=body.save, student_ref=body.student_ref, ip=client_ip()
    )


@bp.post("/exam-score")
@operation(body=ExamScoreIn, response=ExamScoreOut, errors=(503,), tags=("predictions",))
def exam_score(body):
    """Predict an exam score with its level, 90% interval, explanation and recommendations."""
    return _predict(EXAM.name, body)


@bp.post("/dropout")
@operation(body=DropoutIn, response=DropoutOut, errors=(503,), tags=("predictions",))
def dropout(body):
    """Predict the dropout probability with its risk level, explanation and recommendations."""
    return _predict(DROPOUT.name, body)


@bp.post("/<task:task>/batch")
@operation(
    auth="admin",
    query=BatchQuery,
    errors=(404, 413, 415, 503),
    tags=("predictions",),
    raw_body=CSV_UPLOAD,
    raw_response="text/csv",
)
def batch_score(task: str, query: BatchQuery):
    """Score a CSV (multipart `file` or text/csv body, either naming): inputs + predictions + `error`."""
    model_versions.check_task(task)
    if request.files.get("file") is not None:
        source = batch.spool(request.files["file"].stream)
    elif request.mimetype == "text/csv":
        source = batch.spool(request.stream)
    else:
        raise UnsupportedMediaType("Send the CSV as multipart field `file` or as a text/csv body.")
    try:
        result = batch.score_upload(task, source, user=current_user, save=query.save, ip=client_ip())
    finally:
        source.unlink(missing_ok=True)
    response = send_file(
        batch.open_result(result), mimetype="text/csv", as_attachment=True, download_name=f"{task}-scored.csv"
    )
    response.headers["X-Rows-Scored"] = str(result.summary.scored)
    response.headers["X-Rows-Rejected"] = str(result.summary.rejected)
    response.headers["X-Model-Version"] = str(result.version)
    return response
