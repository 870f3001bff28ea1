"""Keys that let a learning platform's scripts call the API without signing in ."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import peewee

from db.tables import BaseModel, User, utcnow

SCOPES = ("ingest",)


class ApiKey(BaseModel):
    """A named key: only the hash of its secret is kept; the prefix names it in lists and logs."""

    name = peewee.CharField(max_length=64, unique=True)
    scope = peewee.CharField(max_length=16)
    prefix = peewee.CharField(max_length=16, unique=True)
    secret_hash = peewee.CharField(max_length=64)
    created_by = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = peewee.DateTimeField(default=utcnow)
    last_used_at = peewee.DateTimeField(null=True)
    revoked_at = peewee.DateTimeField(null=True)
    # Which courses the key may push into: codes or patterns with * and ?, one per line; empty: any.
    courses = peewee.TextField(default="")
    may_create_courses = peewee.BooleanField(default=False)
    may_push_finished = peewee.BooleanField(default=False)

    class Meta:
        table_name = "api_keys"

    @classmethod
    def by_name(cls, name: str) -> ApiKey | None:
        """The key with this name (revoked or not), or None."""
        return cls.get_or_none(cls.name == name)

    @classmethod
    def by_prefix(cls, prefix: str) -> ApiKey | None:
        """The key with this public prefix, or None."""
        return cls.get_or_none(cls.prefix == prefix)

    @classmethod
    def listing(cls) -> list[ApiKey]:
        """Every key, live ones first, then by name."""
        return list(
            cls.select(cls, User.username)
            .join(User, peewee.JOIN.LEFT_OUTER)
            .order_by(cls.revoked_at.is_null(False), cls.name)
        )

    @classmethod
    def mark_used(cls, key_id: int, now: datetime, stale_before: datetime) -> None:
        """Set last_used_at unless it is already later than `stale_before` (one write per interval,
        however many requests race for it)."""
        cls.update(last_used_at=now).where(
            (cls.id == key_id) & (cls.last_used_at.is_null() | (cls.last_used_at < stale_before))
        ).execute()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def course_patterns(self) -> list[str]:
        """The course codes or patterns the key is limited to (none: every course)."""
        return [line for line in (self.courses or "").splitlines() if line]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "scope": self.scope,
            "prefix": self.prefix,
            "created_by": self.created_by.username if self.created_by_id else None,
            "created_at": self.created_at,
            "last_used_at": self.last_used_at,
            "revoked_at": self.revoked_at,
            "courses": self.course_patterns,
            "may_create_courses": self.may_create_courses,
            "may_push_finished": self.may_push_finished,
        }
