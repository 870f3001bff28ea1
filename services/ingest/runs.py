"""The record of each import (ImportRun): what it read, stored and rejected, kept up to date chunk by
chunk in the chunk's own transaction, so that a failed run says up to which line the store holds it."""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from db.connection import database
from db.ingest import ImportRun
from db.tables import Job, User, utcnow
from db.text import printable
from services import job_owner
from services.ingest.parsed import Rejection

log = logging.getLogger(__name__)

FIRST_REJECTIONS = 100  # rejections kept with their line and reason; the rest are only counted
# Runs whose failure this process could not record (the database was down): run id -> error.
_UNRECORDED: dict[int, str] = {}


_ITEM_LABEL = re.compile(r"^(?:statement|event) \d+: ")


def reason_kind(reason: str) -> str:
    """The kind of a rejection reason: its words before the first ": ", without a "statement N: " or
    "event N: " label (a colon alone does not end it, so that IRIs such as 'http://...' stay whole)."""
    return _ITEM_LABEL.sub("", reason).split(": ", 1)[0].strip()


@dataclass
class ImportReport:
    """What one import did, as the command line, the API and the pages show it."""

    run_id: int
    file_name: str
    format: str
    status: str
    lines_read: int = 0
    rows_imported: int = 0
    rows_changed: int = 0  # rows that changed the store: daily rows new or with new counts, new events
    rejected: int = 0
    outside_window: int = 0  # rows kept aside outside their course's window (counted when it covers them)
    first_rejections: list[Rejection] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)
    enrollments: int = 0
    courses: list[str] = field(default_factory=list)
    last_line: int = 0
    error: str | None = None
    resumes: int | None = None  # the failed run of the same file this run completed

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class RunLog:
    """One import's ImportRun: counters kept here and written with each committed chunk."""

    def __init__(
        self,
        file_name: str,
        fmt: str,
        *,
        sha256: str | None = None,
        course: str | None = None,
        user: User | int | None = None,
        job_id: int | None = None,
        keep: int = FIRST_REJECTIONS,
    ) -> None:
        self.keep = keep  # rejections kept with their line and reason
        _record_unrecorded()  # a push has no file to resume, but may end what this process left
        self.resumes = _unfinished_run(sha256, fmt, course) if sha256 else None
        with database.atomic():
            self.run = ImportRun.create(
                file_name=file_name[-255:],
                sha256=sha256,
                format=fmt,
                course_option=course,
                user=user,
                job_id=job_id,
                owner=job_owner.identity(),
                resumes=self.resumes.id if self.resumes else None,
            )
        self.reasons: Counter[str] = Counter()
        self.first: list[Rejection] = []
        self.enrollment_ids: set[int] = set()
        self.courses: set[str] = set()

    def pending(
        self,
        *,
        lines: int,
        rows: int,
        changed: int,
        outside: int = 0,
        last_line: int,
        rejections: list[Rejection],
        enrollments,
        courses,
    ) -> dict[str, Any]:
        """The run's counters with one more chunk (nothing changed yet: see `write` and `apply`)."""
        run = self.run
        room = max(0, self.keep - len(self.first))
        return {
            "lines_read": run.lines_read + lines,
            "rows_imported": run.rows_imported + rows,
            "rows_changed": run.rows_changed + changed,
            "rejected": run.rejected + len(rejections),
            "outside_window": run.outside_window + outside,
            "last_line": max(run.last_line, last_line),
            "first": self.first + rejections[:room],
            "reasons": self.reasons + Counter(reason_kind(rejection.reason) for rejection in rejections),
            "new_enrollments": {int(i) for i in enrollments} - self.enrollment_ids,
            "courses": self.courses | set(courses),
        }

    def write(self, pending: dict[str, Any]) -> None:
        """Write the counters of `pending` (inside the chunk's transaction, so both commit or neither)."""
        ImportRun.update(
            lines_read=pending["lines_read"],
            rows_imported=pending["rows_imported"],
            rows_changed=pending["rows_changed"],
            rejected=pending["rejected"],
            outside_window=pending["outside_window"],
            last_line=pending["last_line"],
            rejections=[[rejection.line, rejection.reason] for rejection in pending["first"]],
            reasons=dict(pending["reasons"]),
            enrollments=len(self.enrollment_ids) + len(pending["new_enrollments"]),
            courses=sorted(pending["courses"]),
            updated_at=utcnow(),
        ).where(ImportRun.id == self.run.id).execute()

    def apply(self, pending: dict[str, Any]) -> None:
        """Take the counters of a committed chunk."""
        for name in ("lines_read", "rows_imported", "rows_changed", "rejected", "outside_window",
                     "last_line"):
            setattr(self.run, name, pending[name])
        self.first, self.reasons, self.courses = pending["first"], pending["reasons"], pending["courses"]
        self.enrollment_ids |= pending["new_enrollments"]

    def _save(self, **extra: Any) -> None:
        run = self.run
        run.rejections = [[rejection.line, rejection.reason] for rejection in self.first]
        run.reasons = dict(self.reasons)
        run.enrollments = len(self.enrollment_ids)
        run.courses = sorted(self.courses)
        run.updated_at = utcnow()
        for name, value in extra.items():
            setattr(run, name, value)
        run.save()

    def finish(self) -> ImportReport:
        """Mark the run done."""
        with database.atomic():
            self._save(status="done", finished_at=utcnow())
        return self.report()

    def fail(self, error: str) -> ImportReport:
        """Mark the run failed with `error`; the store keeps the chunks committed up to `last_line`.
        A lost database connection is opened again once to record it; if the database is still
        down, the failure is recorded by this process's next import (or by its job's failure)."""
        error = printable(error)  # a binary file's text may hold a NUL, which cannot be stored
        try:
            self._write_failed(error)
        except Exception:  # the connection itself may be what failed: one retry on a new one
            try:
                _reopen()
                self._write_failed(error)
            except Exception:
                log.exception("import run %s: could not record the failure", self.run.id)
                _UNRECORDED[self.run.id] = error
        return self.report(status="failed", error=error)

    def _write_failed(self, error: str) -> None:
        with database.atomic():
            self._save(status="failed", error=error[:2000], finished_at=utcnow())

    def report(self, **override: Any) -> ImportReport:
        run = self.run
        values = dict(
            run_id=run.id,
            file_name=run.file_name,
            format=run.format,
            status=run.status,
            lines_read=run.lines_read,
            rows_imported=run.rows_imported,
            rows_changed=run.rows_changed,
            rejected=run.rejected,
            outside_window=run.outside_window,
            first_rejections=list(self.first),
            reasons=dict(self.reasons),
            enrollments=len(self.enrollment_ids),
            courses=sorted(self.courses),
            last_line=run.last_line,
            error=run.error,
            resumes=run.resumes,
        )
        values.update(override)
        return ImportReport(**values)


def _reopen() -> None:
    """Give back a broken connection and open a fresh one."""
    try:
        database.close()
    except Exception:
        log.debug("closing a broken connection", exc_info=True)
    database.connect(reuse_if_open=True)


def close_runs_of_job(job_id: int, error: str) -> int:
    """Fail the runs of a job that failed while they were `running`; how many."""
    why = f"interrupted: {printable(error)}"[:2000]
    running = (ImportRun.job_id == job_id) & (ImportRun.status == "running")
    return ImportRun.update(status="failed", error=why, finished_at=utcnow()).where(running).execute()


def _record_unrecorded() -> None:
    """Record the failures this process could not write while the database was down."""
    for run_id, error in list(_UNRECORDED.items()):
        ImportRun.update(status="failed", error=error[:2000], finished_at=utcnow()).where(
            (ImportRun.id == run_id) & (ImportRun.status == "running")
        ).execute()
        del _UNRECORDED[run_id]


def close_orphaned_runs() -> int:
    """Fail every `running` run that is in fact over: its failure kept by this process while the
    database was down, its process gone (a push or import whose worker was killed), or its job
    ended; how many."""
    _record_unrecorded()
    closed = 0
    for run in ImportRun.select().where(ImportRun.status == "running"):
        why = _orphaned(run)
        if why:
            still = (ImportRun.id == run.id) & (ImportRun.status == "running")
            closed += ImportRun.update(
                status="failed", error=printable(why)[:2000], finished_at=utcnow()
            ).where(still).execute()
    return closed


def _orphaned(run: ImportRun) -> str | None:
    """Why a `running` run is in fact over (its process died, or its job ended), or None."""
    if job_owner.is_dead_here(run.owner):
        return "interrupted: the importing process ended"
    if run.job_id is not None:
        job = Job.get_or_none(Job.id == run.job_id)
        if job is None or job.status in ("failed", "succeeded"):
            return f"interrupted: its job ended ({job.error if job and job.error else 'no error recorded'})"
    return None


def _unfinished_run(sha256: str, fmt: str, course: str | None) -> ImportRun | None:
    """The newest run of this file that failed (or whose process died or whose job ended while it
    was running) with no completed run after it: the run this import completes."""
    _record_unrecorded()
    for run in ImportRun.of_file(sha256, fmt, course):
        why = _orphaned(run) if run.status == "running" else None
        if why:
            run.status, run.error, run.finished_at = "failed", printable(why)[:2000], utcnow()
            run.save()
        if run.status == "done":
            return None
        if run.status == "failed":
            return run
    return None
