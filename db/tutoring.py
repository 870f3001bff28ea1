"""Tutors' side of early warning: who tutors which course, what they did about a flag, what they were told."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import peewee

from db.courses import Course, Enrollment
from db.early_warning import EnrollmentPrediction
from db.fields import JSONField
from db.tables import BaseModel, ModelVersion, User, utcnow

ACTION_KINDS = (
    "contacted",
    "acknowledged",
    "useful",
    "not_useful",
    "incorrectly_flagged",
    "resolved",
    "nudged",  # an email sent from a nudge template (recorded by the nudge, not by hand)
    "held_back",  # chosen for a nudge but held back at random (NUDGE_HOLDOUT_SHARE): not emailed
)
# Recorded by a nudge, never by hand: the forms and the actions endpoint offer the others.
NUDGE_KINDS = ("nudged", "held_back")
HAND_KINDS = tuple(kind for kind in ACTION_KINDS if kind not in NUDGE_KINDS)
CONTACT_CHANNELS = ("email", "phone", "message", "meeting", "other")
EMAIL_STATUSES = ("pending", "sent", "failed", "off")


class CourseTutor(BaseModel):
    """A staff member assigned to a course by an administrator."""

    course = peewee.ForeignKeyField(Course, on_delete="CASCADE", index=False)
    user = peewee.ForeignKeyField(User, on_delete="CASCADE")
    assigned_at = peewee.DateTimeField(default=utcnow)
    assigned_by = peewee.ForeignKeyField(
        User, null=True, on_delete="SET NULL", backref="tutor_assignments_made"
    )

    class Meta:
        table_name = "course_tutors"
        indexes = ((("course", "user"), True),)

    @classmethod
    def course_ids_of(cls, user: User) -> peewee.ModelSelect:
        """The ids of the courses `user` tutors (a subquery)."""
        return cls.select(cls.course).where(cls.user == user)

    @classmethod
    def tutors_of(cls, course: Course) -> list[User]:
        """The course's tutors, by username."""
        return list(
            User.select()
            .join(cls, on=(cls.user == User.id))
            .where(cls.course == course)
            .order_by(User.username)
        )


class EnrollmentAction(BaseModel):
    """What someone did about an enrollment's flag: contacted the learner, marked the flag useful, ..."""

    enrollment = peewee.ForeignKeyField(Enrollment, on_delete="CASCADE", index=False)
    course = peewee.ForeignKeyField(Course, on_delete="CASCADE", index=False)
    user = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL")
    kind = peewee.CharField(max_length=32)
    channel = peewee.CharField(max_length=16, null=True)
    note = peewee.TextField(default="")
    # The prediction the action answered (the enrollment's latest when it was taken), and its model.
    prediction = peewee.ForeignKeyField(EnrollmentPrediction, null=True, on_delete="SET NULL")
    model_version = peewee.ForeignKeyField(ModelVersion, null=True, on_delete="SET NULL")
    # A nudge's share held back at random when it was sent (0: holdout off); null for other actions.
    holdout_share = peewee.DoubleField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "enrollment_actions"
        indexes = (
            (("enrollment", "created_at"), False),  # one enrollment's log
            (("course", "created_at"), False),  # a course's latest action per enrollment
        )

    @classmethod
    def contacts_after_flags(cls, course: Course, level: str) -> list[tuple[int, bool | None, bool]]:
        """(enrollment id, dropped out, contacted) for each enrollment of the course ever predicted at
        `level`: contacted when a "contacted" action was recorded at or after its first such prediction."""
        flags = EnrollmentPrediction.first_flags(course, level).alias("flags")
        contact = (
            (cls.enrollment == flags.c.enrollment_id)
            & (cls.kind == "contacted")
            & (cls.created_at >= flags.c.flagged_at)
        )
        query = (
            Enrollment.select(Enrollment.id, Enrollment.dropped_out, peewee.fn.COUNT(cls.id))
            .join(flags, on=(flags.c.enrollment_id == Enrollment.id))
            .join(cls, peewee.JOIN.LEFT_OUTER, on=contact)
            .group_by(Enrollment.id, Enrollment.dropped_out)
            .tuples()
        )
        return [(enrollment, dropped_out, contacts > 0) for enrollment, dropped_out, contacts in query]

    @classmethod
    def first_randomised_nudges(cls, course_ids: peewee.ModelSelect) -> list[tuple[int, str, bool | None]]:
        """(course id, kind, dropped out) of each enrollment of the courses whose first nudge decision
        from a send with the holdout on (NUDGE_KINDS, holdout_share above 0) was `kind`."""
        first = (
            cls.select(peewee.fn.MIN(cls.id))
            .where(cls.course.in_(course_ids) & cls.kind.in_(NUDGE_KINDS) & (cls.holdout_share > 0))
            .group_by(cls.enrollment)
        )
        query = (
            cls.select(cls.course, cls.kind, Enrollment.dropped_out)
            .join(Enrollment, on=(cls.enrollment == Enrollment.id))
            .where(cls.id.in_(first))
            .tuples()
        )
        return list(query)

    @classmethod
    def feedback_on_flags(
        cls, course: Course, level: str, kinds: tuple[str, ...]
    ) -> list[tuple[int, str, int]]:
        """(model version id, kind, enrollment id), once each, for the actions of `kinds` on the course's
        enrollments that the action's model version predicted at `level`."""
        flagged = (
            EnrollmentPrediction.select(EnrollmentPrediction.enrollment, EnrollmentPrediction.model_version)
            .where((EnrollmentPrediction.course == course) & (EnrollmentPrediction.risk_level == level))
            .distinct()
            .alias("flagged")
        )
        query = (
            cls.select(cls.model_version, cls.kind, cls.enrollment)
            .join(
                flagged,
                on=(
                    (flagged.c.enrollment_id == cls.enrollment)
                    & (flagged.c.model_version_id == cls.model_version)
                ),
            )
            .where((cls.course == course) & cls.kind.in_(kinds))
            .distinct()
            .tuples()
        )
        return list(query)

    @classmethod
    def with_people(cls) -> peewee.ModelSelect:
        """Actions with who took them and the model version they answered (left joins: both may be gone)."""
        return (
            cls.select(cls, User, ModelVersion)
            .join(User, peewee.JOIN.LEFT_OUTER, on=(cls.user == User.id))
            .switch(cls)
            .join(ModelVersion, peewee.JOIN.LEFT_OUTER)
        )

    @classmethod
    def by_ids(cls, ids: list[int]) -> list[EnrollmentAction]:
        """These actions, in the given order."""
        found = {action.id: action for action in cls.with_people().where(cls.id.in_(ids))}
        return [found[i] for i in ids]

    @classmethod
    def log_of(cls, enrollment: Enrollment) -> list[EnrollmentAction]:
        """One enrollment's actions, newest first."""
        query = cls.with_people().where(cls.enrollment == enrollment)
        return list(query.order_by(cls.created_at.desc(), cls.id.desc()))

    @classmethod
    def fingerprint(cls, course: Course) -> tuple:
        """(count, newest id) of the course's actions: a new action, or a removed enrollment, changes it."""
        query = cls.select(peewee.fn.COUNT(cls.id), peewee.fn.MAX(cls.id)).where(cls.course == course)
        return tuple(query.tuples().get())

    @classmethod
    def latest_per_enrollment(cls, course: Course) -> list[EnrollmentAction]:
        """Each enrollment's latest action in the course (for those with any)."""
        latest = cls.select(peewee.fn.MAX(cls.id)).where(cls.course == course).group_by(cls.enrollment)
        return list(cls.with_people().where(cls.id.in_(latest)))

    def to_dict(self) -> dict[str, Any]:
        """The action as the API and the pages show it; `model_version` is the version number."""
        return {
            "id": self.id,
            "enrollment": self.enrollment_id,
            "kind": self.kind,
            "channel": self.channel,
            "note": self.note,
            "user": self.user_id,
            "username": self.user.username if self.user_id else None,
            "prediction": self.prediction_id,
            "model_version": self.model_version.version if self.model_version_id else None,
            "created_at": self.created_at,
        }


class Notification(BaseModel):
    """An in-app notification (the bell), and the state of its email when one is sent."""

    user = peewee.ForeignKeyField(User, on_delete="CASCADE", index=False)
    kind = peewee.CharField(max_length=32)
    title = peewee.CharField(max_length=200)
    body = peewee.TextField(default="")
    link = peewee.CharField(max_length=255, default="")
    payload = JSONField(default=dict)
    created_at = peewee.DateTimeField(default=utcnow)
    read_at = peewee.DateTimeField(null=True)
    email_status = peewee.CharField(max_length=16, default="off")
    email_attempts = peewee.SmallIntegerField(default=0)
    email_error = peewee.TextField(null=True)
    emailed_at = peewee.DateTimeField(null=True)
    # Set while a sender is trying the email (null otherwise): whoever sets it first, sends.
    email_claimed_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "notifications"
        indexes = ((("user", "created_at"), False),)

    @classmethod
    def unread_count(cls, user: User) -> int:
        """How many of the user's notifications are unread."""
        return cls.select().where((cls.user == user) & cls.read_at.is_null()).count()

    @classmethod
    def for_user(cls, user: User, unread: bool | None, page: int, per_page: int):
        """A user's notifications (only the unread, only the read, or all), newest first, with the total."""
        query = cls.select().where(cls.user == user)
        if unread is not None:
            query = query.where(cls.read_at.is_null(unread))
        total = query.count()
        rows = query.order_by(cls.created_at.desc(), cls.id.desc()).paginate(page, per_page)
        return list(rows), total

    @classmethod
    def mark_read(cls, user: User, notification_id: int) -> Notification | None:
        """Mark one of the user's notifications read (kept as it is if it already was); None if it is
        not theirs."""
        mine = (cls.id == notification_id) & (cls.user == user)
        with cls._meta.database.atomic():
            cls.update(read_at=utcnow()).where(mine & cls.read_at.is_null()).execute()
            return cls.get_or_none(mine)

    @classmethod
    def claim_email(cls, notification_id: int, now: datetime, free_before: datetime) -> int | None:
        """Take a pending email for one attempt (counted now): the attempt's number, or None when it is
        not pending any more or another sender claimed it after `free_before`. One conditional UPDATE
        decides, so of several processes asking at once exactly one gets it."""
        with cls._meta.database.atomic():
            claimed = (
                cls.update(email_attempts=cls.email_attempts + 1, email_claimed_at=now)
                .where(
                    (cls.id == notification_id)
                    & (cls.email_status == "pending")
                    & (cls.email_claimed_at.is_null() | (cls.email_claimed_at < free_before))
                )
                .execute()
            )
            if not claimed:
                return None
            return cls.select(cls.email_attempts).where(cls.id == notification_id).scalar()

    @classmethod
    def left_pending(cls, created_before: datetime, free_before: datetime) -> list[Notification]:
        """Emails still pending from before `created_before` that no sender holds since `free_before`
        (their process died, or stopped before sending), oldest first, with their users."""
        return list(
            cls.select(cls, User)
            .join(User, on=(cls.user == User.id))
            .where(
                (cls.email_status == "pending")
                & (cls.created_at < created_before)
                & (cls.email_claimed_at.is_null() | (cls.email_claimed_at < free_before))
            )
            .order_by(cls.created_at, cls.id)
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "body": self.body,
            "link": self.link,
            "payload": self.payload,
            "created_at": self.created_at,
            "read_at": self.read_at,
            "email_status": self.email_status,
            "emailed_at": self.emailed_at,
        }


TUTORING_MODELS = [CourseTutor, EnrollmentAction, Notification]
