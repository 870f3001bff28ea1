"""Models of a nudge to learners: the choice of template and learners, and what was sent."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas.common import StrictModel
from api.schemas.scoring import SEGMENT_HELP, SegmentName


class NudgeIn(StrictModel):
    template: str = Field(min_length=1, max_length=100, description="The template's name.")
    learners: list[str] | None = Field(
        None, max_length=5000, description="Learner references of the course (or give `segment`)."
    )
    segment: SegmentName | None = Field(None, description=f"Every learner of this segment ({SEGMENT_HELP})")
    preview: bool = Field(False, description="Only show the first learner's email; nothing is sent.")


class NudgePreviewOut(BaseModel):
    learner: str
    to: str
    subject: str
    text: str


class LearnerReasonOut(BaseModel):
    learner: str
    reason: str


class NudgeOut(BaseModel):
    template: str
    chosen: int = Field(description="Learners chosen (by list or segment) found in the course.")
    recipients: int = Field(description="Learners who may be nudged (before any holdout).")
    preview: NudgePreviewOut | None = Field(description="The first recipient's email (preview only).")
    sent: list[str] = Field(description="Learners emailed (each recorded as the action nudged).")
    held_back: list[str] = Field(description="Learners held back at random (NUDGE_HOLDOUT_SHARE).")
    skipped: list[LearnerReasonOut] = Field(description="Learners not emailed, and why.")
    failed: list[LearnerReasonOut] = Field(description="Learners whose email the mail server refused.")
