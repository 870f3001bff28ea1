"""Models of the analytics resource."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas.common import MAX_ID, StrictModel


class AnalyticsQuery(StrictModel):
    source: Literal["records", "training"] = Field(
        "records", description="Stored predictions, or the active model's training data."
    )
    from_: date | None = Field(None, alias="from")
    to: date | None = None
    level: str | None = Field(None, max_length=32)
    student_ref: str | None = Field(None, max_length=64)
    user: int | None = Field(None, ge=1, le=MAX_ID)


class SummaryOut(BaseModel):
    predictions: int
    students: int
    users: int
    predictions_this_week: int
    average_exam_score: float | None
    high_risk_share: float | None
    active_models: dict[str, dict[str, Any] | None]


class LevelCount(BaseModel):
    level: str
    count: int


class DayCount(BaseModel):
    day: str
    count: int
    mean: float


class LevelsOut(BaseModel):
    levels: list[LevelCount]
    per_day: list[DayCount]


class FeaturesOut(BaseModel):
    fields: dict[str, dict[str, Any]] = Field(
        description="Per field: `histogram` and `mean_by_level` (numbers) or `counts_by_level` (categories)."
    )


class CorrelationsOut(BaseModel):
    fields: list[str]
    matrix: list[list[float]]
    rows: int
