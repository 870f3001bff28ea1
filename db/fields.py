"""Field types shared by the models."""

from __future__ import annotations

import json
from typing import Any

import peewee
from pydantic_core import from_json


class JSONField(peewee.TextField):
    """A JSON document stored as text, so SQLite and PostgreSQL behave the same (read with
    pydantic-core's parser, several times faster than the standard library's)."""

    def db_value(self, value: Any) -> str | None:
        return None if value is None else json.dumps(value, separators=(",", ":"), default=str)

    def python_value(self, value: str | None) -> Any:
        return None if value is None else from_json(value)
