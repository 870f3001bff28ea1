"""Courses, enrollments and each enrollment's activity per day of its course."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import peewee

from db import bulk
from db.connection import database, write_transaction
from db.fields import JSONField
from db.tables import BaseModel, User, utcnow
from modelling.event_types import EVENT_TYPES  # the seven event types, declared once for every layer

SOURCES = ("server", "browser")
DEFAULT_COURSE_DAYS = 30


class Course(BaseModel):
    """A course: day 0 is its start date; activity outside 0..length_days-1 is not counted."""

    code = peewee.CharField(max_length=255, unique=True)
    title = peewee.CharField(max_length=200, default="")
    start_date = peewee.DateField()
    length_days = peewee.SmallIntegerField(default=DEFAULT_COURSE_DAYS)
    # True while the window is learned from the activity (the course was made without a start date):
    # earlier or later events then widen it; a window set by an administrator or an import stays.
    window_learned = peewee.BooleanField(default=False)
    created_at = peewee.DateTimeField(default=utcnow)
    # The early-warning level shares [High, Medium] an administrator set for this course; None: the
    # deployment's (EARLY_WARNING_LEVEL_SHARES).
    level_shares = JSONField(null=True)
    # When an administrator archived the course: its raw event keys are gone, its daily counts,
    # outcomes, predictions and actions kept (None: not archived).
    archived_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "courses"

    @classmethod
    def by_code(cls, code: str) -> Course | None:
        """The course with this code, or None."""
        return cls.get_or_none(cls.code == code)

    @classmethod
    def locked_for_update(cls, course_id: int) -> Course:
        """The course as stored now, its row locked until the transaction ends (PostgreSQL; SQLite's
        write transaction already holds the file)."""
        query = cls.select().where(cls.id == course_id)
        return (query.for_update() if database.obj.for_update else query).get()

    @classmethod
    def codes(cls) -> list[str]:
        """Every course's code."""
        return [code for (code,) in cls.select(cls.code).tuples()]

    def has_finished(self, today: date) -> bool:
        """True when every day of the course is before `today`."""
        return self.day_of(today) >= self.length_days

    @classmethod
    def finished_by(cls, today: date) -> list[Course]:
        """The courses whose every day is before `today`, by code (few rows: filtered here, as date
        arithmetic differs between SQLite and PostgreSQL)."""
        return [
            course for course in cls.select().order_by(cls.code) if course.day_of(today) >= course.length_days
        ]

    @classmethod
    def with_enrollment_counts(cls, query: peewee.ModelSelect) -> list[Course]:
        """The courses of `query` by code, each with `enrollment_count`."""
        counts = (
            Enrollment.select(Enrollment.course, peewee.fn.COUNT(Enrollment.id).alias("n"))
            .group_by(Enrollment.course)
            .alias("counts")
        )
        return list(
            query.select_extend(peewee.fn.COALESCE(counts.c.n, 0).alias("enrollment_count"))
            .join(counts, peewee.JOIN.LEFT_OUTER, on=(counts.c.course_id == cls.id))
            .order_by(cls.code)
        )

    def outcome_counts(self) -> dict[str, int]:
        """How many of its enrollments dropped out, stayed, or have no outcome yet."""
        rows = (
            Enrollment.select(Enrollment.dropped_out, peewee.fn.COUNT(Enrollment.id).alias("n"))
            .where(Enrollment.course == self)
            .group_by(Enrollment.dropped_out)
            .tuples()
        )
        named = {True: "dropped", False: "stayed", None: "unknown"}
        counts = dict.fromkeys(named.values(), 0)
        for dropped_out, n in rows:
            counts[named[dropped_out]] = n
        return counts

    def last_day(self) -> date:
        """The calendar date of the course's last day (its window's end)."""
        return self.start_date + timedelta(days=self.length_days - 1)

    def day_of(self, when: date) -> int:
        """The course day of a calendar date (negative before the start)."""
        return (when - self.start_date).days

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "title": self.title,
            "start_date": self.start_date,
            "length_days": self.length_days,
            "archived_at": self.archived_at,
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
    def by_ref(cls, course: Course, learner_ref: str) -> Enrollment | None:
        """The course's enrollment of this learner reference, or None."""
        return cls.get_or_none((cls.course == course) & (cls.learner_ref == learner_ref))

    @classmethod
    def course_codes_of(cls, learner_refs: list[str]) -> dict[str, list[str]]:
        """For each learner reference, the codes of the courses it is enrolled in (by code)."""
        found: dict[str, list[str]] = {}
        for start in range(0, len(learner_refs), 5_000):
            query = (
                cls.select(cls.learner_ref, Course.code)
                .join(Course)
                .where(cls.learner_ref.in_(learner_refs[start : start + 5_000]))
                .order_by(Course.code)
                .tuples()
            )
            for ref, code in query:
                found.setdefault(ref, []).append(code)
        return found

    @classmethod
    def link_account(cls, enrollment_id: int, user_id: int) -> tuple[bool, int | None]:
        """Link the enrollment to the account when no account is linked to it: (whether this linked
        it, the account linked now). One conditional UPDATE claims it, so of two administrators
        linking accounts to the same enrollment at once only one succeeds."""
        with write_transaction():
            claimed = cls.update(user=user_id).where((cls.id == enrollment_id) & cls.user.is_null()).execute()
            if claimed:
                return True, user_id
            return False, cls.select(cls.user).where(cls.id == enrollment_id).scalar()

    @classmethod
    def linked_to(cls, user: User) -> list[Enrollment]:
        """The enrollments linked to the account, each with its course, by course code."""
        query = cls.select(cls, Course).join(Course).where(cls.user == user)
        return list(query.order_by(Course.code))

    @classmethod
    def of_course(cls, course: Course) -> list[tuple[int, str]]:
        """The (id, learner_ref) of a course's enrollments, by id: a stable order."""
        query = cls.select(cls.id, cls.learner_ref).where(cls.course == course).order_by(cls.id)
        return database.execute(query).fetchall()  # plain values: no per-row model conversion needed

    @classmethod
    def outcomes_of(cls, course: Course) -> dict[int, bool | None]:
        """Each enrollment id of the course -> dropped out (True/False), or None while not known."""
        query = cls.select(cls.id, cls.dropped_out).where(cls.course == course)
        return {row.id: row.dropped_out for row in query}

    @classmethod
    def search(
        cls,
        course: Course,
        learner: str | None,
        outcome: str | None,
        active_since: int | None,
        page: int,
        per_page: int,
    ) -> tuple[list[Enrollment], int]:
        """A page of the course's enrollments by learner reference, with the total; `outcome` is
        known, unknown, dropped or stayed; `active_since` keeps those active on that day or later.
        Each row carries `active_days`, `events` and `last_day` (None without activity)."""
        totals = (
            ActivityDay.select(
                ActivityDay.enrollment,
                peewee.fn.COUNT(ActivityDay.day).alias("active_days"),
                peewee.fn.SUM(sum(getattr(ActivityDay, name) for name in EVENT_TYPES)).alias("events"),
                peewee.fn.MAX(ActivityDay.day).alias("last_day"),
            )
            .where(ActivityDay.course == course)
            .group_by(ActivityDay.enrollment)
            .alias("totals")
        )
        query = cls.select().where(cls.course == course)
        if learner:
            query = query.where(cls.learner_ref.contains(learner))
        if outcome in OUTCOME_FILTERS:
            query = query.where(OUTCOME_FILTERS[outcome](cls.dropped_out))
        if active_since is not None:
            recent = ActivityDay.select(ActivityDay.enrollment).where(
                (ActivityDay.course == course) & (ActivityDay.day >= active_since)
            )
            query = query.where(cls.id.in_(recent))
        total = query.count()
        rows = (
            query.select_extend(
                peewee.fn.COALESCE(totals.c.active_days, 0).alias("active_days"),
                peewee.fn.COALESCE(totals.c.events, 0).alias("events"),
                totals.c.last_day.alias("last_day"),
            )
            .join(totals, peewee.JOIN.LEFT_OUTER, on=(totals.c.enrollment_id == cls.id))
            .order_by(cls.learner_ref, cls.id)
            .paginate(page, per_page)
            .objects()  # the totals as attributes of each Enrollment
        )
        return list(rows), total

    @property
    def outcome(self) -> str | None:
        """ "dropped", "stayed" or None (not known yet)."""
        return None if self.dropped_out is None else ("dropped" if self.dropped_out else "stayed")

    @classmethod
    def ids_for_existing(cls, course_id: int, learner_refs: list[str]) -> dict[str, int]:
        """The enrollment id of each learner reference of the course that has one."""
        return cls.existing_ids_by_course({course_id: learner_refs})[course_id]

    @classmethod
    def ids_for(cls, course_id: int, learner_refs: list[str]) -> dict[str, int]:
        """The enrollment id of each learner reference of the course, creating the missing ones."""
        return cls.ids_by_course({course_id: learner_refs})[course_id]

    @classmethod
    def ids_by_course(cls, refs_by_course: dict[int, list[str]]) -> dict[int, dict[str, int]]:
        """For each course id, the enrollment id of each of its learner references, creating the
        missing ones: the same few statements for any number of courses (a chunk of a mixed log
        names dozens)."""
        found = cls.existing_ids_by_course(refs_by_course)
        missing = {}
        for course, refs in refs_by_course.items():
            if new := [ref for ref in refs if ref not in found[course]]:
                missing[course] = new
        if missing:
            courses = [course for course, refs in missing.items() for _ in refs]
            refs = [ref for refs in missing.values() for ref in refs]
            rows = {"course": courses, "learner_ref": refs, "created_at": [utcnow()] * len(refs)}
            bulk.insert_new(cls, rows, ("course", "learner_ref"))
            for course, ids in cls.existing_ids_by_course(missing).items():
                found[course].update(ids)
        return found

    @classmethod
    def existing_ids_by_course(cls, refs_by_course: dict[int, list[str]]) -> dict[int, dict[str, int]]:
        """For each course id, the enrollment id of each of its learner references that has one."""
        found: dict[int, dict[str, int]] = {course: {} for course in refs_by_course}
        if not refs_by_course:
            return found
        wanted = {course: set(refs) for course, refs in refs_by_course.items()}
        refs = sorted(set().union(*wanted.values()))
        fields = ["course", "learner_ref", "id"]
        rows = bulk.select_in(cls, fields, {"course": list(wanted)}, "learner_ref", refs)
        for course, ref, enrollment in rows:
            if ref in wanted[course]:  # the lists cross: a reference may be wanted in another course only
                found[course][ref] = enrollment
        return found

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "course": self.course.code,
            "learner_ref": self.learner_ref,
            "user": self.user_id,
            "dropped_out": self.dropped_out,
            "outcome_source": self.outcome_source,
        }


OUTCOME_FILTERS = {
    "known": lambda field: field.is_null(False),
    "unknown": lambda field: field.is_null(),
    "dropped": lambda field: field == True,  # noqa: E712 (a SQL comparison)
    "stayed": lambda field: field == False,  # noqa: E712
}


def count_fields() -> list[peewee.IntegerField]:
    """A day row's count columns, in EVENT_TYPES then SOURCES order: the seven event counts (0 by
    default) and the counts by source, only where the source is known (None otherwise). Made anew for
    each model, after its key fields, so that its columns keep their order."""
    return ([peewee.IntegerField(default=0) for _ in EVENT_TYPES]
            + [peewee.IntegerField(null=True) for _ in SOURCES])


class ActivityDay(BaseModel):
    """One enrollment's event counts on one day of its course. The course is repeated in the key
    so that "every enrollment of a course as of day d" is one range of the primary key."""

    # No foreign-key constraint on the course: the enrollment's (with its cascade) already ties the row
    # to its course, and a second check per row was a large part of an import's time on PostgreSQL.
    course = peewee.DeferredForeignKey("Course", index=False)
    enrollment = peewee.ForeignKeyField(Enrollment, on_delete="CASCADE", index=False)
    day = peewee.SmallIntegerField()
    navigate, access, page_close, problem, video, discussion, wiki, server, browser = count_fields()

    class Meta:
        table_name = "activity_days"
        primary_key = peewee.CompositeKey("course", "enrollment", "day")

    @classmethod
    def before_day(cls, course: Course, day: int) -> list[tuple]:
        """Every row with events of a course's days 0..day-1 (one range of the primary key), as tuples:
        enrollment id, day, the seven counts, server, browser (None where unknown)."""
        columns = [cls.enrollment, cls.day, *(getattr(cls, name) for name in (*EVENT_TYPES, *SOURCES))]
        # A stored day without events adds nothing (nor its source): left in the database.
        events = sum((getattr(cls, name) for name in EVENT_TYPES[1:]), getattr(cls, EVENT_TYPES[0]))
        window = (cls.course == course) & (cls.day >= 0) & (cls.day < day)
        query = cls.select(*columns).where(window & (events > 0))
        # Straight from the driver: the values are plain integers, and Peewee's per-value conversion
        # of a model query costs several times the query itself on a whole course.
        return database.execute(query).fetchall()

    @classmethod
    def daily_total_counts(cls, course: Course, days: int) -> list[tuple[int, int, int]]:
        """(day, total events, how many enrollments) of the course's stored days 0..days-1: each day's
        distinct daily totals with how many stored rows have them (enrollments without a row that day
        are not counted)."""
        total = sum((getattr(cls, name) for name in EVENT_TYPES[1:]), getattr(cls, EVENT_TYPES[0]))
        query = (
            cls.select(cls.day, total, peewee.fn.COUNT(cls.enrollment))
            .where((cls.course == course) & (cls.day >= 0) & (cls.day < days))
            .group_by(cls.day, total)
        )
        return database.execute(query).fetchall()

    @classmethod
    def first_active_on(cls, course: Course, days: int) -> Enrollment | None:
        """The course's first enrollment (by id) with events on at least `days` days, or None."""
        active = (
            cls.select(cls.enrollment)
            .where(cls.course == course)
            .group_by(cls.enrollment)
            .having(peewee.fn.COUNT(cls.day) >= days)
        )
        return Enrollment.select().where(Enrollment.id.in_(active)).order_by(Enrollment.id).first()

    @classmethod
    def of_enrollment(cls, enrollment: Enrollment) -> list[ActivityDay]:
        """The enrollment's active days, in order."""
        return list(cls.select().where(cls.enrollment == enrollment).order_by(cls.day))


# Resolved at once: the course field behaves as a foreign key in queries, but create_table makes no
# constraint for a deferred one (peewee's documented way to leave a reference unconstrained).
peewee.DeferredForeignKey.resolve(Course)

COURSE_MODELS = [Course, Enrollment, ActivityDay]
__all__ = ["EVENT_TYPES", "SOURCES", "Course", "Enrollment", "ActivityDay", "COURSE_MODELS"]
