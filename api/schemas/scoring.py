"""Models of the early-warning read and score-now endpoints (SPEC.md 6.3)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from api.schemas.common import StrictModel


class ScoreIn(StrictModel):
    day: int | None = Field(
        None, ge=0, le=32767, description="The course day to score (default: today's day of the course)."
    )


class AtRiskQuery(StrictModel):
    day: int | None = Field(None, ge=0, le=32767, description="A scored day (default: the latest).")


class AtRiskRow(BaseModel):
    enrollment: int
    learner_ref: str
    user: int | None
    probability: float
    risk_level: str
    change: float | None = Field(description="Probability change since the previous checkpoint's scoring.")
    days_since_last_activity: int | None = Field(
        description="Days from the learner's last active day to the scored day (null: never active)."
    )
    top_factors: list[str]
    factors: list[dict[str, Any]]
    last_action: dict[str, Any] | None


class AtRiskOut(BaseModel):
    course: str
    day: int | None
    checkpoint: int | None
    previous_day: int | None
    message: str
    items: list[AtRiskRow]


class LevelSharesIn(StrictModel):
    high: float | None = Field(
        ...,
        gt=0,
        lt=1,
        description="Share of the course's enrollments at High, riskiest first (null: clear).",
    )
    medium: float | None = Field(
        ...,
        gt=0,
        lt=1,
        description="Share at Medium, the next riskiest; High + Medium at most 1 (null: clear).",
    )


class LevelSharesOut(BaseModel):
    course: str
    high: float = Field(description="The share at High the course's levels use.")
    medium: float = Field(description="The share at Medium the course's levels use.")
    source: str = Field(description="`course`: the course's own shares; `deployment`: the deployment's.")
