"""Models of the models and jobs resources."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas.common import StrictModel, UtcDateTime


class CandidateOut(BaseModel):
    name: str
    metrics: dict[str, float]


class ModelVersionOut(BaseModel):
    task: str
    version: int
    algorithm: str
    metrics: dict[str, float]
    candidates: list[CandidateOut]
    rows: int
    data_source: str = Field(description="For non-administrators only the data file's name.")
    data_fingerprint: str
    library_versions: dict[str, str] | None = Field(description="Administrators only (null for others).")
    is_active: bool
    created_at: UtcDateTime
    activated_at: UtcDateTime | None


class ModelsOut(BaseModel):
    versions: dict[str, list[ModelVersionOut]] = Field(description="Per form task, newest first.")
    course_versions: dict[str, list[EarlyWarningVersionOut]] = Field(
        description="Per course task (early warning), newest first, with per-checkpoint figures."
    )
    active: dict[str, int | None] = Field(description="Per task (form and course tasks).")


class TrainQuery(StrictModel):
    activate: bool = Field(False, description="Make the new version serve when training succeeds.")
    folds: int = Field(5, ge=3, le=10, description="Cross-validation folds.")
    candidates: str | None = Field(
        None,
        max_length=200,
        pattern=r"^[a-z_]+(,[a-z_]+)*$",
        description="Comma-separated subset of candidates.",
    )


class JobOut(BaseModel):
    id: int
    kind: str
    status: Literal["queued", "running", "succeeded", "failed"]
    progress: int
    message: str
    params: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    created_by: int | None
    created_at: UtcDateTime
    started_at: UtcDateTime | None
    finished_at: UtcDateTime | None


class CheckpointOut(BaseModel):
    algorithm: str = Field(description="The candidate chosen at this checkpoint.")
    metrics: dict[str, float | None] = Field(description="The chosen model's mean figures over the folds.")
    candidates: dict[str, dict[str, float | None]] = Field(description="Every candidate's mean figures.")
    calibration_curve: list[dict[str, float]] = Field(description="The chosen model's, out of fold.")
    rows: int


class GateOut(BaseModel):
    passed: bool
    reasons: list[str]
    floor: float = Field(description="EARLY_WARNING_MIN_AUC when the version was trained.")
    margin: float = Field(description="EARLY_WARNING_MAX_AUC_DROP when the version was trained.")
    against: int | None = Field(description="The version active then, compared with.")


class EarlyWarningMetricsOut(BaseModel):
    course_days: int
    auc_by_checkpoint: dict[str, float | None] = Field(
        description="Course-grouped ROC AUC per checkpoint day."
    )
    checkpoints: dict[str, CheckpointOut]
    folds: list[list[str]] = Field(description="The courses each fold held out.")
    courses: list[str] = Field(description="The finished courses trained on.")
    without_outcomes: list[str] = Field(description="Finished courses left out: no outcome known.")
    without_activity: list[str] = Field(
        default_factory=list, description="Finished courses left out: no daily activity stored (purged)."
    )
    left_out_enrollments: int = Field(description="Enrollments of those courses without an outcome.")
    gate: GateOut


class EarlyWarningVersionOut(BaseModel):
    task: str
    version: int
    algorithm: str
    metrics: EarlyWarningMetricsOut
    candidates: list[str]
    rows: int
    data_source: str
    data_fingerprint: str
    library_versions: dict[str, str] | None = Field(description="Administrators only (null for others).")
    is_active: bool
    created_at: UtcDateTime
    activated_at: UtcDateTime | None


class EarlyWarningTrainQuery(StrictModel):
    activate: bool = Field(False, description="Make the new version serve if it passes the evaluation gate.")
    checkpoints: str | None = Field(
        None, max_length=100, description="Comma-separated checkpoint days (default: all)."
    )
    candidates: str | None = Field(
        None,
        max_length=200,
        pattern=r"^[a-z_]+(,[a-z_]+)*$",
        description="Comma-separated subset of candidates.",
    )


class ActivateIn(StrictModel):
    confirm: bool = Field(False, description="Activate even though the evaluation gate refused the version.")
