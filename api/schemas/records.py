"""Models of the records resource."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas.common import MAX_ID, IsoDate, PageMeta, StrictModel, UtcDateTime
from modelling.tasks import TASK_NAMES
from services.records import RecordFilters


class RecordFilterQuery(StrictModel):
    """The filters shared by the record list, the export and the analytics."""

    from_: IsoDate | None = Field(None, alias="from", description="First day (YYYY-MM-DD), inclusive.")
    to: IsoDate | None = Field(None, description="Last day (YYYY-MM-DD), inclusive.")
    level: str | None = Field(None, max_length=32, description="Level or risk level, e.g. `High`.")
    student_ref: str | None = Field(None, max_length=64)
    user: int | None = Field(None, ge=1, le=MAX_ID, description="Administrators: only this user's records.")

    def filters(self) -> RecordFilters:
        """The service-level filters these query parameters describe."""
        return RecordFilters(
            task=getattr(self, "task", None),
            date_from=self.from_,
            date_to=self.to,
            level=self.level,
            user_id=self.user,
            student_ref=self.student_ref,
        )


class ExportQuery(RecordFilterQuery):
    task: Literal[TASK_NAMES] | None = None


class RecordsQuery(ExportQuery):
    page: int = Field(1, ge=1, le=1_000_000)
    per_page: int = Field(20, ge=1, le=200)


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
