"""Models of the LRS statements resource (xAPI 1.0.3 and 2.0)."""

from __future__ import annotations

from pydantic import BaseModel, Field, RootModel

from api.schemas.common import StrictModel

STATEMENTS_BODY = {
    "application/json": {
        "description": "One xAPI statement, or a list of them (POST).",
        "oneOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}],
    }
}


class StatementIdsOut(RootModel[list[str]]):
    """The ids of the statements stored, in the order sent (generated where a statement had none)."""


class StatementQuery(StrictModel):
    statementId: str | None = Field(None, max_length=64, description="The statement's id (a UUID).")  # noqa: N815


class AboutOut(BaseModel):
    version: list[str] = Field(description="The xAPI versions this LRS speaks.")
