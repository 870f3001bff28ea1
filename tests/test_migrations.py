"""The versioned schema: a fresh upgrade gives exactly the models' tables and columns."""

from __future__ import annotations

from db import migrations
from db.connection import database
from db.models import ALL_MODELS


def test_upgrade_reaches_the_latest_version_and_is_idempotent(app):
    with app.app_context():
        assert migrations.current_version() == migrations.latest_version()
        assert migrations.upgrade() == []


def test_schema_matches_the_models(app):
    with app.app_context():
        for model in ALL_MODELS:
            table = model._meta.table_name
            columns = {column.name for column in database.get_columns(table)}
            assert columns == {field.column_name for field in model._meta.sorted_fields}, table
            indexed = {tuple(index.columns) for index in database.get_indexes(table)}
            for fields, _unique in model._meta.indexes:
                wanted = tuple(model._meta.fields[name].column_name for name in fields)
                assert wanted in indexed, (table, wanted)


def test_postgres_urls_are_always_pooled():
    from db.connection import open_database

    for url in (
        "postgresql+pool://postgres@127.0.0.1:5432/test",
        "postgresql://postgres@127.0.0.1:5432/test",
    ):
        db = open_database(url)
        assert type(db).__name__ == "PooledPostgresqlDatabase"
        assert db.database == "test"


def test_interval_migration_adds_and_fills_the_columns_of_an_older_database(app, make_user):
    """A records table from before migration 7 (no interval columns) gets them, filled from each
    exam record's outputs; dropout records keep none."""
    from db.models import Record, SchemaVersion

    owner = make_user()
    outputs = {"score": 71.5, "level": "Average", "interval": {"low": 70.2, "high": 72.8, "level": 0.9}}
    with app.app_context():
        exam = Record.create(
            user=owner.id, task="exam-score", inputs={}, outputs=outputs, model_version=1, value=71.5,
            level="Average",
        )
        dropout = Record.create(
            user=owner.id, task="dropout", inputs={}, outputs={"probability": 0.3}, model_version=1,
            value=0.3, level="Low",
        )
        database.execute_sql("ALTER TABLE records DROP COLUMN interval_low")
        database.execute_sql("ALTER TABLE records DROP COLUMN interval_high")
        SchemaVersion.delete().where(SchemaVersion.version == 7).execute()
        try:
            assert migrations.upgrade() == [7]
            filled = Record.get_by_id(exam.id)
            assert (filled.interval_low, filled.interval_high) == (70.2, 72.8)
            assert Record.get_by_id(dropout.id).interval_low is None
        finally:
            if migrations.current_version() < migrations.latest_version():
                migrations.upgrade()
