"""Nudges to learners: each enrollment's contact details (and whether the learner unsubscribed), and
the templates tutors send."""

from __future__ import annotations

from typing import Any

import peewee

from db.courses import Course, Enrollment
from db.fields import JSONField
from db.tables import BaseModel, utcnow


class LearnerContact(BaseModel):
    """How to reach the learner of one enrollment; seen only by the course's staff."""

    enrollment = peewee.ForeignKeyField(Enrollment, on_delete="CASCADE", unique=True)
    email = peewee.CharField(max_length=254)
    name = peewee.CharField(max_length=200, default="")
    # Optional group attributes of the learner (e.g. gender), for the early-warning fairness report only.
    attributes = JSONField(null=True)
    # Set when the learner followed a nudge's unsubscribe link: never nudged again from then on.
    unsubscribed_at = peewee.DateTimeField(null=True)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "learner_contacts"

    @classmethod
    def of(cls, enrollment_ids: list[int]) -> dict[int, LearnerContact]:
        """Enrollment id -> its contact, for those with one."""
        if not enrollment_ids:
            return {}
        return {row.enrollment_id: row for row in cls.select().where(cls.enrollment.in_(enrollment_ids))}

    @classmethod
    def attributes_in(cls, course_codes: set[str]) -> dict[int, dict[str, str]]:
        """Enrollment id -> its learner's group attributes, for the enrollments of these courses that
        have some (one query by course, however many enrollments)."""
        query = (
            cls.select(cls.enrollment, cls.attributes)
            .join(Enrollment)
            .join(Course)
            .where(Course.code.in_(sorted(course_codes)) & cls.attributes.is_null(False))
        )
        return {row.enrollment_id: row.attributes or {} for row in query}

    def to_dict(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "name": self.name,
            "unsubscribed_at": self.unsubscribed_at,
            "updated_at": self.updated_at,
        }


class NudgeTemplate(BaseModel):
    """An email to send to learners, with {placeholders} filled per learner."""

    name = peewee.CharField(max_length=100, unique=True)
    subject = peewee.CharField(max_length=200)
    body = peewee.TextField()
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "nudge_templates"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "subject": self.subject, "body": self.body}


# The templates a new deployment starts with (migration 32 seeds them).
DEFAULT_TEMPLATES = (
    {
        "name": "Getting started",
        "subject": "Getting started in {course}",
        "body": (
            "Hello {name},\n\nWe have not seen you in {course} yet. The first steps are waiting for you:"
            "\n{link}\n\nIf anything is in the way, just reply to this email."
        ),
    },
    {
        "name": "We miss you",
        "subject": "We miss you in {course}",
        "body": (
            "Hello {name},\n\nIt has been {days_inactive} days since your last visit to {course}. "
            "Picking up where you left off takes a few minutes:\n{link}\n\n"
            "If anything is in the way, just reply to this email."
        ),
    },
)
NUDGE_MODELS = [LearnerContact, NudgeTemplate]
