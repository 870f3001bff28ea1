"""Models of the records resource."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas.common import MAX_ID, PageMeta, StrictModel, UtcDateTime


class RecordsQuery(StrictModel):
    task: Literal["exam-score", "dropout"] | None = None
    from_: date | None = Field(None, alias="from", description="First day (YYYY-MM-DD), inclusive.")
    to: date | None = Field(None, description="Last day (YYYY-MM-DD), inclusive.")
    level: str | None = Field(None, max_length=32, description="Level or risk level, e.g. `High`.")
    student_ref: str | None = Field(None, max_length=64)
    user: int | None = Field(None, ge=1, le=MAX_ID, description="Administrators: only this user's records.")
    page: int = Field(1, ge=1, le=1_000_000)
    per_page: int = Field(20, ge=1, le=200)


class ExportQuery(StrictModel):
    task: Literal["exam-score", "dropout"] | None = None
    from_: date | None = Field(None, alias="from")
    to: date | None = None
    level: str | None = Field(None, max_length=32)
    student_ref: str | None = Field(None, max_length=64)
    user: int | None = Field(None, ge=1, le=MAX_ID)


class RecordOut(BaseModel):
    id: int
    user_id: int
    task: str
    student_ref: str | None
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    model_version: int
    value: float
    level: str
    created_at: UtcDateTime


class RecordsPage(BaseModel):
    items: list[RecordOut]
    meta: PageMeta
