"""Activity pushed by a platform (an API key with the ingest scope) or an administrator; activity and
outcomes files uploaded by an administrator, and the record of every import."""

from __future__ import annotations

from typing import IO

from flask import Blueprint, request
from flask_jwt_extended import current_user

from api.contract import current_actor, operation
from api.pagination import page_payload
from api.schemas.common import PageQuery
from api.schemas.courses import ActivityPushIn, ActivityPushOut
from api.schemas.imports import (
    ACTIVITY_UPLOAD,
    CONTACTS_UPLOAD,
    OUTCOMES_UPLOAD,
    RAW_TYPES,
    ContactsQuery,
    ContactsReportOut,
    ImportQuery,
    ImportRunDetailOut,
    ImportRunsOut,
    OutcomesQuery,
    OutcomesReportOut,
)
from api.schemas.model_versions import JobOut
from server.errors import UnsupportedMediaType
from services import activity_push
from services.errors import InvalidInput
from services.ingest import uploads
from services.tutoring import contacts

bp = Blueprint("activity", __name__, url_prefix="/activity")
OPTION_NAMES = ("format", "course", "start", "days", "rebase", "date_order", "time_zone")


@bp.post("")
@operation(auth="ingest", body=ActivityPushIn, response=ActivityPushOut, tags=("activity",))
def push_activity(body: ActivityPushIn):
    """Add events (or xAPI statements) to the daily activity; each bad item is reported by its index.
    A body holds 1 to 5,000 items and may be up to MAX_PUSH_KB (10 MB by default, 2 KB an item)."""
    return activity_push.accept(body.payload(), current_actor())


def _upload(raw_types: tuple[str, ...], name: str | None) -> tuple[IO[bytes], str]:
    """The uploaded file's stream and name: multipart field `file`, or the body itself."""
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise InvalidInput("Send the file as multipart field `file`.", {"file": "a file is required"})
        return upload.stream, upload.filename or name or "upload"
    if request.mimetype in raw_types:
        return request.stream, name or "upload"
    raise UnsupportedMediaType(
        f"Send the file as multipart field `file` or as the body with one of: {', '.join(raw_types)}."
    )


def _form_options(query) -> dict[str, str | None]:
    """The options from the query string, a multipart form's fields taking precedence."""
    given = query.model_dump()
    if request.mimetype == "multipart/form-data":
        given.update({name: request.form[name] for name in OPTION_NAMES if name in request.form})
    return given


@bp.post("/import")
@operation(
    auth="admin",
    query=ImportQuery,
    response=JobOut,
    status=202,
    errors=(413, 415),
    tags=("activity",),
    raw_body=ACTIVITY_UPLOAD,
)
def import_activity(query: ImportQuery):
    """Import an activity file (daily, events, xAPI, Open edX, a Moodle Logs download) as a job; its
    result is the import's report: rows read, imported, rejected (the first 100 with line numbers) and
    counts per reason."""
    given = _form_options(query)
    stream, name = _upload(RAW_TYPES, query.filename)
    job = uploads.upload_activity(
        stream,
        file_name=name,
        fmt=given["format"],
        course=given["course"],
        start=given["start"],
        days=given["days"],
        rebase=given["rebase"],
        date_order=given["date_order"],
        time_zone=given["time_zone"],
        user=current_user,
    )
    return job.to_dict()


@bp.post("/outcomes")
@operation(
    auth="admin",
    query=OutcomesQuery,
    response=OutcomesReportOut,
    errors=(413, 415),
    tags=("activity",),
    raw_body=OUTCOMES_UPLOAD,
)
def import_outcomes(query: OutcomesQuery):
    """Set enrollments' outcomes from a CSV (enrollment_id, label, optional course_id), at once (one short
    line per enrollment); unknown enrollments and bad lines are reported with their line numbers."""
    course = request.form.get("course") if request.mimetype == "multipart/form-data" else None
    stream, name = _upload(("text/csv",), query.filename)
    report = uploads.import_outcomes_upload(stream, file_name=name, course=course or query.course)
    return report.to_dict()


@bp.post("/contacts")
@operation(
    auth="admin",
    query=ContactsQuery,
    response=ContactsReportOut,
    errors=(413, 415),
    tags=("activity",),
    raw_body=CONTACTS_UPLOAD,
)
def import_contacts(query: ContactsQuery):
    """Store learners' email addresses from a CSV (learner_ref, email, optional name and course_id); each
    bad row is reported with its line (invalid email, unknown learner); 422 when none could be stored."""
    course = request.form.get("course") if request.mimetype == "multipart/form-data" else None
    stream, name = _upload(("text/csv",), query.filename)
    text = contacts.read_text(stream.read())
    return contacts.import_contacts(text, file_name=name, course=course or query.course).to_dict()


@bp.get("/imports")
@operation(auth="admin", query=PageQuery, response=ImportRunsOut, tags=("activity",))
def list_imports(query: PageQuery):
    """The import runs (files and pushes), newest first."""
    return page_payload(uploads.runs(query.page, query.per_page))


@bp.get("/imports/<id:run_id>")
@operation(auth="admin", response=ImportRunDetailOut, errors=(404,), tags=("activity",))
def get_import(run_id: int):
    """One import run with its first rejected lines (line number and reason) and counts per reason."""
    return uploads.run_detail(run_id)
