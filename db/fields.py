"""Field types shared by the models."""

from __future__ import annotations

import json
from typing import Any

import peewee
from pydantic_core import from_json

# One encoder for every write: json.dumps with options builds a new one per call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), default=str)


class JSONField(peewee.TextField):
    """A JSON document stored as text, so SQLite and PostgreSQL behave the same (read with
    pydantic-core's parser rather than the standard library's, for speed)."""

    def db_value(self, value: Any) -> str | None:
        return None if value is None else _ENCODER.encode(value)

    def python_value(self, value: str | Any | None) -> Any:
        if value is None or not isinstance(value, str | bytes):
            return value  # None, or a document the driver has already parsed (jsonb)
        return from_json(value)


class BinaryJSONField(JSONField):
    """A JSON document that PostgreSQL keeps as `jsonb` (parsed once on write, so a query reads
    its members without re-parsing text, which the export relies on) and SQLite as text.
    Object keys come back in jsonb's order, not the order written."""

    field_type = "JSONB"


# Column types that SQLite spells differently (given to the SQLite database at connection).
SQLITE_FIELD_TYPES = {"JSONB": "TEXT"}
