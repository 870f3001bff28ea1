"""Versioned schema: an ordered list of migrations, applied once each, recorded in schema_version.

Add a migration by appending a function to MIGRATIONS; never edit one that has shipped.
Migration 1 creates tables from today's models, so a later change to one of those tables
must freeze that table's earlier shape inside migration 1 before altering it in a new one
(tests/test_migrations.py checks that a fresh upgrade matches the models).
"""

from __future__ import annotations

from collections.abc import Callable

import peewee

from db.access_log import AccessEntry
from db.api_keys import ApiKey
from db.connection import database
from db.courses import ActivityDay, Course, Enrollment
from db.early_warning import EARLY_WARNING_MODELS, EnrollmentPrediction
from db.fields import JSONField
from db.identities import UserIdentity
from db.ingest import DayEvents, ImportRun, StatementId
from db.lti import LTI_MODELS
from db.nudges import DEFAULT_TEMPLATES, LearnerContact, NudgeTemplate
from db.outside import OUTSIDE_MODELS
from db.tables import Activity, Job, ModelVersion, Record, RecordOutputs, RevokedToken, SchemaVersion, User
from db.tutoring import TUTORING_MODELS

Migration = Callable[[peewee.Database], None]


def _accounts(db: peewee.Database) -> None:
    db.create_tables([User, Activity, RevokedToken])


def _model_registry(db: peewee.Database) -> None:
    db.create_tables([ModelVersion])


class _RecordWithOutputs(Record):
    """The records table as migration 3 made it: the outputs in a column (moved out by migration 8)."""

    outputs = JSONField()

    class Meta:
        table_name = "records"


def _records(db: peewee.Database) -> None:
    db.create_tables([_RecordWithOutputs])


def _jobs(db: peewee.Database) -> None:
    db.create_tables([Job])


def _record_indexes(db: peewee.Database) -> None:
    """Every index Record declares now (newest first across tasks, per user, per student), for
    databases whose records table predates them; IF NOT EXISTS keeps it a no-op elsewhere."""
    db.create_tables([Record], safe=True)


def _record_value_double(db: peewee.Database) -> None:
    """Records' headline value in double precision (PostgreSQL's REAL kept about 7 digits); SQLite's
    REAL is already 8 bytes."""
    if isinstance(db, peewee.PostgresqlDatabase):
        db.execute_sql("ALTER TABLE records ALTER COLUMN value TYPE DOUBLE PRECISION")


def _record_intervals(db: peewee.Database) -> None:
    """The exam interval in its own columns, filled from each record's outputs."""
    present = {column.name for column in db.get_columns("records")}
    for column in ("interval_low", "interval_high"):
        if column not in present:
            db.execute_sql(f"ALTER TABLE records ADD COLUMN {column} DOUBLE PRECISION")
    if isinstance(db, peewee.PostgresqlDatabase):
        member = "CAST(outputs::json -> 'interval' ->> '{}' AS DOUBLE PRECISION)"
    else:
        member = "json_extract(outputs, '$.interval.{}')"
    db.execute_sql(
        f"UPDATE records SET interval_low = {member.format('low')}, interval_high = {member.format('high')}"
        " WHERE task = 'exam-score' AND interval_low IS NULL"
    )


def _record_outputs_table(db: peewee.Database) -> None:
    """Each record's full outputs in a table of their own, so record scans read a fifth of the
    bytes; the column they leave is dropped."""
    db.create_tables([RecordOutputs])
    db.execute_sql("INSERT INTO record_outputs (record_id, outputs) SELECT id, outputs FROM records")
    db.execute_sql("ALTER TABLE records DROP COLUMN outputs")


def _record_inputs_jsonb(db: peewee.Database) -> None:
    """PostgreSQL keeps record inputs as jsonb, so exports and cohort filters read members
    without parsing text; SQLite keeps text."""
    if not isinstance(db, peewee.PostgresqlDatabase):
        return
    kind = db.execute_sql(
        "SELECT data_type FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = 'records' AND column_name = 'inputs'"
    ).fetchone()[0]
    if kind != "jsonb":
        db.execute_sql("ALTER TABLE records ALTER COLUMN inputs TYPE jsonb USING inputs::jsonb")


def _job_owner(db: peewee.Database) -> None:
    """Jobs name the process that runs them."""
    if "owner" not in {column.name for column in db.get_columns("jobs")}:
        db.execute_sql("ALTER TABLE jobs ADD COLUMN owner VARCHAR(255)")


class _ActivityDayWithCourseKey(ActivityDay):
    """activity_days as migration 11 made it: a foreign key on the course too (dropped by migration 17)."""

    course = peewee.ForeignKeyField(Course, on_delete="CASCADE", index=False)

    class Meta:
        table_name = "activity_days"


class _DayEventsWithCourseKey(DayEvents):
    """activity_event_keys as migration 12 made it: a foreign key on the course too (dropped by 17)."""

    course = peewee.ForeignKeyField(Course, on_delete="CASCADE", index=False)

    class Meta:
        table_name = "activity_event_keys"


def _courses_and_activity(db: peewee.Database) -> None:
    """Courses, enrollments and activity per enrollment and day."""
    db.create_tables([Course, Enrollment, _ActivityDayWithCourseKey])


def _api_keys(db: peewee.Database) -> None:
    """Named, revocable keys for platforms' scripts."""
    db.create_tables([ApiKey])


def _import_runs(db: peewee.Database) -> None:
    """Import runs (committed per chunk, resumable) and the event keys counted per enrollment and day."""
    db.create_tables([ImportRun, _DayEventsWithCourseKey])


def _early_warning_history(db: peewee.Database) -> None:
    """Scoring runs, each enrollment's prediction per scored day, scheduler leases."""
    db.create_tables(EARLY_WARNING_MODELS)


def _tutoring(db: peewee.Database) -> None:
    """Tutors' courses, actions on flags, notifications; users' email choice and last visit."""
    columns = {column.name for column in db.get_columns("users")}
    if "email_notifications" not in columns:
        db.execute_sql("ALTER TABLE users ADD COLUMN email_notifications BOOLEAN NOT NULL DEFAULT TRUE")
    if "last_visit_at" not in columns:
        db.execute_sql(f"ALTER TABLE users ADD COLUMN last_visit_at {_datetime_type(db)}")
    db.create_tables(TUTORING_MODELS)


def _activity_course_keys_unconstrained(db: peewee.Database) -> None:
    """Activity rows keep one foreign key, their enrollment's (whose cascade also follows a course's
    deletion): checking the course as well cost the import a second index probe per row."""
    for model in (ActivityDay, DayEvents):
        table = model._meta.table_name
        if not any(key.column == "course_id" for key in db.get_foreign_keys(table)):
            continue
        if isinstance(db, peewee.PostgresqlDatabase):
            # PostgreSQL's name for a constraint created without one, as Peewee creates them.
            db.execute_sql(f'ALTER TABLE "{table}" DROP CONSTRAINT "{table}_course_id_fkey"')
        else:
            _rebuild_sqlite_table(db, model)


def _rebuild_sqlite_table(db: peewee.Database, model: type[peewee.Model]) -> None:
    """Recreate a table in its model's shape with its rows (SQLite cannot drop a constraint); the
    table must have no index but its primary key and no table may refer to it."""
    table = model._meta.table_name
    columns = ", ".join(f'"{field.column_name}"' for field in model._meta.sorted_fields)
    db.execute_sql(f'ALTER TABLE "{table}" RENAME TO "{table}_before"')
    db.create_tables([model])
    db.execute_sql(f'INSERT INTO "{table}" ({columns}) SELECT {columns} FROM "{table}_before"')
    db.execute_sql(f'DROP TABLE "{table}_before"')


def _prediction_notified_at(db: peewee.Database) -> None:
    """When a digest announced a prediction as newly High, so that re-scoring a day announces no one twice."""
    if "notified_at" not in {column.name for column in db.get_columns("enrollment_predictions")}:
        db.execute_sql(f"ALTER TABLE enrollment_predictions ADD COLUMN notified_at {_datetime_type(db)}")


def _notification_email_claims(db: peewee.Database) -> None:
    """When a sender took a digest's email, so that after a crash exactly one process sends it."""
    if "email_claimed_at" not in {column.name for column in db.get_columns("notifications")}:
        db.execute_sql(f"ALTER TABLE notifications ADD COLUMN email_claimed_at {_datetime_type(db)}")


def _prediction_change_index(db: peewee.Database) -> None:
    """The index on a course's predictions by when they were stored (its at-risk list's fingerprint);
    IF NOT EXISTS keeps it a no-op where migration 15 already made it."""
    db.create_tables([EnrollmentPrediction], safe=True)


def _course_level_shares(db: peewee.Database) -> None:
    """A course's own early-warning level shares (NULL: the deployment's)."""
    if "level_shares" not in {column.name for column in db.get_columns("courses")}:
        db.execute_sql("ALTER TABLE courses ADD COLUMN level_shares TEXT")


def _prediction_segments(db: peewee.Database) -> None:
    """Each prediction's segment and its rank within the course and day (null on earlier rows)."""
    columns = {column.name for column in db.get_columns("enrollment_predictions")}
    if "segment" not in columns:
        db.execute_sql("ALTER TABLE enrollment_predictions ADD COLUMN segment VARCHAR(32)")
    if "rank_in_course" not in columns:
        db.execute_sql("ALTER TABLE enrollment_predictions ADD COLUMN rank_in_course INTEGER")


def _api_key_course_scope(db: peewee.Database) -> None:
    """Keys limited to some courses, allowed or not to create courses and to push into finished ones.
    Keys made before keep creating courses as they did; pushing into finished courses is refused."""
    present = {column.name for column in db.get_columns("api_keys")}
    if "courses" not in present:
        db.execute_sql("ALTER TABLE api_keys ADD COLUMN courses TEXT NOT NULL DEFAULT ''")
    if "may_create_courses" not in present:
        db.execute_sql("ALTER TABLE api_keys ADD COLUMN may_create_courses BOOLEAN NOT NULL DEFAULT FALSE")
        db.execute_sql("UPDATE api_keys SET may_create_courses = TRUE")
    if "may_push_finished" not in present:
        db.execute_sql("ALTER TABLE api_keys ADD COLUMN may_push_finished BOOLEAN NOT NULL DEFAULT FALSE")


def _course_window_learned(db: peewee.Database) -> None:
    """Whether a course's window is learned from its activity (made without a start date) or set."""
    if "window_learned" not in {column.name for column in db.get_columns("courses")}:
        db.execute_sql("ALTER TABLE courses ADD COLUMN window_learned BOOLEAN NOT NULL DEFAULT FALSE")


def _scoring_run_owner(db: peewee.Database) -> None:
    """Scoring runs name the process that runs them, so a run whose process died can be closed."""
    if "owner" not in {column.name for column in db.get_columns("scoring_runs")}:
        db.execute_sql("ALTER TABLE scoring_runs ADD COLUMN owner VARCHAR(255)")


def _prediction_in_favour(db: peewee.Database) -> None:
    """What lowers a learner's risk, kept apart from the reasons that raise it."""
    if "in_favour" not in {column.name for column in db.get_columns("enrollment_predictions")}:
        db.execute_sql("ALTER TABLE enrollment_predictions ADD COLUMN in_favour TEXT NOT NULL DEFAULT '[]'")


def _long_course_codes(db: peewee.Database) -> None:
    """Course codes (and the import's course option) of up to 255 characters: platforms name courses by
    IRIs longer than 64. Only PostgreSQL changes (SQLite does not enforce a VARCHAR's length); a fresh
    database already has 255 from migrations 11 and 12, which create today's shape of these tables (a
    frozen 64-character copy would rename their indexes), so this is then a no-op."""
    if isinstance(db, peewee.PostgresqlDatabase):
        db.execute_sql("ALTER TABLE courses ALTER COLUMN code TYPE VARCHAR(255)")
        db.execute_sql("ALTER TABLE import_runs ALTER COLUMN course_option TYPE VARCHAR(255)")


def _statement_ids(db: peewee.Database) -> None:
    """The xAPI statement ids taken, so that an id resent on another day is not counted twice."""
    db.create_tables([StatementId])


def _worklist_capacity(db: peewee.Database) -> None:
    """How many learners each tutor's worklist lists at most."""
    if "worklist_capacity" not in {column.name for column in db.get_columns("users")}:
        db.execute_sql("ALTER TABLE users ADD COLUMN worklist_capacity INTEGER NOT NULL DEFAULT 25")


def _learner_contacts(db: peewee.Database) -> None:
    """Learners' contact details per enrollment, and their unsubscribing from nudges."""
    db.create_tables([LearnerContact])


def _nudge_templates(db: peewee.Database) -> None:
    """Nudge templates, seeded with the defaults."""
    db.create_tables([NudgeTemplate])
    if not NudgeTemplate.select().exists():
        NudgeTemplate.insert_many([dict(row) for row in DEFAULT_TEMPLATES]).execute()


def _action_holdout_share(db: peewee.Database) -> None:
    """Nudge actions keep the holdout share of their send (null for an action taken by hand)."""
    if "holdout_share" not in {column.name for column in db.get_columns("enrollment_actions")}:
        kind = "DOUBLE PRECISION" if isinstance(db, peewee.PostgresqlDatabase) else "REAL"
        db.execute_sql(f"ALTER TABLE enrollment_actions ADD COLUMN holdout_share {kind}")


def _activity_outside(db: peewee.Database) -> None:
    """Activity kept aside outside its course's window (counted when the window comes to cover it), and
    each import run's count of it."""
    db.create_tables(list(OUTSIDE_MODELS))
    if "outside_window" not in {column.name for column in db.get_columns("import_runs")}:
        db.execute_sql("ALTER TABLE import_runs ADD COLUMN outside_window INTEGER NOT NULL DEFAULT 0")


def _user_identities(db: peewee.Database) -> None:
    """Accounts' subjects at OpenID Connect providers."""
    db.create_tables([UserIdentity])


def _access_log(db: peewee.Database) -> None:
    """Who looked at whom: views of learners' data, exports and erasures."""
    db.create_tables([AccessEntry])


def _lti(db: peewee.Database) -> None:
    """LTI 1.3: the tool's key pair, registered platforms, launch states, platform users' accounts."""
    db.create_tables(LTI_MODELS)


def _fairness(db: peewee.Database) -> None:
    """Model versions keep their fairness report; learners' contacts their optional group attributes."""
    if "fairness" not in {column.name for column in db.get_columns("model_versions")}:
        db.execute_sql("ALTER TABLE model_versions ADD COLUMN fairness TEXT")
    if "attributes" not in {column.name for column in db.get_columns("learner_contacts")}:
        db.execute_sql("ALTER TABLE learner_contacts ADD COLUMN attributes TEXT")


def _course_archived_at(db: peewee.Database) -> None:
    """When a course was archived (null: not archived)."""
    if "archived_at" not in {column.name for column in db.get_columns("courses")}:
        db.execute_sql(f"ALTER TABLE courses ADD COLUMN archived_at {_datetime_type(db)}")


def _datetime_type(db: peewee.Database) -> str:
    return "TIMESTAMP" if isinstance(db, peewee.PostgresqlDatabase) else "DATETIME"


MIGRATIONS: list[tuple[int, str, Migration]] = [
    (1, "accounts, activity log, revoked tokens", _accounts),
    (2, "model registry", _model_registry),
    (3, "saved predictions", _records),
    (4, "background jobs", _jobs),
    (5, "record indexes for listing newest first, per user and per student", _record_indexes),
    (6, "record values in double precision", _record_value_double),
    (7, "exam intervals in columns", _record_intervals),
    (8, "record outputs in their own table", _record_outputs_table),
    (9, "record inputs as jsonb on PostgreSQL", _record_inputs_jsonb),
    (10, "job owners", _job_owner),
    (11, "courses, enrollments, daily activity", _courses_and_activity),
    (12, "activity import runs and event keys", _import_runs),
    (13, "API keys", _api_keys),
    (15, "early-warning prediction history, scoring runs, scheduler leases", _early_warning_history),
    (16, "tutors, actions on flags, notifications", _tutoring),
    (17, "activity rows without a foreign key on the course", _activity_course_keys_unconstrained),
    (18, "predictions record when a digest announced them", _prediction_notified_at),
    (19, "notifications record who is sending their email", _notification_email_claims),
    (20, "predictions indexed by course and time stored", _prediction_change_index),
    (21, "courses' own early-warning level shares", _course_level_shares),
    (22, "predictions' segment and rank in their course", _prediction_segments),
    (24, "API keys scoped to courses", _api_key_course_scope),
    (25, "predictions keep the factors in the learner's favour", _prediction_in_favour),
    (26, "scoring runs name their process", _scoring_run_owner),
    (27, "course codes of up to 255 characters", _long_course_codes),
    (28, "xAPI statement ids", _statement_ids),
    (29, "course windows learned from activity", _course_window_learned),
    (30, "users' worklist capacity", _worklist_capacity),
    (31, "learners' contact details", _learner_contacts),
    (32, "nudge templates", _nudge_templates),
    (33, "nudge actions keep their holdout share", _action_holdout_share),
    (34, "activity kept aside outside its course's window", _activity_outside),
    (39, "fairness reports of model versions, learners' group attributes", _fairness),
    (40, "access log", _access_log),
    (42, "accounts' identities at OpenID Connect providers", _user_identities),
    (43, "LTI 1.3 tool keys, platforms, launch states and accounts", _lti),
    (45, "courses can be archived", _course_archived_at),
]


def current_version() -> int:
    """The highest applied migration, 0 for an empty database."""
    if not database.table_exists(SchemaVersion._meta.table_name):
        return 0
    latest = SchemaVersion.select(peewee.fn.MAX(SchemaVersion.version)).scalar()
    return latest or 0


def upgrade() -> list[int]:
    """Apply every pending migration, each in its own transaction; return the versions applied."""
    database.create_tables([SchemaVersion], safe=True)
    applied = []
    # Every migration not recorded yet, in order: one numbered below the newest applied (work merged
    # from a branch that took an earlier number) is still applied.
    done = {version for (version,) in SchemaVersion.select(SchemaVersion.version).tuples()}
    for version, name, migrate in MIGRATIONS:
        if version in done:
            continue
        with database.atomic():
            migrate(database.obj)
            SchemaVersion.create(version=version, name=name)
        applied.append(version)
    return applied


def latest_version() -> int:
    """The version a fully upgraded database has."""
    return MIGRATIONS[-1][0]
