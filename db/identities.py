"""Accounts' identities at OpenID Connect providers: one (provider, subject) pair names one account."""

from __future__ import annotations

import peewee

from db.tables import BaseModel, User, utcnow


class UserIdentity(BaseModel):
    """An account's subject at a provider; the account signs in through it."""

    user = peewee.ForeignKeyField(User, backref="identities", on_delete="CASCADE", index=True)
    provider = peewee.CharField(max_length=32)
    subject = peewee.CharField(max_length=255)
    created_at = peewee.DateTimeField(default=utcnow)
    last_login_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "user_identities"
        indexes = ((("provider", "subject"), True),)

    @classmethod
    def user_for(cls, provider: str, subject: str) -> User | None:
        """The account linked to this provider's subject, or None."""
        row = (
            cls.select(cls, User)
            .join(User)
            .where((cls.provider == provider) & (cls.subject == subject))
            .first()
        )
        return row.user if row else None

    @classmethod
    def link(cls, user: User, provider: str, subject: str) -> UserIdentity:
        """Link the account to the provider's subject."""
        return cls.create(user=user, provider=provider, subject=subject, last_login_at=utcnow())

    @classmethod
    def touch(cls, provider: str, subject: str) -> None:
        """Record a sign-in through this identity."""
        query = cls.update(last_login_at=utcnow())
        query.where((cls.provider == provider) & (cls.subject == subject)).execute()
