"""Activity kept aside because it fell outside its course's window when it arrived: each event with its
key and code, each daily row with its counts, on its calendar date (days since 1970), so that a change
of the window counts what it now covers and nothing acknowledged is dropped."""

from __future__ import annotations

import peewee

from db.connection import database
from db.courses import EVENT_TYPES, Course, count_fields
from db.tables import BaseModel


class OutsideEvent(BaseModel):
    """One event of an events import or push that fell outside its course's window."""

    course = peewee.ForeignKeyField(Course, on_delete="CASCADE", index=False)
    learner_ref = peewee.CharField(max_length=128)
    date = peewee.IntegerField()  # days since 1970-01-01: stays right whatever the window becomes
    key = peewee.BigIntegerField()  # the event's uint64 key, stored as its signed 64-bit twin
    code = peewee.SmallIntegerField()  # type * 3 + source, as services.ingest.counts

    class Meta:
        table_name = "activity_outside_events"
        primary_key = peewee.CompositeKey("course", "learner_ref", "date", "key")


class OutsideDay(BaseModel):
    """One daily row of a daily import or push that fell outside its course's window."""

    course = peewee.ForeignKeyField(Course, on_delete="CASCADE", index=False)
    learner_ref = peewee.CharField(max_length=128)
    date = peewee.IntegerField()
    navigate, access, page_close, problem, video, discussion, wiki, server, browser = count_fields()

    class Meta:
        table_name = "activity_outside_days"
        primary_key = peewee.CompositeKey("course", "learner_ref", "date")


OUTSIDE_MODELS = (OutsideEvent, OutsideDay)
# What each kind of chunk keeps aside: its table and the columns re-counted from it.
KEPT = {
    "events": (OutsideEvent, ("key", "code")),
    "daily": (OutsideDay, (*EVENT_TYPES, "server", "browser")),
}


def count_of(course_id: int) -> int:
    """How many events and daily rows of the course are kept aside."""
    return sum(model.select().where(model.course == course_id).count() for model in OUTSIDE_MODELS)


def within(kind: str, course_id: int, first: int, last: int) -> list[tuple]:
    """(learner_ref, date, the kept columns...) of the course's rows of `kind` dated `first`..`last`."""
    model, columns = KEPT[kind]
    fields = [model.learner_ref, model.date, *(getattr(model, name) for name in columns)]
    query = model.select(*fields).where(_dated(model, course_id, first, last)).order_by(model.date)
    return database.execute(query).fetchall()


def remove_within(kind: str, course_id: int, first: int, last: int) -> int:
    """Delete the course's rows of `kind` dated `first`..`last`; how many."""
    model = KEPT[kind][0]
    return model.delete().where(_dated(model, course_id, first, last)).execute()


def remove_course(course_id: int) -> None:
    """Delete everything kept aside for the course."""
    for model in OUTSIDE_MODELS:
        model.delete().where(model.course == course_id).execute()


def _dated(model, course_id: int, first: int, last: int):
    return (model.course == course_id) & (model.date >= first) & (model.date <= last)
