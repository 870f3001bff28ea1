"""Models shared by every resource: the error shape and pagination."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# Stored times are naive UTC; responses say so explicitly (RFC 3339 with offset).
UtcDateTime = Annotated[datetime, AfterValidator(_as_utc)]
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_text(value: object) -> object:
    """Only a YYYY-MM-DD text is a date here: lax parsing would read `0` as 1970-01-01."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value.strip()):
        raise ValueError("a date as YYYY-MM-DD")
    return value.strip()


IsoDate = Annotated[date, BeforeValidator(_iso_date_text)]


# Ids are database integers: anything larger cannot exist (and would overflow the driver).
MAX_ID = 999_999_999


class StrictModel(BaseModel):
    """A request model that rejects unknown fields (typos are errors, not silently ignored)."""

    model_config = ConfigDict(extra="forbid")


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. `invalid`.")
    message: str = Field(description="What went wrong, for a person.")
    fields: dict[str, str] = Field(description="Per-field reasons, empty when not about fields.")


class ErrorResponse(BaseModel):
    """Every error response has this shape."""

    error: ErrorDetail


class PageQuery(StrictModel):
    page: int = Field(1, ge=1, le=1_000_000)
    per_page: int = Field(20, ge=1, le=200)


class PageMeta(BaseModel):
    page: int
    per_page: int
    total: int
    pages: int


class Message(BaseModel):
    message: str


# A CSV upload: multipart field `file`, or the CSV itself as a text/csv body.
CSV_UPLOAD = {
    "multipart/form-data": {
        "type": "object",
        "properties": {"file": {"type": "string", "format": "binary"}},
        "required": ["file"],
    },
    "text/csv": {"type": "string"},
}
