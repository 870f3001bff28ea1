"""Courses, enrollments and each enrollment's activity per day of its course (SPEC.md section 6)."""

from __future__ import annotations

from datetime import date
from typing import Any

import peewee

from db import bulk
from db.models import BaseModel, User, utcnow
from modelling.schemas import EVENT_TYPES  # the seven event types, declared once for every layer

SOURCES = ("server", "browser")
DEFAULT_COURSE_DAYS = 30


class Course(BaseModel):
    """A course: day 0 is its start date; activity outside 0..length_days-1 is not counted."""

    code = peewee.CharField(max_length=64, unique=True)
    title = peewee.CharField(max_length=200, default="")
    start_date = peewee.DateField()
    length_days = peewee.SmallIntegerField(default=DEFAULT_COURSE_DAYS)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "courses"

    @classmethod
    def by_code(cls, code: str) -> Course | None:
        """The course with this code, or None."""
        return cls.get_or_none(cls.code == code)

    def enrollments_with_counts(self) -> list[dict[str, Any]]:
        """Each enrollment of the course with its activity so far: total events, active days (days
        with any event) and the last active day (None when never active), by learner reference."""
        total = sum(
            (getattr(ActivityDay, name) for name in EVENT_TYPES[1:]), getattr(ActivityDay, EVENT_TYPES[0])
        )
        active = peewee.Case(None, [(total > 0, 1)], 0)
        last = peewee.Case(None, [(total > 0, ActivityDay.day)], None)
        query = (
            Enrollment.select(
                Enrollment.id,
                Enrollment.learner_ref,
                Enrollment.dropped_out,
                peewee.fn.COALESCE(peewee.fn.SUM(total), 0).alias("events"),
                peewee.fn.COALESCE(peewee.fn.SUM(active), 0).alias("active_days"),
                peewee.fn.MAX(last).alias("last_active_day"),
            )
            .join(ActivityDay, peewee.JOIN.LEFT_OUTER, on=(ActivityDay.enrollment == Enrollment.id))
            .where(Enrollment.course == self.id)
            .group_by(Enrollment.id, Enrollment.learner_ref, Enrollment.dropped_out)
            .order_by(Enrollment.learner_ref)
        )
        return list(query.dicts())

    def day_of(self, when: date) -> int:
        """The course day of a calendar date (negative before the start)."""
        return (when - self.start_date).days

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "title": self.title,
            "start_date": self.start_date,
            "length_days": self.length_days,
        }


class Enrollment(BaseModel):
    """One learner in one course, named by the platform's reference; its outcome once known."""

    course = peewee.ForeignKeyField(Course, backref="enrollments", on_delete="CASCADE", index=False)
    learner_ref = peewee.CharField(max_length=128)
    user = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL")
    # True: dropped out; False: stayed; None: not known yet.
    dropped_out = peewee.BooleanField(null=True)
    outcome_source = peewee.CharField(max_length=255, null=True)
    outcome_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "enrollments"
        indexes = ((("course", "learner_ref"), True),)

    @classmethod
    def ids_for_existing(cls, course_id: int, learner_refs: list[str]) -> dict[str, int]:
        """The enrollment id of each learner reference of the course that has one."""
        return dict(
            bulk.select_in(cls, ["learner_ref", "id"], {"course": course_id}, "learner_ref", learner_refs)
        )

    @classmethod
    def ids_for(cls, course_id: int, learner_refs: list[str]) -> dict[str, int]:
        """The enrollment id of each learner reference of the course, creating the missing ones."""
        found = cls.ids_for_existing(course_id, learner_refs)
        missing = [ref for ref in learner_refs if ref not in found]
        if missing:
            count, now = len(missing), utcnow()
            rows = {"course": [course_id] * count, "learner_ref": missing, "created_at": [now] * count}
            bulk.insert_new(cls, rows, ("course", "learner_ref"))
            found.update(cls.ids_for_existing(course_id, missing))
        return found

    def days(self) -> list[ActivityDay]:
        """The enrollment's activity, one row per day with any stored counts, oldest first."""
        query = ActivityDay.select().where(
            (ActivityDay.course == self.course_id) & (ActivityDay.enrollment == self.id)
        )
        return list(query.order_by(ActivityDay.day))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "course": self.course.code,
            "learner_ref": self.learner_ref,
            "user": self.user_id,
            "dropped_out": self.dropped_out,
            "outcome_source": self.outcome_source,
        }


class ActivityDay(BaseModel):
    """One enrollment's event counts on one day of its course. The course is repeated in the key
    so that "every enrollment of a course as of day d" is one range of the primary key."""

    course = peewee.ForeignKeyField(Course, on_delete="CASCADE", index=False)
    enrollment = peewee.ForeignKeyField(Enrollment, on_delete="CASCADE", index=False)
    day = peewee.SmallIntegerField()
    navigate = peewee.IntegerField(default=0)
    access = peewee.IntegerField(default=0)
    page_close = peewee.IntegerField(default=0)
    problem = peewee.IntegerField(default=0)
    video = peewee.IntegerField(default=0)
    discussion = peewee.IntegerField(default=0)
    wiki = peewee.IntegerField(default=0)
    # By source, only where the source is known (None otherwise).
    server = peewee.IntegerField(null=True)
    browser = peewee.IntegerField(null=True)

    class Meta:
        table_name = "activity_days"
        primary_key = peewee.CompositeKey("course", "enrollment", "day")


COURSE_MODELS = [Course, Enrollment, ActivityDay]
__all__ = ["EVENT_TYPES", "SOURCES", "Course", "Enrollment", "ActivityDay", "COURSE_MODELS"]
