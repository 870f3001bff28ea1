"""Models of the learners resource: a learner's data exported or erased on request, and the access log."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from api.schemas.common import PageMeta, PageQuery, StrictModel, UtcDateTime

_REF = "The learner's reference, as the learning platform names them."
_COURSE = "Only this course's data (default: every course the reference appears in)."


class LearnerExportQuery(StrictModel):
    # Checked by the service, so a missing or too long reference is a 400 like any other bad input.
    learner_ref: str | None = Field(None, description=_REF)
    course: str | None = Field(None, description=_COURSE)


class LearnerEraseIn(StrictModel):
    learner_ref: str | None = Field(None, description=_REF)
    course: str | None = Field(None, description=_COURSE)
    dry_run: bool = Field(False, description="`true`: only count what an erasure would remove.")


class LearnerEraseOut(BaseModel):
    learner_ref: str
    course: str | None
    erased: bool = Field(description="`false` for a dry run.")
    counts: dict[str, int] = Field(description="Rows removed (or, in a dry run, held) per table.")


class AccessLogQuery(PageQuery):
    learner: str | None = Field(None, description="Only entries naming this learner (or their erasure).")
    user: str | None = Field(None, description="Only entries of this username.")


class AccessEntryOut(BaseModel):
    id: int
    username: str
    action: str = Field(description="enrollment_view, at_risk_list, learner_history, export or erasure.")
    channel: str = Field(description="page, api or cli.")
    course: str | None
    learner_ref: str | None = Field(description='"erased learner" once the learner was erased.')
    enrollment: int | None
    erased_learner_hash: str | None = Field(description="An erasure's keyed hash of the reference.")
    detail: dict[str, Any]
    created_at: UtcDateTime


class AccessLogPage(BaseModel):
    items: list[AccessEntryOut]
    meta: PageMeta
