"""Models of file imports through the API: activity files (a job), outcomes files, the import runs."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from api.schemas.common import PageMeta, StrictModel, UtcDateTime
from services.ingest.moodle_times import DATE_ORDERS
from services.ingest.store import FORMATS

# The options may come in the query string or, with a multipart upload, as form fields; the service
# checks them (one set of messages whichever way they came), so they are declared here as text.
FORMAT_DOC = "How to read the file: " + ", ".join(FORMATS) + " (auto: detected from its first bytes)."
OPTION_FIELDS = {
    "format": {"type": "string", "enum": list(FORMATS), "default": "auto"},
    "course": {"type": "string", "maxLength": 255},
    "start": {"type": "string", "format": "date"},
    "days": {"type": "integer", "minimum": 1},
    "date_order": {"type": "string", "enum": list(DATE_ORDERS)},
    "time_zone": {"type": "string", "maxLength": 64},
}

# Raw bodies accepted besides multipart: the file itself, with a content type.
RAW_TYPES = (
    "text/csv",
    "text/plain",
    "application/json",
    "application/x-ndjson",
    "application/jsonl",
    "application/gzip",
    "application/octet-stream",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)
ACTIVITY_UPLOAD: dict[str, Any] = {
    "multipart/form-data": {
        "type": "object",
        "properties": {"file": {"type": "string", "format": "binary"}, **OPTION_FIELDS},
        "required": ["file"],
    },
    **{media: {"type": "string", "format": "binary"} for media in RAW_TYPES},
}
OUTCOMES_UPLOAD: dict[str, Any] = {
    "multipart/form-data": {
        "type": "object",
        "properties": {"file": {"type": "string", "format": "binary"}, "course": OPTION_FIELDS["course"]},
        "required": ["file"],
    },
    "text/csv": {"type": "string"},
}


class ImportQuery(StrictModel):
    format: str | None = Field(None, max_length=16, description=FORMAT_DOC)
    course: str | None = Field(
        None, max_length=300, description="The course of rows that name none (created if new)."
    )
    start: str | None = Field(
        None, max_length=40, description="A new course's start date, YYYY-MM-DD (else the earliest day)."
    )
    days: str | None = Field(None, max_length=12, description="A new course's length in days (else 30).")
    rebase: str | None = Field(
        None, max_length=8,
        description="true: move each course's first date in the file onto the course's day 0 (a pilot on"
        " an old export); else dates are kept.",
    )
    date_order: str | None = Field(
        None, max_length=8, description="Local times' day/month order, dmy or mdy (a Moodle Logs download;"
        " else the setting MOODLE_DATE_ORDER).",
    )
    time_zone: str | None = Field(
        None, max_length=64, description="Local times' IANA time zone, e.g. Europe/Paris (a Moodle Logs"
        " download; else the setting MOODLE_TIME_ZONE).",
    )
    filename: str | None = Field(
        None, max_length=255, description="The file's name in the import history (for a raw body)."
    )


class OutcomesQuery(StrictModel):
    course: str | None = Field(None, max_length=300, description="The course of rows without course_id.")
    filename: str | None = Field(None, max_length=255, description="The file's name (for a raw body).")


CONTACTS_UPLOAD = OUTCOMES_UPLOAD


class ContactsQuery(StrictModel):
    course: str | None = Field(
        None, max_length=200, description="The course of rows without course_id (else: every enrollment "
        "of the learner reference)."
    )
    filename: str | None = Field(None, max_length=255, description="The file's name (for a raw body).")


class ContactsReportOut(BaseModel):
    file_name: str
    lines_read: int
    stored: int = Field(description="Enrollments whose contact was stored.")
    rejected: int
    first_rejections: list[RejectionOut] = Field(description="The first 100 rejected lines.")


class RejectionOut(BaseModel):
    line: int = Field(description="The file's line (1 = the header of a CSV).")
    reason: str


class OutcomesReportOut(BaseModel):
    file_name: str
    lines_read: int
    updated: int = Field(description="Enrollments whose outcome was set.")
    rejected: int
    first_rejections: list[RejectionOut] = Field(description="The first 100 rejected lines.")
    reasons: dict[str, int] = Field(description="Rejected lines per kind of reason.")
    courses: list[str]


class ImportRunOut(BaseModel):
    id: int
    file_name: str
    format: str
    status: str = Field(description="running, done or failed.")
    lines_read: int
    rows_imported: int
    rows_changed: int
    rejected: int
    reasons: dict[str, int] = Field(description="Rejected lines per kind of reason.")
    enrollments: int
    courses: list[str]
    last_line: int = Field(description="The store holds the file up to this line (a failed run).")
    error: str | None
    resumes: int | None = Field(description="The failed run of the same file this run completed.")
    user: str | None
    started_at: UtcDateTime
    finished_at: UtcDateTime | None


class ImportRunDetailOut(ImportRunOut):
    rejections: list[RejectionOut] = Field(description="The first 100 rejected lines.")


class ImportRunsOut(BaseModel):
    items: list[ImportRunOut]
    meta: PageMeta
