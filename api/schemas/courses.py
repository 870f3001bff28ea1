"""Models of the activity push and the courses and enrollments resources."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field, model_validator

from api.schemas.common import IsoDate, PageMeta, StrictModel, UtcDateTime
from services.activity_push import MAX_ITEMS
from services.courses import EnrollmentFilters

EVENT_ITEM = {
    "type": "object",
    "description": "One event: `enrollment_id`, `course_id`, `time` (ISO 8601), `event` (one of the seven"
    " types), optional `source` (server or browser).",
}


class ActivityPushIn(StrictModel):
    """Exactly one of `events` or `statements` (xAPI), each 1 to 5,000 items; the body may be up to
    MAX_PUSH_KB (10 MB by default: 5,000 items of 2 KB)."""

    # Items are checked one by one by the service, so one bad item is reported by its index and the
    # others still count (their text too: the request's JSON check leaves these lists to it).
    ITEM_LISTS: ClassVar[tuple[str, ...]] = ("events", "statements")
    # Up to MAX_ITEMS items of about 2 KB each: the body's own limit (MAX_PUSH_KB), not the small
    # JSON limit of other endpoints.
    BODY_LIMIT: ClassVar[str] = "MAX_PUSH_KB"
    events: list[Any] | None = Field(
        None, min_length=1, max_length=MAX_ITEMS, json_schema_extra={"items": EVENT_ITEM}
    )
    statements: list[Any] | None = Field(
        None,
        min_length=1,
        max_length=MAX_ITEMS,
        description="xAPI statements.",
        json_schema_extra={"items": {"type": "object"}},
    )

    @model_validator(mode="after")
    def exactly_one_form(self) -> ActivityPushIn:
        if (self.events is None) == (self.statements is None):
            raise ValueError("Send either `events` or `statements` (one of them, not both).")
        return self

    def payload(self) -> dict[str, Any]:
        """The body as the service takes it: the one list that was sent."""
        return {"events": self.events} if self.events is not None else {"statements": self.statements}


class Rejected(BaseModel):
    index: int = Field(description="Position of the item in the list sent (0 = first).")
    reason: str


class ActivityPushOut(BaseModel):
    accepted: int = Field(description="Items stored (an event counted before is not counted again).")
    new: int = Field(description="Of those, the events not counted before.")
    outside_window: int = Field(
        0, description="Items kept aside outside their course's window (a window set by an administrator or"
        " an import): counted when a change of the window covers them.")
    rejected: list[Rejected]


class CourseSummary(BaseModel):
    code: str
    title: str
    start_date: dt.date
    end_date: dt.date = Field(description="The last day of the course window.")
    length_days: int
    status: Literal["upcoming", "running", "finished"]
    current_day: int | None = Field(description="Today's course day while running, else null.")
    archived_at: UtcDateTime | None = Field(None, description="When the course was archived, else null.")


class CourseUpdateOut(CourseSummary):
    brought_in: int = Field(description="Rows kept aside outside the old window that the new one covers,"
                            " now counted.")
    outside_window: int = Field(description="Rows still kept aside outside the window.")


class CourseOut(CourseSummary):
    enrollments: int


class CourseRiskOut(CourseOut):
    high_level: str = Field(description="The flag level: the highest risk level.")
    checkpoint: int | None = Field(description="The latest scored checkpoint's model (its day of 30).")
    checkpoint_day: int | None = Field(description="The course day scored for that checkpoint.")
    scored: int = Field(description="Enrollments scored at that day.")
    high: int = Field(description="Of them, at the flag level.")
    high_share: float | None
    high_change: float | None = Field(description="Change of the share since the previous checkpoint.")


class OutcomeCounts(BaseModel):
    dropped: int
    stayed: int
    unknown: int


class CourseDetailOut(CourseOut):
    outcomes: OutcomeCounts


class CoursesOut(BaseModel):
    items: list[CourseRiskOut]


class CourseUpdateIn(StrictModel):
    """The fields to change (at least one); stored activity keeps its dates when the start moves."""

    title: str | None = Field(None, min_length=1, max_length=200)
    start_date: IsoDate | None = None
    length_days: int | None = Field(None, ge=1, le=3650)

    @model_validator(mode="after")
    def something_to_change(self) -> CourseUpdateIn:
        if self.title is None and self.start_date is None and self.length_days is None:
            raise ValueError("Send at least one of title, start_date, length_days.")
        return self


class CourseRemovedOut(BaseModel):
    code: str
    enrollments: int = Field(description="Enrollments removed, with their activity, predictions and actions.")
    activity_days: int
    predictions: int
    actions: int
    tutors: int = Field(description="Tutor assignments removed.")
    linked_accounts: int = Field(description="Accounts that were linked to an enrollment (kept, unlinked).")


class CourseArchivedOut(BaseModel):
    code: str
    archived_at: UtcDateTime
    removed: dict[str, int] = Field(description="Rows deleted per table (the raw event keys).")
    kept: dict[str, int] = Field(
        description="What stays for training and reports: enrollments, known outcomes, and rows per table."
    )


class EnrollmentsQuery(StrictModel):
    learner: str | None = Field(None, max_length=128, description="Learner reference contains this.")
    outcome: Literal["known", "unknown", "dropped", "stayed"] | None = None
    active_since: int | None = Field(None, ge=0, le=32767, description="Active on this course day or later.")
    page: int = Field(1, ge=1, le=1_000_000)
    per_page: int = Field(20, ge=1, le=200)

    def filters(self) -> EnrollmentFilters:
        """The service-level filters these query parameters describe."""
        return EnrollmentFilters(self.learner, self.outcome, self.active_since)


class EnrollmentRow(BaseModel):
    id: int
    learner_ref: str
    user: int | None
    outcome: Literal["dropped", "stayed"] | None
    active_days: int
    events: int
    last_active_day: int | None


class EnrollmentsPage(BaseModel):
    items: list[EnrollmentRow]
    meta: PageMeta


class ActivityDayOut(BaseModel):
    day: int
    date: dt.date
    navigate: int
    access: int
    page_close: int
    problem: int
    video: int
    discussion: int
    wiki: int
    server: int | None = Field(description="Events from the server, when the source is known.")
    browser: int | None
    total: int


class EnrollmentOut(BaseModel):
    id: int
    course: CourseSummary
    learner_ref: str
    user: int | None
    outcome: Literal["dropped", "stayed"] | None
    outcome_source: str | None
    days: list[ActivityDayOut]
