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
    as_of_day: int = Field(
        description="The day the prediction, its reasons and the days since the last activity are as of: "
        "the model read days 0..as_of_day-1 (its checkpoint's day, at most the scored day)."
    )
    days_since_last_activity: int | None = Field(
        description="Days from the learner's last active day to `as_of_day` (null: never active by then)."
    )
    top_factors: list[str] = Field(
        description="Why the risk is what it is, strongest first: factors that raise it, or, when none "
        "stands out, the learner's recent activity. Never empty."
    )
    factors: list[dict[str, Any]] = Field(
        description="The same reasons with their feature, contribution (log-odds, positive; null for the "
        "recent-activity line) and direction ('raises', or 'summary' for the recent-activity line)."
    )
    in_favour: list[str] = Field(
        description="Factors in the learner's favour (they lower the risk), strongest first; may be empty."
    )
    last_action: dict[str, Any] | None


class AtRiskOut(BaseModel):
    course: str
    day: int | None
    checkpoint: int | None
    previous_day: int | None
    message: str
    items: list[AtRiskRow]
