"""The records resource: saved predictions, newest first."""

from __future__ import annotations

from flask import Blueprint, Response, stream_with_context
from flask_jwt_extended import current_user

from api.contract import operation
from api.pagination import page_payload
from api.schemas.common import Message
from api.schemas.records import ExportQuery, RecordOut, RecordsPage, RecordsQuery
from server.security import client_ip
from services import records

bp = Blueprint("records", __name__, url_prefix="/records")


@bp.get("")
@operation(query=RecordsQuery, response=RecordsPage, tags=("records",))
def list_records(query: RecordsQuery):
    """Your records (administrators: everyone's, or one user's), filtered and paginated."""
    return page_payload(records.records_page(current_user, query.filters(), query.page, query.per_page))


@bp.get("/export.csv")
@operation(query=ExportQuery, tags=("records",), raw_response="text/csv")
def export_records(query: ExportQuery):
    """The same filters as the list, as a streamed CSV (formula cells neutralised)."""
    body = records.export_csv(current_user, query.filters(), client_ip())
    response = Response(stream_with_context(body), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="records.csv"'
    return response


@bp.get("/<id:record_id>")
@operation(response=RecordOut, errors=(404,), tags=("records",))
def get_record(record_id: int):
    """One record (yours, or any for administrators)."""
    return records.get_record(current_user, record_id)


@bp.delete("/<id:record_id>")
@operation(response=Message, errors=(404,), tags=("records",))
def delete_record(record_id: int):
    """Delete one record (yours, or any for administrators)."""
    records.delete_record(current_user, record_id, client_ip())
    return {"message": "Record deleted."}
