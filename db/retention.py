"""Deleting a course's rows of one table in batches: each batch one short transaction over one range
of the table's key, so the purge of a large course never holds the database for long."""

from __future__ import annotations

import peewee

from db.connection import write_transaction
from db.courses import ActivityDay
from db.early_warning import EnrollmentPrediction
from db.ingest import DayEvents
from db.tutoring import EnrollmentAction

# The tables a retention period applies to, each with the columns that order its rows within a
# course (a prefix of its primary key or of an index on the course).
KEYS: dict[type[peewee.Model], tuple[str, ...]] = {
    DayEvents: ("enrollment", "day"),
    ActivityDay: ("enrollment", "day"),
    EnrollmentPrediction: ("day", "id"),
    EnrollmentAction: ("id",),
}


def count_of(model: type[peewee.Model], course_id: int) -> int:
    """How many rows of `model` the course holds."""
    return model.select().where(model.course == course_id).count()


def delete_batch(model: type[peewee.Model], course_id: int, batch: int) -> int:
    """Delete the course's first `batch` rows of `model` in key order, in one transaction; how many went."""
    columns = [getattr(model, name) for name in KEYS[model]]
    mine = model.course == course_id
    with write_transaction():
        bound = model.select(*columns).where(mine).order_by(*columns).offset(batch - 1).limit(1).tuples()
        last = bound.first()
        if last is not None:
            mine &= peewee.Tuple(*columns) <= peewee.Tuple(*last)
        return model.delete().where(mine).execute()


def delete_all(model: type[peewee.Model], course_id: int, batch: int) -> int:
    """Delete every row of `model` of the course, `batch` rows per transaction; how many went."""
    removed = 0
    while True:
        gone = delete_batch(model, course_id, batch)
        removed += gone
        if gone < batch:
            return removed
