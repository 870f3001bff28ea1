"""The events CSV: one row per event, the shape of the KDD Cup 2015 raw log.

Columns: `enrollment_id`, `time` (ISO 8601; without an offset it is taken as UTC), `event` (a type or a
name the event map knows), optional `source` (server or browser; empty: unknown), `object`, `course_id`.
Header names are compared without case. Read with pandas in chunks, vectorised: no Python per row.
Line numbers count the header as line 1 and assume no line break inside a quoted value.
"""

from __future__ import annotations

import csv
import re
import warnings
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from services.ingest.batches import Batch, chunks
from services.ingest.batches import text as _text
from services.ingest.event_map import for_format
from services.ingest.event_rows import EventRows
from services.ingest.parsed import Chunk, Rejection
from services.ingest.textfile import FormatError, head, is_gzip

REQUIRED = ("enrollment_id", "time", "event")
OPTIONAL = ("source", "object", "course_id")
SOURCES = {"server": "server", "browser": "browser", "": None}
# The raw fields that decide whether an event is kept, and their columns.
CHECKED_FIELDS = {"learner": "enrollment_id", "course": "course_id", "time": "time", "name": "event",
            "source": "source"}
FIELDS = ("learner", "course", "time", "name", "source", "object")
# The keys of a pushed event holding FIELDS, in that order.
ITEM_COLUMNS = ("enrollment_id", "course_id", "time", "event", "source", "object")
_SKIPPED = re.compile(r"Skipping line (\d+): (.*)")


def rows(event_map: Mapping[str, Any] | str | None = None) -> EventRows:
    """The events-CSV way of checking rows (also used for events pushed through the API)."""
    return EventRows(for_format("events", event_map), "enrollment_id", SOURCES)


def read(path: str | Path, *, chunk_rows: int = 200_000,
         event_map: Mapping[str, Any] | str | None = None) -> Iterator[Chunk]:
    """The file's events, chunk by chunk; bad lines come back as rejections with their line numbers."""
    columns = header(path)
    builder = rows(event_map)
    lines = _Lines()
    for frame, rejected in _frames(path, chunk_rows, lines):
        if frame is None:
            yield builder.chunk(_empty(), rejected=rejected, lines_read=len(rejected))
        else:
            yield _chunk(frame, columns, builder, lines, rejected)


def earliest(path: str | Path, course: str | None = None, *, chunk_rows: int = 200_000) -> dict[str, date]:
    """The earliest date of each course among the events `read` would keep (events without course_id
    count for `course`): the start of a course the import creates. Checks rows as `read` does but
    makes no keys, frames or reasons."""
    columns = header(path)
    builder = rows()
    firsts: dict[str, np.datetime64] = {}
    lines = _Lines()
    for frame, _rejected in _frames(path, chunk_rows, lines):
        if frame is None:
            continue
        frame.columns = columns
        lines.of(frame.index.to_numpy())  # the line a read error names
        keep = ~_blank(frame)
        raw = {name: _column(frame, field, keep) for name, field in CHECKED_FIELDS.items()}
        codes, times = builder.courses_and_times(raw)
        codes[pd.isna(codes)] = course
        code_of, distinct = pd.factorize(codes)  # None (no course at all) gets -1: left out
        for index, code in enumerate(distinct):
            first = times[code_of == index].min()
            firsts[code] = min(first, firsts.get(code, first))
    return {code: pd.Timestamp(first).date() for code, first in firsts.items()}


def _frames(path: str | Path, chunk_rows: int, lines: _Lines) -> Iterator[tuple[pd.DataFrame | None, list]]:
    """pandas' frames of the file with the rejections of the lines it skipped; a last (None, rejected)
    when lines were skipped after the last frame."""
    reader = pd.read_csv(
        path, chunksize=chunk_rows, dtype=object, na_filter=False, skip_blank_lines=False,
        on_bad_lines="warn", encoding="utf-8-sig", encoding_errors="replace",
        compression="gzip" if is_gzip(path) else None,
    )
    with reader:
        while True:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", pd.errors.ParserWarning)
                try:
                    frame = next(reader)
                except StopIteration:
                    frame = None
                except (pd.errors.ParserError, UnicodeError) as error:
                    raise FormatError(f"the CSV cannot be read past line {lines.last}: {error}") from None
            rejected = lines.skipped([str(warning.message) for warning in caught])
            if frame is None:
                if rejected:
                    yield None, rejected
                return
            yield frame, rejected


def header(path: str | Path) -> list[str]:
    """The lowercased column names of the file's header line (FormatError when a required one is missing)."""
    first = head(path).splitlines()[:1]
    if not first:
        raise FormatError("the file is empty: an events CSV starts with a header line")
    columns = [name.strip().lower() for name in next(csv.reader(first))]
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise FormatError(
            f"an events CSV needs the columns {', '.join(REQUIRED)}; missing: {', '.join(missing)} "
            f"(header: {', '.join(columns)})"
        )
    return columns


def _chunk(frame: pd.DataFrame, columns: list[str], builder: EventRows, lines: _Lines,
           rejected: list[Rejection]) -> Chunk:
    frame.columns = columns
    line = lines.of(frame.index.to_numpy())
    keep = ~_blank(frame)
    raw = {
        "line": line[keep],
        "learner": frame["enrollment_id"].to_numpy()[keep],
        "course": _column(frame, "course_id", keep),
        "time": frame["time"].to_numpy()[keep],
        "name": frame["event"].to_numpy()[keep],
        "source": _column(frame, "source", keep),
        "object": _column(frame, "object", keep),
    }
    return builder.chunk(raw, rejected=rejected, lines_read=int(keep.sum()) + len(rejected))


def _blank(frame: pd.DataFrame) -> np.ndarray:
    """Empty lines (pandas gives them as rows of empty values): not events, so neither kept nor rejected."""
    blank = frame["enrollment_id"].to_numpy() == ""
    if blank.any():
        blank[blank] = (frame[blank] == "").all(axis=1).to_numpy()
    return blank


def _column(frame: pd.DataFrame, name: str, keep: np.ndarray) -> np.ndarray:
    if name not in frame.columns:
        return np.full(int(keep.sum()), "", dtype=object)
    return frame[name].to_numpy()[keep]


def _empty() -> dict[str, np.ndarray]:
    return {"line": np.array([], dtype=np.int64), **{name: np.array([], dtype=object) for name in FIELDS}}


class _Lines:
    """File line numbers of pandas' row numbers, given the lines it skipped (wrong field counts)."""

    def __init__(self) -> None:
        self._skipped: list[int] = []
        self.last = 1

    def skipped(self, messages: list[str]) -> list[Rejection]:
        """Rejections for the lines pandas reported skipping, remembered for the numbering."""
        found = []
        for message in messages:
            match = _SKIPPED.search(message)
            if match:
                line, why = int(match.group(1)), match.group(2).strip()
                self._skipped.append(line)
                found.append(Rejection(line, f"{why} (a value with a comma needs quotes)"))
        self._skipped.sort()
        return found

    def of(self, rows: np.ndarray) -> np.ndarray:
        """The line of each row: header is line 1, and each skipped line before a row pushes it down."""
        skipped = np.asarray(self._skipped, dtype=np.int64)
        # The i-th skipped line (0-based) has s_i - 2 - i data rows before it.
        before = np.searchsorted(skipped - 2 - np.arange(len(skipped)), rows, side="right")
        line = rows.astype(np.int64) + 2 + before
        if len(line):
            self.last = int(line[-1])
        return line


def rows_chunk(items: list[Any], *, event_map: Mapping[str, Any] | str | None = None) -> Chunk:
    """Events sent in one request (dicts with the CSV's columns); a rejection's `line` is the list index."""
    found = enumerate(items)
    return next(chunks(found, _add_item, _batch, rows(event_map), max(len(items), 1)))


def _add_item(batch: Batch, item: tuple[int, Any]) -> None:
    batch.read += 1
    index, value = item
    if not isinstance(value, dict):
        batch.rejected.append(Rejection(index, "not a JSON object (an event)"))
        return
    batch.lines.append(index)
    batch.rows.append(tuple(_text(value.get(column)) for column in ITEM_COLUMNS))


def _batch() -> Batch:
    return Batch(FIELDS)
