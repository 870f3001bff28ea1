"""Open edX tracking log: one event a line, in every shape the platform writes it.

Shapes: raw JSON lines; lines with a logging prefix before the JSON (a Tutor deployment's
`2023-05-23 13:53:13,461 INFO 20 [tracking] [user None] [ip None] logger.py:41 - {...}`, or syslog's);
either one gzip-compressed (rotated logs, `tracking.log-20230523.gz`), read as is; a JSON array of events.
Learner: `username`; course: `context.course_id`, else the course id in the event's path (a page view's
`event_type`) or its `page` URL (`/courses/course-v1:Org+Course+Run/...` or the legacy
`/courses/Org/Course/Run/...`), else the import's --course; time: `time` (converted to UTC); source:
`event_source` (browser or mobile -> browser, server or task -> server, absent -> unknown); type: the
event map's, from `event_type` (the table in edx_events.py). The object in the key is the event's `page`
(an event is told from another by learner, course, time to the microsecond, name, source and page).
Lines are read in pieces by pyarrow (edx_arrow.py), and line by line where it refuses a piece.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import services.ingest.edx_arrow as edx_arrow
from services.ingest.batches import Batch, batches
from services.ingest.batches import text as _text
from services.ingest.edx_events import course_in_path
from services.ingest.event_map import for_format
from services.ingest.event_rows import EventRows
from services.ingest.json_records import Record, records
from services.ingest.parsed import Chunk, Rejection
from services.ingest.textfile import head

# A task is a background job of the LMS (grading, reports): the server acting for the learner.
SOURCES = {"browser": "browser", "mobile": "browser", "server": "server", "task": "server", "": None}
FIELDS = ("learner", "course", "time", "name", "source", "object")
PIECE = 16_384  # lines handed to the bulk reader at a time (memory holds one piece of text)
NO_JSON = "no JSON object on the line (an Open edX event, alone or after a logging prefix)"
# A logging prefix ends where the event begins: the first '{"' of the line.
_PREFIXED = re.compile(r"^[^{\n]+?(\{\s*\")")
# A JSON array of events (a logging prefix may also start with "[", as in "[2023-05-23 13:53:13] INFO").
_ARRAY = re.compile(r"\s*\[\s*[{\]]")


def rows(event_map: Mapping[str, Any] | str | None = None) -> EventRows:
    """The Open edX way of checking events."""
    return EventRows(for_format("edx", event_map), "username", SOURCES)


def prefixed(text: str) -> bool:
    """Whether a file's first characters are a tracking log with a logging prefix before each event."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    found = _PREFIXED.match(first)
    if found is None:
        return False
    try:
        value, _ = json.JSONDecoder().raw_decode(first, found.start(1))
    except json.JSONDecodeError:
        return False
    return isinstance(value, dict) and "event_type" in value


def read(path: str | Path, *, chunk_rows: int = 200_000,
         event_map: Mapping[str, Any] | str | None = None) -> Iterator[Chunk]:
    """The log's events, chunk by chunk; a line that is not a JSON object is rejected with its number."""
    builder = rows(event_map)
    for batch in _batches(path, chunk_rows):
        yield batch.chunk(builder)


def read_lines(data: bytes, *, at_start: bool, chunk_rows: int, head: bytes = b"",
               event_map: Mapping[str, Any] | str | None = None) -> tuple[list[Chunk], int]:
    """The chunks of some whole lines of a log (numbered from 1, as `read` numbers them from the range's
    first line), and how many lines they are; `at_start`: they begin the file, whose first bytes are
    `head` (a log that starts with a logging prefix has it stripped in bulk)."""
    builder = rows(event_map)
    blocks = edx_arrow.data_blocks(data, prefixed=edx_arrow.starts_prefixed(head), at_start=at_start)
    return [batch.chunk(builder) for batch in _batches(None, chunk_rows, blocks)], data.count(b"\n")


def lines_of(first: str) -> bool:
    """Whether a log whose first characters are `first` is lines (not a JSON array of events)."""
    return bool(first.strip()) and not _ARRAY.match(first)


def _batches(path: str | Path | None, chunk_rows: int, blocks: Iterable[tuple[int, bytes]] | None = None,
             ) -> Iterator[_Batch]:
    """The log's lines in batches of `chunk_rows` (one empty batch for an empty log; `blocks`: some of its
    lines, in memory); a JSON array of events is read element by element, other logs in blocks of lines."""
    if blocks is not None:
        return batches(blocks, _Batch.add_block, _Batch, chunk_rows)
    if _ARRAY.match(head(path, 4096)):
        return batches(records(path), _Batch.add_record, _Batch, chunk_rows)
    return batches(edx_arrow.blocks(path), _Batch.add_block, _Batch, chunk_rows)


class _Batch(Batch):
    """The events of one chunk, and JSON lines waiting to be read together (see `filled`)."""

    __slots__ = ("numbers", "texts")

    def __init__(self) -> None:
        super().__init__(FIELDS)
        self.numbers: list[int] = []
        self.texts: list[str] = []

    def add_block(self, block: tuple[int, bytes]) -> None:
        """A block of lines starting at line `first`: read by pyarrow, else line by line."""
        first, lines = block
        fields = edx_arrow.block_fields(lines)
        if fields is not None:
            self.add_fields(np.arange(first, first + len(fields["name"]), dtype=np.int64), fields)
            return
        for number, line in enumerate(lines.decode("utf-8", "replace").split("\n"), first):
            self.add_line(number, line)

    def add_line(self, number: int, line: str) -> None:
        """One line of the log, its logging prefix (if any) skipped; read later, with its batch."""
        start = 0 if line.startswith("{") else line.find("{")
        if start < 0:
            if line.strip():
                self.read += 1
                self.rejected.append(Rejection(number, NO_JSON))
            return
        self.read += 1
        self.numbers.append(number)
        text = line[start:] if start else line
        self.texts.append(text if text.endswith("\n") else text + "\n")
        if len(self.texts) >= PIECE:
            self.filled()

    def filled(self) -> _Batch:
        """The batch with its waiting lines read: by pyarrow where it can, line by line elsewhere."""
        numbers = np.asarray(self.numbers, dtype=np.int64)
        for start, end, fields in edx_arrow.pieces(self.texts):
            if fields is None:
                for number, text in zip(self.numbers[start:end], self.texts[start:end], strict=True):
                    self.add_record(_decoded(number, text), counted=True)
                continue
            self.add_fields(numbers[start:end], fields, counted=True)
        self.numbers, self.texts = [], []
        return self

    def add_fields(self, numbers: np.ndarray, fields: dict[str, np.ndarray], counted: bool = False) -> None:
        """Events read in bulk: their line numbers and fields."""
        self.read += 0 if counted else len(numbers)
        fields["course"] = _courses(fields)
        fields["object"] = fields.pop("page")
        self.add_columns(numbers, fields)

    def add_record(self, record: Record, counted: bool = False) -> None:
        """One event decoded in Python (or why it could not be)."""
        self.read += 0 if counted else 1
        fields = record.error or fields_of(record.value)
        if isinstance(fields, str):
            self.rejected.append(Rejection(record.number, fields))
            return
        self.lines.append(record.number)
        self.rows.append(fields)

    def raw(self) -> dict[str, np.ndarray]:
        """The batch's fields by column, in file order (its waiting lines read first, the rejections
        sorted by line: pieces read line by line add theirs late)."""
        self.filled().rejected.sort(key=lambda rejection: rejection.line)
        return super().raw()


def earliest(path: str | Path, course: str | None = None, *, chunk_rows: int = 200_000) -> dict[str, date]:
    """The earliest date of each course among the events `read` would keep (events without a course
    count for `course`): the start of a course the import creates. Reads as `read` does but makes no
    keys, frames or reasons."""
    builder = rows()
    firsts: dict[str, np.datetime64] = {}
    for batch in _batches(path, chunk_rows):
        codes, times = builder.courses_and_times(batch.raw())
        codes[pd.isna(codes)] = course
        code_of, distinct = pd.factorize(codes)  # None (no course at all) gets -1: left out
        for index, code in enumerate(distinct):
            first = times[code_of == index].min()
            firsts[code] = min(first, firsts.get(code, first))
    return {code: pd.Timestamp(first).date() for code, first in firsts.items()}


def _decoded(number: int, text: str) -> Record:
    try:
        return Record(number, json.loads(text))
    except json.JSONDecodeError as error:
        return Record(number, error=f"malformed JSON: {error.msg} (column {error.colno})")
    except RecursionError:
        return Record(number, error="malformed JSON: nested too deeply")


def _courses(fields: dict[str, np.ndarray]) -> np.ndarray:
    """context.course_id, else the course id in the event's path or page."""
    course = fields["course"]
    for i in [i for i, code in enumerate(course) if not code or code.isspace()]:
        course[i] = course_in_path(fields["name"][i]) or course_in_path(fields["page"][i])
    return course


def fields_of(event: Any) -> tuple[str, ...] | str:
    """(username, course id, time, event type, event source, object) as text, or why there are none."""
    if not isinstance(event, dict):
        return "not a JSON object (an Open edX event)"
    context = event.get("context")
    name = _text(event.get("event_type"))
    course = _text(context.get("course_id")) if isinstance(context, dict) else ""
    if not course.strip():
        course = course_in_path(name) or course_in_path(_text(event.get("page")))
    return (_text(event.get("username")), course, _text(event.get("time")), name,
            _text(event.get("event_source")), _text(event.get("page")))
