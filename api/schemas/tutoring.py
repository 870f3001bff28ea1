"""Models of the tutors' side of early warning: an enrollment's risk history and
action log, recording an action, a course's tutors."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.common import StrictModel, UtcDateTime
from api.schemas.courses import EnrollmentOut
from services.tutoring.actions import NOTE_MAX_CHARS

ActionKind = Literal["contacted", "acknowledged", "useful", "not_useful", "incorrectly_flagged", "resolved"]
Channel = Literal["email", "phone", "message", "meeting", "other"]


class ActionIn(StrictModel):
    kind: ActionKind
    note: str | None = Field(None, max_length=NOTE_MAX_CHARS)
    channel: Channel | None = Field(None, description="How the learner was contacted (kind contacted only).")


class ActionOut(BaseModel):
    id: int
    enrollment: int
    kind: str
    channel: str | None
    note: str
    user: int | None = Field(description="Who took the action (null once their account is deleted).")
    username: str | None
    prediction: int | None = Field(
        description="The enrollment's latest prediction when the action was taken."
    )
    model_version: int | None = Field(description="The version number of that prediction's model.")
    created_at: UtcDateTime


class ActionsOut(BaseModel):
    items: list[ActionOut] = Field(description="Newest first.")


class Factor(BaseModel):
    feature: str
    contribution: float | None = None
    direction: str | None = None
    text: str = Field(description="The reason in words.")


class RiskPoint(BaseModel):
    day: int = Field(description="The course day scored (days 0..day-1 were seen).")
    checkpoint: int = Field(description="The checkpoint whose model scored it.")
    as_of_day: int = Field(description="The day its reasons are as of: the model read days 0..as_of_day-1.")
    probability: float
    risk_level: str
    top_factors: list[Factor] = Field(description="The reasons for the risk, strongest first.")
    in_favour: list[Factor] = Field(
        default_factory=list, description="Factors in the learner's favour (they lower the risk)."
    )
    model_version: int | None = Field(description="The early-warning version number.")
    scored_at: UtcDateTime


class EnrollmentDetailOut(EnrollmentOut):
    risk: list[RiskPoint] | None = Field(
        description="The risk history by day; null for the linked student unless the setting allows it."
    )
    actions: list[ActionOut] | None = Field(description="The action log, newest first (staff only).")


class CourseTutorsIn(StrictModel):
    tutors: list[str] = Field(max_length=200, description="Usernames of tutors or administrators.")


class CourseTutorsOut(BaseModel):
    course: str
    tutors: list[str]


class AccountIn(StrictModel):
    username: str | None = Field(
        ..., max_length=254, description="The account (username or email) to link; null unlinks."
    )


class LinkOut(BaseModel):
    enrollment: int
    course: str
    learner_ref: str
    username: str | None = Field(description="The linked account; null when unlinked.")
    changed: bool


class MyEnrollmentOut(BaseModel):
    enrollment: int
    learner_ref: str
    course: str
    title: str
    current_day: int | None = Field(description="Today's course day while it runs, else null.")
    finished: bool


class MyEnrollmentsOut(BaseModel):
    items: list[MyEnrollmentOut]
