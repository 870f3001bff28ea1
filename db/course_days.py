"""Rows keyed by the day of their course: moving a course's start re-keys them, so that every row
keeps its calendar date."""

from __future__ import annotations

import peewee

from db.courses import ActivityDay
from db.early_warning import EnrollmentPrediction
from db.ingest import DayEvents

DAY_KEYED = (ActivityDay, DayEvents, EnrollmentPrediction)


def shift_course_days(course_id: int, shift: int) -> None:
    """Add `shift` to the day of every day-keyed row of the course (call inside a transaction)."""
    if shift:
        for model in DAY_KEYED:
            _shift(model, course_id, shift)


def last_day(course_id: int) -> int | None:
    """The latest day any day-keyed row of the course holds (None: the course holds none)."""
    days = [model.select(peewee.fn.MAX(model.day)).where(model.course == course_id).scalar()
            for model in DAY_KEYED]
    return max((day for day in days if day is not None), default=None)


def _shift(model: type[peewee.Model], course_id: int, shift: int) -> None:
    """Two passes through negative days: a one-pass update would meet the rows it has not moved yet
    in the primary key or unique index. (Written as number minus column: Peewee reads a unary minus on
    a column as DESC.)"""
    model.update(day=-1 - shift - model.day).where(model.course == course_id).execute()
    model.update(day=-1 - model.day).where((model.course == course_id) & (model.day < 0)).execute()
