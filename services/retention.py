"""Retention of finished courses: each kind of row is kept a set number of days after its course's last
day, then purged in batches by a daily job (or `purge-expired`); an archived course loses its raw event
keys at once and keeps what training and the reports read."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import peewee

from db import retention as store
from db.connection import write_transaction
from db.courses import ActivityDay, Course, Enrollment
from db.early_warning import EnrollmentPrediction
from db.ingest import DayEvents
from db.tables import Activity, Job, User, utcnow
from db.tutoring import EnrollmentAction
from services import job_owner, jobs
from services.errors import NotFound

log = logging.getLogger(__name__)
JOB_KIND = "purge-expired"


@dataclass(frozen=True)
class Kind:
    """One kind of row with its own retention period."""

    name: str
    model: type[peewee.Model]
    setting: str  # the configuration key holding its days (None: kept forever)

    @property
    def table(self) -> str:
        return self.model._meta.table_name


KINDS = (
    Kind("event keys", DayEvents, "RETENTION_EVENT_KEYS_DAYS"),
    Kind("daily activity", ActivityDay, "RETENTION_ACTIVITY_DAYS"),
    Kind("predictions", EnrollmentPrediction, "RETENTION_PREDICTIONS_DAYS"),
    Kind("actions", EnrollmentAction, "RETENTION_ACTIONS_DAYS"),
)


def expires_on(course: Course, days: int) -> date:
    """The first date on which a course's rows kept `days` days after its last day are purged."""
    return course.last_day() + timedelta(days=days + 1)


def expired(today: date, config: Any) -> list[tuple[Kind, Course]]:
    """Every (kind, course) whose retention period has run out by `today`."""
    courses = list(Course.select().order_by(Course.code))
    due = []
    for kind in KINDS:
        days = config[kind.setting]
        if days is not None:
            due += [(kind, course) for course in courses if today >= expires_on(course, days)]
    return due


def purge(today: date, config: Any, *, dry_run: bool = False) -> dict[str, int]:
    """Delete (or with `dry_run` only count) every expired row; rows per table, every table named."""
    removed = {kind.table: 0 for kind in KINDS}
    batch = int(config["RETENTION_BATCH_ROWS"])
    for kind, course in expired(today, config):
        if dry_run:
            gone = store.count_of(kind.model, course.id)
        else:
            gone = store.delete_all(kind.model, course.id, batch)
        if gone:
            log.info("%s %d rows of %s of %s", "Would purge" if dry_run else "Purged", gone, kind.name,
                     course.code)
        removed[kind.table] += gone
    return removed


def due(now: datetime, config: Any) -> bool:
    """Whether today's purge may run at `now` (UTC): at or after the purge hour, not run yet today."""
    if now.hour < int(config["RETENTION_PURGE_HOUR"]):
        return False
    today = datetime(now.year, now.month, now.day)
    return not Job.select().where((Job.kind == JOB_KIND) & (Job.created_at >= today)).exists()


def run_if_due(config: Any, now: datetime | None = None) -> Job | None:
    """The daily purge, recorded as a job whose result counts the rows removed per table; None when
    it is not due (call inside an app context)."""
    now = now or utcnow()
    if not due(now, config):
        return None
    job = Job.create(kind=JOB_KIND, status="running", started_at=now, message="Purging expired rows",
                     owner=job_owner.identity())
    try:
        with jobs.heartbeat(job.id):  # a long purge is not taken for a dead one
            removed = purge(now.date(), config)
    except peewee.DatabaseError as exc:  # what went stays gone; tomorrow's run takes the rest
        Job.update(status="failed", error=str(exc), finished_at=utcnow(), updated_at=utcnow()).where(
            Job.id == job.id
        ).execute()
        log.warning("Retention purge failed: %s", exc)
        return Job.get_by_id(job.id)
    message = f"Purged {sum(removed.values()):,} expired rows"
    Job.update(status="succeeded", progress=100, result={"removed": removed}, message=message,
               finished_at=utcnow(), updated_at=utcnow()).where(Job.id == job.id).execute()
    log.info("%s: %s", message, removed)
    return Job.get_by_id(job.id)


def last_purge() -> dict[str, Any] | None:
    """The newest daily purge: when it ran, its state and the rows removed per table (None: never)."""
    job = Job.select().where(Job.kind == JOB_KIND).order_by(Job.created_at.desc(), Job.id.desc()).first()
    if job is None:
        return None
    return {"at": job.created_at, "status": job.status, "removed": (job.result or {}).get("removed", {}),
            "error": job.error}


def overview(config: Any) -> dict[str, Any]:
    """The retention periods per kind (days after a course's last day; None: kept forever) and the
    newest daily purge, for the administrators' page."""
    return {"periods": {kind.name: config[kind.setting] for kind in KINDS}, "last_purge": last_purge()}


def archive_course(code: str, by: User | None, ip: str | None = None, *, batch: int = 5000) -> dict[str, Any]:
    """Archive a course: its raw event keys are deleted (in batches); its daily counts, outcomes,
    predictions and actions stay for training and reports. Archiving twice removes nothing more."""
    found = Course.by_code(code or "")
    if found is None:
        raise NotFound(f"No course {code}.")
    with write_transaction():
        # Marked first: an import that starts meanwhile already finds the course archived.
        Course.update(archived_at=peewee.fn.COALESCE(Course.archived_at, utcnow())).where(
            Course.id == found.id
        ).execute()
    removed = store.delete_all(DayEvents, found.id, batch)
    found = Course.get_by_id(found.id)
    summary = {
        "code": found.code,
        "archived_at": found.archived_at,
        "removed": {DayEvents._meta.table_name: removed},
        "kept": {
            "enrollments": Enrollment.select().where(Enrollment.course == found).count(),
            "outcomes": Enrollment.select().where(
                (Enrollment.course == found) & Enrollment.dropped_out.is_null(False)).count(),
            **{kind.table: store.count_of(kind.model, found.id) for kind in KINDS[1:]},
        },
    }
    Activity.record("course_archive", by, ip, code=found.code, removed=removed)
    return summary
