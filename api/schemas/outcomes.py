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


Verdict = Literal["none", "too_few", "lower", "higher", "no_difference"]


class _Comparison(BaseModel):
    difference: float | None = Field(
        description="Dropout rate of the first group minus the second's (negative: the first dropped out "
        "less); null when either group has no learner with a known outcome."
    )
    low: float | None = Field(description="Lower end of the difference's 95% confidence interval.")
    high: float | None = Field(description="Upper end of the difference's 95% confidence interval.")
    verdict: Verdict = Field(
        description="none: nothing to compare; too_few: fewer than 30 learners with a known outcome in a "
        "group or an interval wider than 20 points; lower/higher: the whole interval is below/above 0; "
        "no_difference: the interval includes 0."
    )
    says: str = Field(description="The verdict in words, with the interval in percentage points.")


class ContactOutcomes(_Comparison):
    flagged: int = Field(description="Enrollments ever flagged at the highest risk level.")
    contacted: ContactGroup = Field(description="Contacted at or after their first flag.")
    not_contacted: ContactGroup
    note: str = Field(description="An observation, not a causal effect.")


class NudgeOutcomes(_Comparison):
    nudged: ContactGroup = Field(
        description="Learners whose first nudge decision from a send with the holdout on was an email."
    )
    held_back: ContactGroup = Field(description="Learners held back at random instead (no email).")


class CourseNudgeOutcomes(NudgeOutcomes):
    course: str
    title: str


class NudgeOutcomesOut(BaseModel):
    courses: list[CourseNudgeOutcomes] = Field(
        description="Each course the caller may see that sent a nudge with the holdout on (Newcombe's "
        "interval)."
    )
    overall: NudgeOutcomes = Field(
        description="The courses together: summed groups; the difference is the Mantel-Haenszel one, "
        "comparing learners within their own course, with Sato's variance."
    )
    min_per_group: int = Field(description="Learners with a known outcome each group needs to tell.")
    max_width: float = Field(description="The widest interval that can tell.")


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
    nudges: NudgeOutcomes | None = Field(
        description="Nudged against held-back learners (randomised); null without outcomes or without a "
        "nudge sent with the holdout on."
    )
    model_versions: list[ModelVersionFeedback]
