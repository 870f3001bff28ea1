"""Models of the notifications resource: the signed-in user's notifications (the bell)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas.common import PageMeta, PageQuery, UtcDateTime


class NotificationsQuery(PageQuery):
    unread: bool | None = Field(
        None, description="`true`: only the unread notifications; `false`: only the read ones; omitted: all."
    )


class NotificationOut(BaseModel):
    id: int
    kind: str = Field(description="`digest`: the learners newly at High risk after a scoring run.")
    title: str
    body: str
    link: str = Field(description="Where the notification leads in the app (a path).")
    payload: dict[str, Any] = Field(
        description="A digest: `run`, `level`, `total` and per course its `code`, `title`, `total` and "
        "`learners` (`enrollment`, `learner`, `probability`, `day`, `reasons`)."
    )
    created_at: UtcDateTime
    read_at: UtcDateTime | None = Field(description="When it was marked read; null while unread.")
    email_status: Literal["pending", "sent", "failed", "off"] = Field(
        description="Whether it was also emailed: `off` (not emailed), `pending`, `sent` or `failed`."
    )
    emailed_at: UtcDateTime | None


class NotificationsPage(BaseModel):
    items: list[NotificationOut] = Field(description="Newest first.")
    meta: PageMeta
    unread: int = Field(description="How many of all your notifications are unread (whatever the filter).")


class ReadAllOut(BaseModel):
    marked: int = Field(description="How many notifications were unread and are now read.")
    unread: int = Field(description="How many are unread now (0).")
