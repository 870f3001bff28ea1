"""Early-warning history: scoring runs, each enrollment's prediction per scored day, scheduler leases."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import peewee

from db.courses import Course, Enrollment
from db.fields import JSONField
from db.queries import is_postgres
from db.tables import BaseModel, Job, ModelVersion, utcnow
from modelling.early_warning.scored_days import latest_day_per_checkpoint

RUN_TRIGGERS = ("schedule", "cli", "api")
RUN_STATUSES = ("running", "succeeded", "failed")


class ScoringRun(BaseModel):
    """One pass of scoring: who started it, how it ended, what it scored, with which version."""

    trigger = peewee.CharField(max_length=16)
    status = peewee.CharField(max_length=16, default="running")
    run_date = peewee.DateField()  # the UTC date it ran for: a scheduled day is scored once
    started_at = peewee.DateTimeField(default=utcnow)
    finished_at = peewee.DateTimeField(null=True)
    courses = peewee.IntegerField(default=0)
    enrollments = peewee.IntegerField(default=0)
    error = peewee.TextField(null=True)
    model_version = peewee.ForeignKeyField(ModelVersion, null=True, on_delete="SET NULL")
    job = peewee.ForeignKeyField(Job, null=True, on_delete="SET NULL")
    owner = peewee.CharField(max_length=255, null=True)  # the process running it ("host:pid:start")

    class Meta:
        table_name = "scoring_runs"
        indexes = ((("trigger", "run_date", "status"), False),)

    @classmethod
    def already_done(cls, trigger: str, run_date: date, running_since: datetime) -> bool:
        """Whether a run of `trigger` for `run_date` succeeded, or is running since `running_since`."""
        done = (cls.status == "succeeded") | ((cls.status == "running") & (cls.started_at >= running_since))
        return cls.select().where((cls.trigger == trigger) & (cls.run_date == run_date) & done).exists()

    def finish(self, status: str, error: str | None = None) -> None:
        """Record how the run ended, with its counts."""
        self.status, self.error, self.finished_at = status, error, utcnow()
        ScoringRun.update(
            status=status,
            error=error,
            finished_at=self.finished_at,
            courses=self.courses,
            enrollments=self.enrollments,
            model_version=self.model_version_id,
        ).where(ScoringRun.id == self.id).execute()


class EnrollmentPrediction(BaseModel):
    """An enrollment's predicted dropout risk at one day of its course (one row per enrollment and day:
    scoring the day again replaces it)."""

    enrollment = peewee.ForeignKeyField(Enrollment, on_delete="CASCADE", index=False)
    course = peewee.ForeignKeyField(Course, on_delete="CASCADE", index=False)
    day = peewee.SmallIntegerField()
    checkpoint = peewee.SmallIntegerField()
    probability = peewee.FloatField()
    risk_level = peewee.CharField(max_length=32)
    top_factors = JSONField(default=list)  # [{feature, contribution, direction, text}], strongest first
    # Where the learner stood by their own activity (modelling/early_warning/segments.py), and the
    # enrollment's rank by probability within the course and day (1 the riskiest; ties share the
    # smaller rank). Null on predictions stored before they existed.
    segment = peewee.CharField(max_length=32, null=True)
    rank_in_course = peewee.IntegerField(null=True)
    in_favour = JSONField(default=list)  # the factors lowering the risk, same shape, strongest first
    model_version = peewee.ForeignKeyField(ModelVersion, null=True, on_delete="SET NULL")
    run = peewee.ForeignKeyField(ScoringRun, null=True, on_delete="SET NULL")
    created_at = peewee.DateTimeField(default=utcnow)
    # When a digest announced this prediction as newly High; not among the upserted columns, so scoring
    # the day again keeps it and the same learners are not announced twice.
    notified_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "enrollment_predictions"
        indexes = (
            (("enrollment", "day"), True),  # one enrollment's history
            (("course", "day"), False),  # a course's latest scored day, and that day's rows
            (("course", "created_at"), False),  # when a course's predictions last changed (fingerprint)
        )

    @classmethod
    def upsert_many(cls, rows: list[dict[str, Any]]) -> None:
        """Insert predictions; a stored (enrollment, day) is replaced by the new one. The statement is
        written directly with plain parameters: Peewee's per-value SQL building costs more than the
        database's work on a whole course."""
        if not rows:
            return
        if is_postgres():
            cls._upsert_arrays(rows)
            return
        fields = [cls._meta.fields[name] for name in UPSERT_FIELDS]
        one = "(" + ", ".join([cls._meta.database.param] * len(fields)) + ")"
        for batch in peewee.chunked(rows, 500):
            values = [field.db_value(_value(row, field.name)) for row in batch for field in fields]
            cls._meta.database.execute_sql(
                f"{_UPSERT_HEAD} VALUES {', '.join([one] * len(batch))} {_UPSERT_TAIL}", values
            )

    @classmethod
    def _upsert_arrays(cls, rows: list[dict[str, Any]]) -> None:
        """PostgreSQL: one statement for all the rows, a column that varies sent as one array
        (`unnest`) and a column the same in every row (course, day, run, ...) as one value: a few
        large parameters instead of ten per row, and no statement text per row. The rows hold plain
        values (ids, numbers, text, datetimes): only the JSON column is converted value by value."""
        selected, arrays, params = [], [], []
        for name in UPSERT_FIELDS:
            field = cls._meta.fields[name]
            values = [_value(row, name) for row in rows]
            kind = _PG_TYPES[name]
            if name != "enrollment" and all(value == values[0] for value in values):  # the key always varies
                selected.append(f"%s::{kind}")
                params.append(field.db_value(values[0]))
            else:
                selected.append(f"u.c{len(arrays)}")
                encode = isinstance(field, JSONField)
                arrays.append((f"%s::{kind}[]", [field.db_value(v) for v in values] if encode else values))
        aliases = ", ".join(f"c{i}" for i in range(len(arrays)))
        source = f"unnest({', '.join(cast for cast, _ in arrays)}) AS u({aliases})"
        text = f"{_UPSERT_HEAD} SELECT {', '.join(selected)} FROM {source} {_UPSERT_TAIL}"
        # The scalars come first in the text (SELECT list), then the arrays (FROM).
        cls._meta.database.execute_sql(text, [*params, *(values for _, values in arrays)])

    @classmethod
    def mark_notified(cls, run_id: int, enrollment_ids: list[int]) -> None:
        """Record that the run's predictions of these enrollments were announced (see notified_at)."""
        now = utcnow()
        for batch in peewee.chunked(enrollment_ids, 5_000):
            cls.update(notified_at=now).where(
                (cls.run == run_id) & cls.enrollment.in_(batch) & cls.notified_at.is_null()
            ).execute()

    @classmethod
    def counts_by_day(cls, course: Course) -> dict[int, int]:
        """How many predictions the course has per scored day."""
        query = (
            cls.select(cls.day, peewee.fn.COUNT(cls.id))
            .where(cls.course == course)
            .group_by(cls.day)
            .tuples()
        )
        return dict(query)

    @classmethod
    def changed_at(cls, course: Course) -> datetime | None:
        """When the course's predictions last changed: every prediction stored, new or replacing one, is
        stamped (one index lookup, however many predictions the course has)."""
        return cls.select(peewee.fn.MAX(cls.created_at)).where(cls.course == course).scalar()

    @classmethod
    def checkpoints_by_day(cls, course: Course) -> dict[int, int]:
        """The checkpoint used at each scored day of the course."""
        query = (
            cls.select(cls.day, peewee.fn.MAX(cls.checkpoint)).where(cls.course == course).group_by(cls.day)
        )
        return dict(query.tuples())

    @classmethod
    def latest_of(cls, enrollment_ids: list[int]) -> dict[int, tuple[int, int | None]]:
        """Enrollment id -> (id, model version id) of its prediction at its latest scored day."""
        if not enrollment_ids:
            return {}
        latest = (
            cls.select(cls.enrollment, peewee.fn.MAX(cls.day).alias("day"))
            .where(cls.enrollment.in_(enrollment_ids))
            .group_by(cls.enrollment)
            .alias("latest")
        )
        query = cls.select(cls.enrollment, cls.id, cls.model_version).join(
            latest, on=((latest.c.enrollment_id == cls.enrollment) & (latest.c.day == cls.day))
        )
        return {enrollment: (row_id, version) for enrollment, row_id, version in query.tuples()}

    @classmethod
    def newly_at(
        cls, level: str, since: datetime, courses: peewee.ModelSelect, limit: int
    ) -> tuple[list[EnrollmentPrediction], int]:
        """The first `limit` predictions (with their enrollment and course) of the enrollments of
        `courses` newly at `level` since `since`, highest probability first, then by learner; and how
        many there are. Newly: the prediction at the enrollment's latest scored day is at `level` and
        was made after `since`, and its latest prediction (by day) made at or before `since` was not at
        `level` (or there was none)."""
        later = cls.alias("later")
        before = cls.alias("before")
        later_before = cls.alias("later_before")
        # "Latest by day" as "no prediction of a later day": anti-joins, which both databases plan well.
        scored_later = later.select(later.id).where(
            (later.enrollment == cls.enrollment) & (later.day > cls.day)
        )
        made_later_before = later_before.select(later_before.id).where(
            (later_before.enrollment == cls.enrollment)
            & (later_before.created_at <= since)
            & (later_before.day > before.day)
        )
        was_at_level = before.select(before.id).where(
            (before.enrollment == cls.enrollment)
            & (before.created_at <= since)
            & (before.risk_level == level)
            & ~peewee.fn.EXISTS(made_later_before)
        )
        query = (
            # The total counted in the same pass as the rows listed.
            cls.select(cls, Enrollment, Course, peewee.fn.COUNT(cls.id).over().alias("total"))
            .join(Enrollment)
            .join(Course)
            .where(
                cls.course.in_(courses)
                & (cls.risk_level == level)
                & (cls.created_at > since)
                & ~peewee.fn.EXISTS(scored_later)
                & ~peewee.fn.EXISTS(was_at_level)
            )
            .order_by(cls.probability.desc(), Enrollment.learner_ref, cls.enrollment)
            .limit(limit)
        )
        rows = list(query)
        return rows, rows[0].total if rows else 0

    @classmethod
    def history(cls, enrollment: Enrollment) -> list[EnrollmentPrediction]:
        """One enrollment's predictions by day."""
        return list(cls.select().where(cls.enrollment == enrollment).order_by(cls.day))

    @classmethod
    def latest_day_per_checkpoint(cls, course: Course) -> dict[int, int]:
        """Each checkpoint the course was scored with -> the day standing for it (its latest)."""
        return latest_day_per_checkpoint(cls.checkpoints_by_day(course))

    @classmethod
    def level_outcome_counts(
        cls, course: Course, days: list[int]
    ) -> list[tuple[int, int, str, bool | None, int]]:
        """(checkpoint, day, risk_level, dropped_out, count) of the course's predictions at `days`,
        dropped_out None for enrollments whose outcome is not known."""
        if not days:
            return []
        query = (
            cls.select(
                cls.checkpoint, cls.day, cls.risk_level, Enrollment.dropped_out, peewee.fn.COUNT(cls.id)
            )
            .join(Enrollment)
            .where((cls.course == course) & cls.day.in_(days))
            .group_by(cls.checkpoint, cls.day, cls.risk_level, Enrollment.dropped_out)
            .tuples()
        )
        return list(query)

    @classmethod
    def first_flags(cls, course: Course, level: str) -> peewee.ModelSelect:
        """Each enrollment of the course ever predicted at `level`, with when it first was
        (`enrollment_id`, `flagged_at`): a subquery."""
        return (
            cls.select(cls.enrollment, peewee.fn.MIN(cls.created_at).alias("flagged_at"))
            .where((cls.course == course) & (cls.risk_level == level))
            .group_by(cls.enrollment)
        )

    @classmethod
    def flags_by_version(cls, course: Course, level: str) -> list[tuple[int | None, int | None, int, int]]:
        """(model version id, its number, predictions at `level`, enrollments flagged) per model version
        of the course's predictions at `level`."""
        query = (
            cls.select(
                cls.model_version,
                ModelVersion.version,
                peewee.fn.COUNT(cls.id),
                peewee.fn.COUNT(cls.enrollment.distinct()),
            )
            .join(ModelVersion, peewee.JOIN.LEFT_OUTER)
            .where((cls.course == course) & (cls.risk_level == level))
            .group_by(cls.model_version, ModelVersion.version)
            .tuples()
        )
        return list(query)


UPSERT_FIELDS = (
    "enrollment",
    "course",
    "day",
    "checkpoint",
    "probability",
    "risk_level",
    "top_factors",
    "in_favour",
    "model_version",
    "run",
    "created_at",
    "segment",
    "rank_in_course",
)

# Upserted columns a row may leave out (rows written before they existed), and their value then.
_OPTIONAL = {"in_favour": [], "segment": None, "rank_in_course": None}


def _value(row: dict[str, Any], name: str) -> Any:
    return row[name] if name in row else _OPTIONAL[name]


# The PostgreSQL type of each upserted column's values (parameters are cast to it).
_PG_TYPES = {
    "enrollment": "integer",
    "course": "integer",
    "day": "smallint",
    "checkpoint": "smallint",
    "probability": "real",
    "risk_level": "text",
    "top_factors": "text",
    "in_favour": "text",
    "model_version": "integer",
    "run": "integer",
    "created_at": "timestamp",
    "segment": "text",
    "rank_in_course": "integer",
}
_COLUMNS = ", ".join(f'"{EnrollmentPrediction._meta.fields[name].column_name}"' for name in UPSERT_FIELDS)
_UPSERT_HEAD = f'INSERT INTO "{EnrollmentPrediction._meta.table_name}" ({_COLUMNS})'
_REPLACED = ", ".join(
    f'"{column}" = EXCLUDED."{column}"'
    for column in (EnrollmentPrediction._meta.fields[name].column_name for name in UPSERT_FIELDS)
    if column not in ("enrollment_id", "day")
)
_UPSERT_TAIL = f'ON CONFLICT ("enrollment_id", "day") DO UPDATE SET {_REPLACED}'


class SchedulerLease(BaseModel):
    """Who runs a periodic task among the server's processes: the holder until `expires_at`."""

    name = peewee.CharField(max_length=64, primary_key=True)
    holder = peewee.CharField(max_length=255)
    expires_at = peewee.DateTimeField()

    class Meta:
        table_name = "scheduler_leases"

    @classmethod
    def acquire(cls, name: str, holder: str, seconds: float) -> bool:
        """Take or renew the lease `name` for `holder`: true when it holds it for `seconds` more.
        One conditional UPDATE decides, so two processes never both get an unexpired lease."""
        now = utcnow()
        cls.insert(name=name, holder="", expires_at=datetime(1970, 1, 1)).on_conflict_ignore().execute()
        taken = (
            cls.update(holder=holder, expires_at=now + timedelta(seconds=seconds))
            .where((cls.name == name) & ((cls.holder == holder) | (cls.expires_at < now)))
            .execute()
        )
        return taken == 1

    @classmethod
    def release(cls, name: str, holder: str) -> None:
        """Give the lease up (another process may take it at once)."""
        cls.update(expires_at=datetime(1970, 1, 1)).where(
            (cls.name == name) & (cls.holder == holder)
        ).execute()


EARLY_WARNING_MODELS = [ScoringRun, EnrollmentPrediction, SchedulerLease]
__all__ = ["ScoringRun", "EnrollmentPrediction", "SchedulerLease", "EARLY_WARNING_MODELS"]
