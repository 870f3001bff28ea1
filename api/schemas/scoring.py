"""Models of the early-warning read and score-now endpoints."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, WithJsonSchema

from api.schemas.common import StrictModel
from modelling.early_warning.segments import SEGMENT_NAMES, SEGMENTS

SEGMENT_HELP = "; ".join(f"{s.name}: {s.description} {s.action}" for s in SEGMENTS)
# Documented as one of the names; a plain string to pydantic, so that the service refuses an unknown
# segment with a 400 naming the field.
SegmentName = Annotated[str, WithJsonSchema({"type": "string", "enum": list(SEGMENT_NAMES)})]


class ScoreIn(StrictModel):
    day: int | None = Field(
        None, ge=0, le=32767, description="The course day to score (default: today's day of the course)."
    )


class AtRiskQuery(StrictModel):
    day: int | None = Field(None, ge=0, le=32767, description="A scored day (default: the latest).")
    segment: SegmentName | None = Field(
        None, description=f"Only the enrollments of this segment ({SEGMENT_HELP})"
    )


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
    segment: SegmentName | None = Field(
        description="Where the learner stood by their own activity as of the scored day (null: scored "
        f"before segments existed). {SEGMENT_HELP}"
    )
    rank_in_course: int | None = Field(
        description="1 for the riskiest enrollment of the course at the day; equal probabilities share "
        "the smaller rank (null: scored before ranks existed)."
    )


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
