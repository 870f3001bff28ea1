"""The versioned schema: a fresh upgrade gives exactly the models' tables and columns."""

from __future__ import annotations

import json
from datetime import datetime

import peewee
import pytest

from db import migrations
from db.access_log import ACCESS_MODELS
from db.api_keys import ApiKey
from db.connection import database
from db.courses import COURSE_MODELS
from db.early_warning import EARLY_WARNING_MODELS
from db.ingest import INGEST_MODELS
from db.tables import ALL_MODELS


def test_upgrade_reaches_the_latest_version_and_is_idempotent(app):
    with app.app_context():
        assert migrations.current_version() == migrations.latest_version()
        assert migrations.upgrade() == []


def test_schema_matches_the_models(app):
    with app.app_context():
        models = ALL_MODELS + COURSE_MODELS + INGEST_MODELS + [ApiKey] + EARLY_WARNING_MODELS + ACCESS_MODELS
        for model in models:
            table = model._meta.table_name
            columns = {column.name for column in database.get_columns(table)}
            assert columns == {field.column_name for field in model._meta.sorted_fields}, table
            indexed = {tuple(index.columns) for index in database.get_indexes(table)}
            for fields, _unique in model._meta.indexes:
                wanted = tuple(model._meta.fields[name].column_name for name in fields)
                assert wanted in indexed, (table, wanted)


def test_postgres_urls_are_always_pooled():
    from playhouse.pool import PooledPostgresqlDatabase

    from db.connection import open_database

    for url in (
        "postgresql+pool://postgres@127.0.0.1:5432/test",
        "postgresql://postgres@127.0.0.1:5432/test",
    ):
        db = open_database(url)
        assert isinstance(db, PooledPostgresqlDatabase)
        assert db.database == "test"


def test_an_older_records_table_gets_interval_columns_and_its_outputs_moved_out(app, make_user):
    """A records table from before migration 7 (outputs in a column, no interval columns, inputs
    as text): the intervals are filled from each exam record's outputs (dropout records keep
    none), every record's outputs move to record_outputs and the column goes, and PostgreSQL
    turns the inputs into jsonb."""
    from db.queries import is_postgres
    from db.tables import Record, RecordOutputs, SchemaVersion

    owner = make_user()
    exam_outputs = {"score": 71.5, "level": "Average", "interval": {"low": 70.2, "high": 72.8, "level": 0.9}}
    with app.app_context():
        database.execute_sql("ALTER TABLE records ADD COLUMN outputs TEXT")
        database.execute_sql("ALTER TABLE records DROP COLUMN interval_low")
        database.execute_sql("ALTER TABLE records DROP COLUMN interval_high")
        if is_postgres():
            database.execute_sql("ALTER TABLE records ALTER COLUMN inputs TYPE text")
        SchemaVersion.delete().where(SchemaVersion.version >= 7).execute()
        ids = {}
        try:
            for task, outputs in (("exam-score", exam_outputs), ("dropout", {"probability": 0.3})):
                database.execute_sql(
                    "INSERT INTO records (user_id, task, inputs, outputs, model_version, value, level,"
                    f' created_at) VALUES ({database.param}, {database.param}, \'{{"gender": "Male"}}\','
                    f" {database.param}, 1, 0.5, 'Low', {database.param})",
                    (owner.id, task, json.dumps(outputs), datetime(2026, 1, 1)),
                )
                ids[task] = Record.select(peewee.fn.MAX(Record.id)).scalar()
            assert migrations.upgrade() == [v for v, _, _ in migrations.MIGRATIONS if v >= 7]
            exam = Record.get_by_id(ids["exam-score"])
            assert (exam.interval_low, exam.interval_high) == (70.2, 72.8)
            assert Record.get_by_id(ids["dropout"]).interval_low is None
            assert RecordOutputs.get_by_id(ids["exam-score"]).outputs == exam_outputs
            assert RecordOutputs.get_by_id(ids["dropout"]).outputs == {"probability": 0.3}
            columns = {column.name: column.data_type for column in database.get_columns("records")}
            assert "outputs" not in columns
            assert columns["inputs"] == ("jsonb" if is_postgres() else "TEXT")
            assert Record.get_by_id(ids["dropout"]).inputs == {"gender": "Male"}
        finally:
            if migrations.current_version() < migrations.latest_version():
                migrations.upgrade()


def test_a_record_and_its_outputs_are_deleted_together(app, make_user):
    from db.tables import Record, RecordOutputs

    owner = make_user()
    with app.app_context():
        with database.atomic():
            record_id = Record.add(
                outputs={"score": 50.0},
                user=owner.id,
                task="exam-score",
                inputs={},
                model_version=1,
                value=50.0,
                level="Low",
            )
        assert Record.with_outputs().where(Record.id == record_id).get().outputs == {"score": 50.0}
        Record.delete_by_id(record_id)
        assert RecordOutputs.get_or_none(RecordOutputs.record == record_id) is None


def test_postgres_connections_use_the_configured_synchronous_commit(app):
    from db.queries import is_postgres

    with app.app_context():
        if not is_postgres():
            pytest.skip("a PostgreSQL setting")
        setting = database.execute_sql("SHOW synchronous_commit").fetchone()[0]
    assert setting == app.config["PG_SYNCHRONOUS_COMMIT"] == "off"


def test_activity_rows_lose_their_course_key_but_keep_their_data_and_follow_a_deleted_course(app):
    """Tables of activity from before migration 17 (a foreign key on the course as well as on the
    enrollment): the upgrade drops the course's, every stored row stays, and deleting the course
    still removes its days and event keys through the enrollments."""
    from db.courses import ActivityDay, Course, Enrollment
    from db.ingest import DayEvents
    from db.tables import SchemaVersion

    old_shapes = [migrations._ActivityDayWithCourseKey, migrations._DayEventsWithCourseKey]
    with app.app_context():
        database.drop_tables(old_shapes)
        database.create_tables(old_shapes)
        SchemaVersion.delete().where(SchemaVersion.version >= 17).execute()
        try:
            assert any(key.column == "course_id" for key in database.get_foreign_keys("activity_days"))
            course = Course.create(code="MIG-17", title="Migration", start_date=datetime(2026, 1, 1).date())
            enrollment = Enrollment.create(course=course, learner_ref="learner-1")
            ActivityDay.insert(course=course, enrollment=enrollment, day=3, video=5).execute()
            keys = {"keys": b"\x01" * 8, "codes": b"\x0c"}
            DayEvents.insert(course=course, enrollment=enrollment, day=3, **keys).execute()

            assert migrations.upgrade() == [v for v, _, _ in migrations.MIGRATIONS if v >= 17]

            for table in ("activity_days", "activity_event_keys"):
                keys = {key.column for key in database.get_foreign_keys(table)}
                assert keys == {"enrollment_id"}, table
            day = ActivityDay.get()
            assert (day.course_id, day.enrollment_id, day.day, day.video) == (course.id, enrollment.id, 3, 5)
            assert bytes(DayEvents.get().keys) == b"\x01" * 8
            course.delete_instance()
            assert ActivityDay.select().count() == DayEvents.select().count() == 0
        finally:
            if migrations.current_version() < migrations.latest_version():
                migrations.upgrade()
