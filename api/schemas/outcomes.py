"""Models of the outcomes report: were a course's High flags right?"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.courses import OutcomeCounts


class CheckpointOutcomes(BaseModel):
    checkpoint: int
    day: int = Field(description="The checkpoint's latest scored day, whose predictions are judged.")
    scored: int = Field(description="Enrollments scored that day.")
    with_outcomes: int = Field(description="Of those, the enrollments whose outcome is known.")
    dropped_out: int
    flagged: int = Field(description="Enrollments with outcomes flagged at the highest risk level.")
    flagged_share: float | None = Field(
        description="Share of the enrollments scored that day at the highest risk level (outcome known "
        "or not)."
    )
    flagged_dropped_out: int
    precision: float | None = Field(description="Share of the flagged who dropped out.")
    recall: float | None = Field(description="Share of the dropouts who were flagged.")
    base_rate: float | None = Field(description="Dropout rate of the enrollments with outcomes.")
    lift: float | None = Field(description="Precision divided by the base rate.")


class ContactGroup(BaseModel):
    learners: int = Field(description="Flagged learners of the group whose outcome is known.")
    dropped_out: int
    stayed: int
    dropout_rate: float | None
    unknown_outcome: int


class ContactOutcomes(BaseModel):
    flagged: int = Field(description="Enrollments ever flagged at the highest risk level.")
    contacted: ContactGroup = Field(description="Contacted at or after their first flag.")
    not_contacted: ContactGroup
    note: str = Field(description="An observation, not a causal effect.")


class ModelVersionFeedback(BaseModel):
    model_version: int | None
    version: int | None
    label: str
    flag_predictions: int = Field(description="Predictions at the highest risk level (one per scored day).")
    flags: int = Field(description="Enrollments this version flagged at the highest risk level.")
    not_useful: int
    incorrectly_flagged: int
    marked: int = Field(description="Flagged enrollments marked not useful or incorrectly flagged.")
    marked_share: float | None


class CourseOutcomesReportOut(BaseModel):
    course: str
    title: str
    flag_level: str = Field(description="The risk level that counts as a flag (the highest band).")
    outcomes: OutcomeCounts
    outcomes_status: Literal["none", "partial", "complete"]
    message: str | None
    checkpoints: list[CheckpointOutcomes]
    contacts: ContactOutcomes | None
    model_versions: list[ModelVersionFeedback]
