"""Open edX tracking log: JSON lines, one event each.

Learner: `username`; course: `context.course_id` (absent: the import's --course applies); time: `time`
(converted to UTC); source: `event_source` (browser or mobile -> browser, server -> server, absent ->
unknown); type: the event map's, from `event_type` (exact names, then `edx.forum.*` -> discussion,
anything with `/wiki/` -> wiki, other course pages -> access). The object in the key is the event's
`event.id` when it has one, else its `page`. A gzip-compressed log is read as is.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from services.ingest.event_map import for_format
from services.ingest.event_rows import EventRows
from services.ingest.json_records import records
from services.ingest.parsed import Chunk, Rejection

SOURCES = {"browser": "browser", "mobile": "browser", "server": "server", "": None}
FIELDS = ("learner", "course", "time", "name", "source", "object")


def rows(event_map: Mapping[str, Any] | str | None = None) -> EventRows:
    """The Open edX way of checking events."""
    return EventRows(for_format("edx", event_map), "username", SOURCES)


def read(path: str | Path, *, chunk_rows: int = 200_000,
         event_map: Mapping[str, Any] | str | None = None) -> Iterator[Chunk]:
    """The log's events, chunk by chunk; a line that is not a JSON object is rejected with its number."""
    builder = rows(event_map)
    batch, emitted = _Batch(), False
    for record in records(path):
        batch.read += 1
        fields = record.error or fields_of(record.value)
        if isinstance(fields, str):
            batch.rejected.append(Rejection(record.number, fields))
        else:
            batch.add(record.number, fields)
        if batch.read >= chunk_rows:
            yield batch.chunk(builder)
            batch, emitted = _Batch(), True
    if batch.read or not emitted:
        yield batch.chunk(builder)


class _Batch:
    def __init__(self) -> None:
        self.columns: dict[str, list] = {name: [] for name in ("line", *FIELDS)}
        self.rejected: list[Rejection] = []
        self.read = 0

    def add(self, line: int, fields: tuple[str, ...]) -> None:
        self.columns["line"].append(line)
        for name, value in zip(FIELDS, fields, strict=True):
            self.columns[name].append(value)

    def chunk(self, builder: EventRows) -> Chunk:
        raw = {name: np.array(values, dtype=np.int64 if name == "line" else object)
               for name, values in self.columns.items()}
        return builder.chunk(raw, rejected=self.rejected, lines_read=self.read)


def fields_of(event: Any) -> tuple[str, ...] | str:
    """(username, course id, time, event type, event source, object) as text, or why there are none."""
    if not isinstance(event, dict):
        return "not a JSON object (an Open edX event)"
    context = event.get("context") if isinstance(event.get("context"), dict) else {}
    return (_text(event.get("username")), _text(context.get("course_id")), _text(event.get("time")),
            _text(event.get("event_type")), _text(event.get("event_source")), _object(event))


def _object(event: dict) -> str:
    payload = event.get("event")
    if isinstance(payload, str) and payload.startswith("{"):
        try:
            payload = json.loads(payload)  # browser events carry their payload as a JSON string
        except json.JSONDecodeError:
            payload = None
    if isinstance(payload, dict) and _text(payload.get("id")):
        return _text(payload.get("id"))
    return _text(event.get("page"))


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""
