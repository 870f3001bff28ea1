"""Activity file formats: detection from the content, and one parser per format.

`read(path, fmt="auto", **options)` yields the file's `Chunk`s (options: `chunk_rows`, `event_map`);
`detect(path)` names the format from the first bytes. `statements_chunk` and `event_rows_chunk` parse
what the API receives in one request. Every failure to read a whole file is a `FormatError` whose
message a person can act on; single bad lines are rejections inside the chunks.
"""

from __future__ import annotations

import csv
import importlib
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import services.ingest.caliper as caliper
import services.ingest.edx as edx
import services.ingest.events_csv as events_csv
import services.ingest.moodle_sheet as moodle_sheet
import services.ingest.xapi as xapi
from modelling.event_types import EVENT_TYPES
from services.ingest.caliper_records import file_records, is_envelope
from services.ingest.json_records import records
from services.ingest.parsed import Chunk
from services.ingest.textfile import FormatError, head

FORMATS = ("daily", "events", "xapi", "edx", "moodle", "caliper")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

__all__ = [
    "FORMATS",
    "PARSERS",
    "FormatError",
    "detect",
    "event_rows_chunk",
    "options_for",
    "read",
    "statements_chunk",
]


class _Parsers(Mapping):
    """Format name -> `read(path, *, chunk_rows, event_map)`. The daily parser is imported when first
    asked for, so that the event formats work (and are tested) without it."""

    _modules = {
        "daily": "services.ingest.daily",
        "events": events_csv,
        "xapi": xapi,
        "edx": edx,
        "moodle": "services.ingest.moodle_logs",
        "caliper": caliper,
    }

    def __getitem__(self, fmt: str) -> Callable[..., Iterator[Chunk]]:
        module = self._modules[fmt]
        if isinstance(module, str):
            try:
                module = importlib.import_module(module)
            except ImportError as error:
                raise FormatError(f"the {fmt} format cannot be read here: {error}") from None
        return module.read

    def __contains__(self, fmt: object) -> bool:
        return fmt in self._modules

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __len__(self) -> int:
        return len(self._modules)


PARSERS = _Parsers()
# Import options a format's reader takes besides chunk_rows and event_map (the others need none).
READ_OPTIONS = {"moodle": ("course", "date_order", "time_zone")}


def options_for(fmt: str, **given: Any) -> dict[str, Any]:
    """The import options the reader of `fmt` takes, out of those given."""
    return {name: given.get(name) for name in READ_OPTIONS.get(fmt, ())}


def read(path: str | Path, fmt: str = "auto", **options: Any) -> Iterator[Chunk]:
    """The file's chunks, parsed as `fmt` ("auto": as `detect` says)."""
    if fmt == "auto":
        fmt = detect(path)
    if fmt not in PARSERS:
        raise FormatError(f"unknown format {fmt!r}: one of auto, {', '.join(FORMATS)}")
    return PARSERS[fmt](path, **options)


def detect(path: str | Path) -> str:
    """The format of a file, from its first bytes: "daily", "events", "xapi", "edx", "moodle" or
    "caliper"."""
    if moodle_sheet.is_xlsx(path):
        return "moodle"  # the one spreadsheet format: its reader checks the header
    text = head(path)
    if not text.strip():
        raise FormatError("the file is empty")
    if edx.prefixed(text):  # a tracking log whose lines start with a logging prefix (Tutor, syslog)
        return "edx"
    if text.lstrip()[:1] in "[{":
        return _json_format(path)
    return _csv_format(text)


def _json_format(path: str | Path) -> str:
    if _is_caliper(path):
        return "caliper"
    first = next(iter(records(path)), None)
    if first is None:
        raise FormatError("a JSON file without any record")
    if first.error:
        raise FormatError(f"JSON, but its first record cannot be read: {first.error}")
    if isinstance(first.value, dict):
        if "verb" in first.value or "actor" in first.value:
            return "xapi"
        if "event_type" in first.value:
            return "edx"
    raise FormatError(
        "JSON, but its first record is neither an xAPI statement (with verb and actor), an Open edX "
        "event (with event_type) nor a Caliper envelope or event (with action)"
    )


def _is_caliper(path: str | Path) -> bool:
    """Whether the file's first value is a Caliper envelope, or an event (an action, no verb)."""
    found, _ = file_records(path)
    _, value, _ = next(iter(found), (0, None, None))
    if isinstance(value, list):  # a line holding a list of envelopes or events
        value = value[0] if value else None
    return is_envelope(value) or (isinstance(value, dict) and "action" in value and "verb" not in value)


def _csv_format(text: str) -> str:
    lines = text.splitlines()
    columns = [name.strip().lower() for name in next(csv.reader(lines[:1]))]
    if "label" in columns and "time" not in columns:
        raise FormatError("an outcomes file (enrollment_id, label): import it with import-outcomes")
    if "time" in columns and "event" in columns:
        return "events"
    if moodle_sheet.looks_like_logs(lines[0]):
        return "moodle"
    if "time" in columns and any(name.startswith("event_") or name in EVENT_TYPES for name in columns):
        when = _first_value(lines, columns.index("time"))
        if when is None or _DATE.match(when):
            return "daily"
        raise FormatError(
            f"a CSV with event-count columns (daily), but its time {when!r} is not a date "
            "(YYYY-MM-DD); one row per event needs the columns time and event"
        )
    raise FormatError(
        "cannot tell the format: expected a CSV whose header has time and event (events) or time and "
        "event_<type> columns (daily), a Moodle Logs download (Time, User full name, Event name), or "
        "JSON (xAPI statements, Open edX log); the first line is "
        f"{lines[0][:80]!r}"
    )


def _first_value(lines: list[str], column: int) -> str | None:
    for row in csv.reader(lines[1:]):
        if row:
            return row[column].strip() if column < len(row) else ""
    return None


def statements_chunk(statements: list[Any], *, event_map: Mapping[str, Any] | str | None = None) -> Chunk:
    """The events of xAPI statements received in one request; `line` is the index in the list."""
    return xapi.statements_chunk(statements, event_map=event_map)


def event_rows_chunk(rows: list[Any], *, event_map: Mapping[str, Any] | str | None = None) -> Chunk:
    """Events received in one request (enrollment_id, course_id, time, event, source?, object?)."""
    return events_csv.rows_chunk(rows, event_map=event_map)
