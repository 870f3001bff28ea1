"""xAPI statements: a JSON array or JSON lines (SPEC.md section 6.1).

Learner: `actor.account.name`, else `actor.mbox`, else `actor.openid`. Course:
`context.contextActivities.parent[0].id`, else `grouping[0].id`, else None (the import's --course
applies). Time: `timestamp`, else `stored`, converted to UTC (no offset: taken as UTC). Type: the
event map's, from the last part of `verb.id`. Source: unknown (None). Key: from the statement's `id`
when present. A rejection's `line` is the line number for JSON lines and the statement's position
(1 = first) for an array, its reason then starting "statement N: ".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from services.ingest.event_map import for_format
from services.ingest.event_rows import EventRows
from services.ingest.json_records import Record, records, shape
from services.ingest.parsed import Chunk, Rejection
from services.ingest.textfile import head

LEARNER_FIELDS = "actor.account.name, actor.mbox or actor.openid"
FIELDS = ("learner", "course", "time", "name", "source", "object", "id")


def rows(event_map: Mapping[str, Any] | str | None = None, *, label: str = "") -> EventRows:
    """The xAPI way of checking statements."""
    return EventRows(for_format("xapi", event_map), LEARNER_FIELDS, {"": None}, label=label)


def read(
    path: str | Path, *, chunk_rows: int = 200_000, event_map: Mapping[str, Any] | str | None = None
) -> Iterator[Chunk]:
    """The file's statements as events, chunk by chunk."""
    label = "statement {line}: " if shape(head(path, 4096)) == "array" else ""
    yield from _chunks(records(path), rows(event_map, label=label), chunk_rows, label)


def statements_chunk(statements: list[Any], *, event_map: Mapping[str, Any] | str | None = None) -> Chunk:
    """The events of statements sent in one request; a rejection's `line` is the index in the list."""
    chunks = list(
        _chunks(
            (Record(i, value) for i, value in enumerate(statements)),
            rows(event_map),
            max(len(statements), 1),
            "",
        )
    )
    return chunks[0]


def _chunks(found: Iterable[Record], builder: EventRows, chunk_rows: int, label: str) -> Iterator[Chunk]:
    batch, emitted = _Batch(), False
    for record in found:
        batch.add(record, label)
        if batch.read >= chunk_rows:
            yield batch.chunk(builder)
            batch, emitted = _Batch(), True
    if batch.read or not emitted:
        yield batch.chunk(builder)


class _Batch:
    """Statements gathered for one chunk: their raw fields, and the ones refused outright."""

    def __init__(self) -> None:
        self.columns: dict[str, list] = {name: [] for name in ("line", *FIELDS)}
        self.rejected: list[Rejection] = []
        self.read = 0

    def add(self, record: Record, label: str) -> None:
        self.read += 1
        prefix = label.format(line=record.number)
        if record.error:
            self.rejected.append(Rejection(record.number, record.error))
            return
        fields = fields_of(record.value)
        if isinstance(fields, str):
            self.rejected.append(Rejection(record.number, prefix + fields))
            return
        self.columns["line"].append(record.number)
        for name, value in zip(FIELDS, fields, strict=True):
            self.columns[name].append(value)

    def chunk(self, builder: EventRows) -> Chunk:
        raw = {
            name: np.array(values, dtype=np.int64 if name == "line" else object)
            for name, values in self.columns.items()
        }
        return builder.chunk(raw, ids=raw.pop("id"), rejected=self.rejected, lines_read=self.read)


def fields_of(statement: Any) -> tuple[str, ...] | str:
    """(learner, course, time, verb id, source, object id, statement id) as text, or why there are none."""
    if not isinstance(statement, dict):
        return "not a JSON object (an xAPI statement)"
    verb = _text(_get(statement, "verb", "id"))
    if not verb:
        return "statement without verb (verb.id)"
    actor = _get(statement, "actor")
    learner = next(
        (
            value
            for value in (
                _text(_get(actor, "account", "name")),
                _text(_get(actor, "mbox")),
                _text(_get(actor, "openid")),
            )
            if value
        ),
        "",
    )
    activities = _get(statement, "context", "contextActivities")
    course = _text(_get(activities, "parent", 0, "id")) or _text(_get(activities, "grouping", 0, "id"))
    time = _text(statement.get("timestamp")) or _text(statement.get("stored"))
    return learner, course, time, verb, "", _text(_get(statement, "object", "id")), _text(statement.get("id"))


def _get(value: Any, *path: str | int) -> Any:
    for step in path:
        if isinstance(step, int) and isinstance(value, dict):
            continue  # xAPI 1.0 allows one activity object where a list of them is expected
        if isinstance(step, int):
            value = value[step] if isinstance(value, list) and len(value) > step else None
        else:
            value = value.get(step) if isinstance(value, dict) else None
    return value


def _text(value: Any) -> str:
    """A field as text: strings as they are, numbers written out, anything else absent."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""
