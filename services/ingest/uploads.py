"""Activity and outcomes files uploaded by an administrator (API or Data page): the options checked,
the upload spooled to UPLOAD_DIR, the import run as a job with progress; and the import runs listed."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import IO, Any

from flask import current_app

import services.ingest.moodle_times as moodle_times
from db.ingest import ImportRun
from db.tables import Job, User
from services import jobs, score_now
from services.accounts import Page
from services.errors import InvalidInput, NotFound
from services.ingest.outcomes import OutcomesReport, import_outcomes
from services.ingest.runs import close_orphaned_runs, close_runs_of_job
from services.ingest.store import MAX_DAYS, check_options, import_file

JOB_KIND = "activity_import"
SPOOL_PREFIX = "activity-in-"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Kept from the uploaded name, so that a gzip log or a JSON file keeps a telling suffix on disk.
_SUFFIX = re.compile(r"^\.[a-z0-9]{1,8}$")


@dataclass(frozen=True)
class ImportOptions:
    """How to read an uploaded activity file (format, course, start, length: the import's options)."""

    fmt: str = "auto"
    course: str | None = None
    start: date | None = None
    days: int | None = None
    rebase: bool = False
    date_order: str | None = None  # local times' day/month order and zone (None: the settings')
    time_zone: str | None = None


def import_options(
    fmt: str | None = None,
    course: str | None = None,
    start: date | str | None = None,
    days: int | str | None = None,
    rebase: bool | str | None = None,
    date_order: str | None = None,
    time_zone: str | None = None,
) -> ImportOptions:
    """The options as given by a form or a query string, checked (InvalidInput names each bad field)."""
    fields: dict[str, str] = {}
    fmt = (fmt or "auto").strip().lower()
    course = course.strip() if isinstance(course, str) and course.strip() else None
    start_day, start_error = _date(start)
    if start_error:
        fields["start"] = start_error
    length, days_error = _days(days)
    if days_error:
        fields["days"] = days_error
    moved, rebase_error = _flag(rebase)
    if rebase_error:
        fields["rebase"] = rebase_error
    try:
        check_options(fmt, course, length if days_error is None else None)
    except InvalidInput as exc:
        fields.update(exc.fields)
    date_order, time_zone = _blank_none(date_order), _blank_none(time_zone)
    fields.update(moodle_times.problems(date_order, time_zone))
    if fields:
        raise InvalidInput("Invalid import options.", fields)
    return ImportOptions(fmt, course, start_day, length, moved, date_order and date_order.lower(), time_zone)


def _blank_none(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _flag(value: bool | str | None) -> tuple[bool, str | None]:
    """A yes/no option as a form or query string sends it."""
    if value is None or isinstance(value, bool):
        return bool(value), None
    text = value.strip().lower()
    if text in ("", "0", "false", "no", "off"):
        return False, None
    if text in ("1", "true", "yes", "on"):
        return True, None
    return False, f"true or false, not {text[:20]!r}"


def _date(value: date | str | None) -> tuple[date | None, str | None]:
    if value is None or isinstance(value, date):
        return value, None
    text = value.strip()
    if not text:
        return None, None
    try:
        if _DATE.match(text):
            return date.fromisoformat(text), None
    except ValueError:
        pass
    return None, f"a date as YYYY-MM-DD, not {text[:20]!r}"


def _days(value: int | str | None) -> tuple[int | None, str | None]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    try:
        length = int(value)
        if isinstance(value, float) and value != length:  # a number box can send 2.5
            raise ValueError(value)
    except (TypeError, ValueError):
        return None, f"a whole number of days from 1 to {MAX_DAYS}"
    if not 0 < length <= MAX_DAYS:
        return None, f"a course length of 1 to {MAX_DAYS} days"
    return length, None


def spool(stream: IO[bytes], file_name: str) -> Path:
    """Copy an upload into UPLOAD_DIR without holding it in memory; an empty upload is refused."""
    directory = Path(current_app.config["UPLOAD_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    _prune(directory, current_app.config["SCORED_FILE_AGE"])
    suffix = Path(file_name).suffix.lower()
    path = directory / f"{SPOOL_PREFIX}{uuid.uuid4().hex}{suffix if _SUFFIX.match(suffix) else ''}"
    size = 0
    with path.open("wb") as out:
        while block := stream.read(1 << 20):
            out.write(block)
            size += len(block)
    if size == 0:
        path.unlink(missing_ok=True)
        raise InvalidInput("The upload is empty.", {"file": "the file is empty"})
    return path


def _prune(directory: Path, max_age: timedelta) -> None:
    """Remove spooled uploads a crashed process left behind (a job removes its own when it ends)."""
    cutoff = time.time() - max_age.total_seconds()
    for path in directory.glob(f"{SPOOL_PREFIX}*"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:
            continue


def upload_activity(
    stream: IO[bytes],
    *,
    file_name: str,
    fmt: str | None = None,
    course: str | None = None,
    start: date | str | None = None,
    days: int | str | None = None,
    rebase: bool | str | None = None,
    date_order: str | None = None,
    time_zone: str | None = None,
    user: User,
) -> Job:
    """Check the options, spool the upload and import it as a job (see `start_import`)."""
    options = import_options(fmt, course, start, days, rebase, date_order, time_zone)
    return start_import(spool(stream, file_name), file_name=file_name, options=options, user=user)


def start_import(source: Path, *, file_name: str, options: ImportOptions, user: User) -> Job:
    """Import a spooled upload as a job; its result is the import's report (ImportReport.to_dict),
    whose status says whether the import finished (a failed run's error says what failed)."""
    params = {
        "source": str(source),
        "file_name": _shown_name(file_name),
        "format": options.fmt,
        "course": options.course,
        "start": options.start.isoformat() if options.start else None,
        "days": options.days,
        "rebase": options.rebase,
        "date_order": options.date_order,
        "time_zone": options.time_zone,
    }
    return jobs.create(JOB_KIND, params, user)


def _shown_name(file_name: str) -> str:
    name = Path((file_name or "").replace("\\", "/")).name.strip()
    return name[-255:] or "upload"


@jobs.handler(JOB_KIND)
def _run_import(job: Job, progress: Callable[[float, str], None]) -> dict[str, Any]:
    params = job.params
    source = Path(params["source"])
    try:
        report = import_file(
            source,
            fmt=params["format"],
            course=params["course"],
            start=date.fromisoformat(params["start"]) if params["start"] else None,
            days=params["days"],
            rebase=bool(params.get("rebase")),
            date_order=params.get("date_order"),
            time_zone=params.get("time_zone"),
            user=job.created_by_id,
            progress=progress,
            job_id=job.id,
            source_name=params["file_name"],
        )
    finally:
        source.unlink(missing_ok=True)
    if report.status == "failed":  # a failed import is a failed job, its report kept as the result
        raise jobs.JobFailed(f"The import failed: {report.error}", report.to_dict())
    result = report.to_dict()
    result["scoring_jobs"] = score_now.after_import(result, job.created_by_id)
    return result


@jobs.on_failure(JOB_KIND)
def _close_import(job: Job, error: str) -> None:
    """Close the runs a failed import job left `running`, and remove its spooled upload."""
    close_runs_of_job(job.id, error)
    Path(job.params["source"]).unlink(missing_ok=True)


def import_outcomes_upload(stream: IO[bytes], *, file_name: str, course: str | None = None) -> OutcomesReport:
    """Set enrollments' outcomes from an uploaded CSV (`enrollment_id,label[,course_id]`), at once:
    outcomes files have one short line per enrollment."""
    options = import_options(course=course)
    source = spool(stream, file_name)
    try:
        return import_outcomes(source, course=options.course, source_name=_shown_name(file_name))
    finally:
        source.unlink(missing_ok=True)


def runs(page: int = 1, per_page: int = 20) -> Page:
    """The import runs, newest first, one page of them (without their rejected lines); a run left
    `running` by a process that is gone is shown failed."""
    close_orphaned_runs()
    total = ImportRun.select().count()
    rows = ImportRun.newest((page - 1) * per_page, per_page)
    return Page([run_summary(row) for row in rows], total, page, per_page)


def run_summary(row: ImportRun) -> dict[str, Any]:
    """One run as the history lists it: what, when, who, how it ended, its counts."""
    values = row.to_dict()
    values.pop("rejections")
    values["user"] = row.user.username if row.user_id is not None and row.user else None
    return values


def run_detail(run_id: int) -> dict[str, Any]:
    """One run with its first rejected lines ({line, reason}) and its counts per reason."""
    close_orphaned_runs()
    row = ImportRun.with_user(run_id)
    if row is None:
        raise NotFound("No such import run.")
    values = run_summary(row)
    values["rejections"] = [{"line": line, "reason": reason} for line, reason in row.rejections]
    return values
