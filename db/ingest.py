"""What imports of learner activity leave behind: each import's run, and the event keys seen per day."""

from __future__ import annotations

from typing import Any

import peewee

from db.courses import Course, Enrollment
from db.fields import JSONField
from db.tables import BaseModel, User, utcnow

RUN_STATUSES = ("running", "done", "failed")


class ImportRun(BaseModel):
    """One import of one file (or of chunks pushed through the API): committed chunk by chunk, so
    a failed run says up to which line the store holds its rows (`last_line`)."""

    file_name = peewee.CharField(max_length=255)
    sha256 = peewee.CharField(max_length=64, null=True)
    format = peewee.CharField(max_length=16)
    course_option = peewee.CharField(max_length=255, null=True)
    status = peewee.CharField(max_length=16, default="running")
    lines_read = peewee.IntegerField(default=0)
    rows_imported = peewee.IntegerField(default=0)
    rows_changed = peewee.IntegerField(default=0)
    rejected = peewee.IntegerField(default=0)
    # Rows kept aside because they fell outside their course's window (counted when it covers them).
    outside_window = peewee.IntegerField(default=0)
    # The first rejections as [line, reason] pairs, and the number of rejections per kind of reason.
    rejections = JSONField(default=list)
    reasons = JSONField(default=dict)
    enrollments = peewee.IntegerField(default=0)
    courses = JSONField(default=list)
    last_line = peewee.IntegerField(default=0)
    error = peewee.TextField(null=True)
    # The failed run of the same file that this one completes.
    resumes = peewee.IntegerField(null=True)
    owner = peewee.CharField(max_length=255, null=True)
    user = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL")
    job_id = peewee.IntegerField(null=True)
    started_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)
    finished_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "import_runs"
        indexes = ((("sha256", "started_at"), False),)

    @classmethod
    def of_file(cls, sha256: str, fmt: str, course: str | None) -> list[ImportRun]:
        """Earlier runs of the same file content, format and course option, newest first."""
        same_course = cls.course_option.is_null() if course is None else cls.course_option == course
        query = cls.select().where((cls.sha256 == sha256) & (cls.format == fmt) & same_course)
        return list(query.order_by(cls.started_at.desc(), cls.id.desc()))

    @classmethod
    def fingerprint(cls) -> tuple:
        """(newest id, latest update) of the runs: every chunk of activity stored, from a file or pushed,
        changes it (a run's counters are written with each chunk)."""
        return tuple(cls.select(peewee.fn.MAX(cls.id), peewee.fn.MAX(cls.updated_at)).tuples().get())

    @classmethod
    def newest(cls, offset: int, limit: int) -> list[ImportRun]:
        """A slice of the runs, newest first, with the user who started each."""
        query = (
            cls.select(cls, User)
            .join(User, peewee.JOIN.LEFT_OUTER)
            .order_by(cls.started_at.desc(), cls.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return list(query)

    @classmethod
    def with_user(cls, run_id: int) -> ImportRun | None:
        """One run with the user who started it, or None."""
        query = cls.select(cls, User).join(User, peewee.JOIN.LEFT_OUTER).where(cls.id == run_id)
        return query.get_or_none()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "file_name": self.file_name,
            "format": self.format,
            "status": self.status,
            "lines_read": self.lines_read,
            "rows_imported": self.rows_imported,
            "rows_changed": self.rows_changed,
            "rejected": self.rejected,
            "outside_window": self.outside_window,
            "rejections": self.rejections,
            "reasons": self.reasons,
            "enrollments": self.enrollments,
            "courses": self.courses,
            "last_line": self.last_line,
            "error": self.error,
            "resumes": self.resumes,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
        }


class DayEvents(BaseModel):
    """The identities of the events counted for one enrollment on one day: `keys` the sorted uint64
    keys, `codes` one byte per key (type index * 3 + source: 0 unknown, 1 server, 2 browser). The day's
    counts in ActivityDay are recomputed from these, so an event carried by two files counts once."""

    course = peewee.DeferredForeignKey("Course", index=False)  # unconstrained, as ActivityDay.course
    enrollment = peewee.ForeignKeyField(Enrollment, on_delete="CASCADE", index=False)
    day = peewee.SmallIntegerField()
    keys = peewee.BlobField()
    codes = peewee.BlobField()

    class Meta:
        table_name = "activity_event_keys"
        primary_key = peewee.CompositeKey("course", "enrollment", "day")

    @classmethod
    def stored(cls, course: int, enrollments: list[int], first_day: int, last_day: int) -> list[tuple]:
        """(enrollment, day, keys, codes) of the stored days of a course's enrollments in the day range,
        as bytes; one statement written directly (Peewee would compose each listed value in Python)."""
        if not enrollments:
            return []
        mark = cls._meta.database.param
        table, fields = cls._meta.table_name, cls._meta.fields
        course_, enrollment, day, keys, codes = (
            f'"{fields[name].column_name}"' for name in ("course", "enrollment", "day", "keys", "codes")
        )
        text = (
            f'SELECT {enrollment}, {day}, {keys}, {codes} FROM "{table}" WHERE {course_} = {mark} '
            f"AND {enrollment} IN ({', '.join([mark] * len(enrollments))}) "
            f"AND {day} BETWEEN {mark} AND {mark}"
        )
        cursor = cls._meta.database.execute_sql(text, [course, *enrollments, first_day, last_day])
        return [(row[0], row[1], bytes(row[2]), bytes(row[3])) for row in cursor]


class StatementId(BaseModel):
    """An xAPI statement id the store has taken, with the digest of the statement's content: an id is
    unique per store (xAPI), so the same id sent again with other content is refused whenever it comes."""

    # lower case, as keys.id_key; its length is services.ingest.statement_ids.ID_MAX
    statement_id = peewee.CharField(max_length=255, primary_key=True)
    digest = peewee.CharField(max_length=32)

    class Meta:
        table_name = "xapi_statement_ids"


peewee.DeferredForeignKey.resolve(Course)

INGEST_MODELS = [ImportRun, DayEvents, StatementId]
