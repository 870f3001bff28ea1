"""LTI 1.3: the tool's own key pair, the platforms (LMSs) registered by administrators, the one-time
login states of launches under way, and which platform user is which account."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import peewee

from db.connection import write_transaction
from db.fields import JSONField
from db.tables import BaseModel, User, utcnow


class LtiToolKey(BaseModel):
    """The tool's RSA key pair (PEM), made at first use; one row (id 1)."""

    kid = peewee.CharField(max_length=64)
    private_pem = peewee.TextField()
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "lti_tool_keys"

    @classmethod
    def current(cls) -> LtiToolKey | None:
        """The stored key, or None before first use."""
        return cls.get_or_none(cls.id == 1)

    @classmethod
    def store_first(cls, kid: str, private_pem: str) -> LtiToolKey:
        """Store this key unless one exists (two processes at once keep the first); return the stored one."""
        with write_transaction():
            cls.insert(id=1, kid=kid, private_pem=private_pem).on_conflict_ignore().execute()
        return cls.get(cls.id == 1)


class LtiPlatform(BaseModel):
    """An LMS registered by an administrator: its issuer and the client id it gave this tool."""

    issuer = peewee.CharField(max_length=255)
    client_id = peewee.CharField(max_length=255)
    deployment_ids = JSONField(default=list)
    keyset_url = peewee.CharField(max_length=1000)
    auth_login_url = peewee.CharField(max_length=1000)
    token_url = peewee.CharField(max_length=1000, default="")
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "lti_platforms"
        indexes = ((("issuer", "client_id"), True),)

    @classmethod
    def of_issuer(cls, issuer: str) -> list[LtiPlatform]:
        """The registrations of one issuer, oldest first."""
        return list(cls.select().where(cls.issuer == issuer).order_by(cls.id))

    @classmethod
    def listed(cls) -> list[LtiPlatform]:
        """Every registration, by issuer and client id."""
        return list(cls.select().order_by(cls.issuer, cls.client_id))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "issuer": self.issuer,
            "client_id": self.client_id,
            "deployment_ids": list(self.deployment_ids or []),
            "keyset_url": self.keyset_url,
            "auth_login_url": self.auth_login_url,
            "token_url": self.token_url,
        }


class LtiLaunchState(BaseModel):
    """A login started by a platform: its state and nonce, used once by the launch that follows."""

    state = peewee.CharField(max_length=64, primary_key=True)
    nonce = peewee.CharField(max_length=64)
    platform = peewee.ForeignKeyField(LtiPlatform, on_delete="CASCADE")
    expires_at = peewee.DateTimeField(index=True)

    class Meta:
        table_name = "lti_launch_states"

    @classmethod
    def open(cls, state: str, nonce: str, platform: LtiPlatform, expires_at: datetime) -> None:
        """Record a new login (and drop the expired ones, so the table stays small)."""
        with write_transaction():
            cls.delete().where(cls.expires_at < utcnow()).execute()
            cls.create(state=state, nonce=nonce, platform=platform, expires_at=expires_at)

    @classmethod
    def take(cls, state: str) -> LtiLaunchState | None:
        """The unexpired login of `state`, removed in the same transaction: a second take finds nothing."""
        with write_transaction():
            found = cls.get_or_none((cls.state == state) & (cls.expires_at >= utcnow()))
            if found is None or not cls.delete().where(cls.state == state).execute():
                return None
        return found


class LtiAccount(BaseModel):
    """The account of one platform user (the platform's `sub`); never matched by e-mail."""

    platform = peewee.ForeignKeyField(LtiPlatform, on_delete="CASCADE", index=False)
    subject = peewee.CharField(max_length=255)
    user = peewee.ForeignKeyField(User, on_delete="CASCADE")
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "lti_accounts"
        indexes = ((("platform", "subject"), True),)

    @classmethod
    def user_of(cls, platform: LtiPlatform, subject: str) -> User | None:
        """The account linked to this platform user, or None."""
        row = (
            User.select()
            .join(cls, on=(cls.user == User.id))
            .where((cls.platform == platform) & (cls.subject == subject))
            .first()
        )
        return row


LTI_MODELS = [LtiToolKey, LtiPlatform, LtiLaunchState, LtiAccount]
