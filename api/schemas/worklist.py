"""Models of a tutor's worklist: the learners to act on this week, in order."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas.common import StrictModel


class WorklistQuery(StrictModel):
    tutor: str | None = Field(
        None, min_length=1, max_length=64, description="Administrators: whose worklist (a username)."
    )


class WorklistItem(BaseModel):
    enrollment: int
    learner_ref: str
    course: str = Field(description="The course code.")
    day: int = Field(description="The course's latest scored day.")
    risk_level: str
    probability: float
    segment: str | None = Field(description="not_started, gone_quiet, slipping or steady.")
    segment_label: str
    suggested_action: str = Field(description="What the segment suggests doing.")
    reason: str = Field(description="The strongest reason for the risk, in words.")
    rank_in_course: int | None


class WorklistOut(BaseModel):
    tutor: str = Field(description="Whose worklist this is.")
    capacity: int = Field(description="At most this many learners are listed (the tutor's setting).")
    recent_action_days: int = Field(description="Learners acted on in this many days are left out.")
    order: str = Field(description="How the items are ordered, in one sentence.")
    done: int = Field(description="Actions the tutor recorded in the last recent_action_days days.")
    items: list[WorklistItem] = Field(description="In priority order.")
