"""Models of the auth, me and users resources."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.common import PageMeta, StrictModel, UtcDateTime


class UserOut(BaseModel):
    id: int
    username: str
    email: str
    full_name: str
    role: Literal["student", "tutor", "admin"]
    is_active: bool
    created_at: UtcDateTime
    last_login_at: UtcDateTime | None
    email_notifications: bool = Field(True, description="Digests of newly flagged learners by email.")
    worklist_capacity: int = Field(25, description="How many learners the worklist lists at most (staff).")


class RegisterIn(StrictModel):
    username: str = Field(min_length=1, max_length=64)
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=256)
    full_name: str = Field("", max_length=120)


class RegisterOut(BaseModel):
    user: UserOut


class LoginIn(StrictModel):
    username: str = Field(min_length=1, max_length=254, description="Username or email.")
    password: str = Field(min_length=1, max_length=256)


class TokensOut(BaseModel):
    access_token: str
    refresh_token: str
    user: UserOut


class AccessTokenOut(BaseModel):
    access_token: str


class ProfileIn(StrictModel):
    full_name: str | None = Field(None, max_length=120)
    email: str | None = Field(None, min_length=3, max_length=254)
    email_notifications: bool | None = Field(None, description="Email me digests of newly flagged learners.")
    worklist_capacity: int | None = Field(
        None, ge=1, le=200, description="Staff: how many learners the worklist lists at most."
    )


class PasswordIn(StrictModel):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class ActivityOut(BaseModel):
    id: int
    action: str
    ip_address: str | None
    detail: dict
    created_at: UtcDateTime


class ActivityPage(BaseModel):
    items: list[ActivityOut]
    meta: PageMeta


class UsersQuery(StrictModel):
    q: str | None = Field(None, max_length=100, description="Part of a username, email or name.")
    role: Literal["student", "tutor", "admin"] | None = None
    page: int = Field(1, ge=1, le=1_000_000)
    per_page: int = Field(20, ge=1, le=200)


class UsersPage(BaseModel):
    items: list[UserOut]
    meta: PageMeta


class UserUpdateIn(StrictModel):
    role: Literal["student", "tutor", "admin"] | None = None
    is_active: bool | None = None
