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
    versions: dict[str, list[ModelVersionOut]] = Field(description="Per task, newest first.")
    active: dict[str, int | None]


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
