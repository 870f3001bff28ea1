"""Who looked at whom: every view of a learner's data (an enrollment page, an at-risk list, an export,
an erasure), kept ACCESS_LOG_RETENTION_DAYS and shown to administrators."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import peewee

from db.fields import JSONField
from db.tables import BaseModel, User, utcnow

ACCESS_ACTIONS = ("enrollment_view", "at_risk_list", "learner_history", "export", "erasure")
CHANNELS = ("page", "api", "cli")
# What an erased learner's earlier entries name instead of their reference.
ERASED = "erased learner"


class AccessEntry(BaseModel):
    """One view: who (kept by name too, so an entry outlives the account), when, through what, of what."""

    user = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL")
    username = peewee.CharField(max_length=64)
    action = peewee.CharField(max_length=32)
    channel = peewee.CharField(max_length=8)
    course_code = peewee.CharField(max_length=255, null=True)
    learner_ref = peewee.CharField(max_length=128, null=True)
    enrollment_id = peewee.IntegerField(null=True)  # no constraint: the entry stays when it goes
    # An erasure's only trace of whom it erased: a keyed hash of the reference (services/access_log.py).
    learner_hash = peewee.CharField(max_length=64, null=True)
    detail = JSONField(default=dict)
    created_at = peewee.DateTimeField(default=utcnow, index=True)

    class Meta:
        table_name = "access_log"
        indexes = (
            (("learner_ref", "created_at"), False),
            (("user", "created_at"), False),
            (("learner_hash",), False),
        )

    @classmethod
    def search(
        cls, learner: str | None, learner_hash: str | None, username: str | None, page: int, per_page: int
    ) -> tuple[list[AccessEntry], int]:
        """Entries newest first, of one learner (by reference, or their erasure by its hash) and one
        user when given, with the total."""
        query = cls.select()
        if learner:
            query = query.where((cls.learner_ref == learner) | (cls.learner_hash == learner_hash))
        if username:
            query = query.where(cls.username == username)
        total = query.count()
        rows = query.order_by(cls.created_at.desc(), cls.id.desc()).paginate(page, per_page)
        return list(rows), total

    @classmethod
    def naming(cls, learner_ref: str, course_codes: list[str] | None) -> peewee.Expression:
        """The entries naming the learner (in these courses, or any)."""
        condition = cls.learner_ref == learner_ref
        if course_codes is not None:
            condition &= cls.course_code.in_(course_codes)
        return condition

    @classmethod
    def forget_learner(cls, learner_ref: str, course_codes: list[str] | None) -> int:
        """Replace the learner in their entries by ERASED (the view stays recorded); how many."""
        return (
            cls.update(learner_ref=ERASED, enrollment_id=None)
            .where(cls.naming(learner_ref, course_codes))
            .execute()
        )

    @classmethod
    def purge_before(cls, cutoff: datetime) -> int:
        """Delete the entries older than `cutoff`; how many went."""
        return cls.delete().where(cls.created_at < cutoff).execute()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "username": self.username,
            "action": self.action,
            "channel": self.channel,
            "course": self.course_code,
            "learner_ref": self.learner_ref,
            "enrollment": self.enrollment_id,
            "erased_learner_hash": self.learner_hash,
            "detail": self.detail,
            "created_at": self.created_at,
        }


ACCESS_MODELS = [AccessEntry]
