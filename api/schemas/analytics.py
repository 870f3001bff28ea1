"""Models of the analytics resource."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas.records import RecordFilterQuery


class AnalyticsQuery(RecordFilterQuery):
    source: Literal["records", "training"] = Field(
        "records", description="Stored predictions, or the active model's training data."
    )


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
