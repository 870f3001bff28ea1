"""The events of a Caliper file or request, out of their envelopes (IMS Caliper 1.1 and 1.2).

A sensor sends envelopes (`{"sensor", "sendTime", "dataVersion", "data": [events]}`); files hold
envelopes or bare events, as JSON lines, one JSON array, or one or more pretty-printed JSON documents
(how Canvas documents its Live Events). `events(...)` yields one `Item` per event with the envelope's
`sendTime` (the event's time when it has no `eventTime`), a plain tuple (they are made by the million).
An envelope's `data` may also describe entities (no `action`): they are items too, and the parser
rejects them as what they are.

Why not json_records alone: a JSON array is read by it (`records`), but JSON lines are read here as
bytes and decoded by orjson without json_records' check for integers beyond 64 bits (what a Caliper
file has read as so far), and Caliper also comes as pretty-printed documents one after another, which
json_records does not read; a file's lines or documents are numbered differently, too (see file_records).
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, TextIO

import orjson

from services.ingest.json_records import BLOCK, MAX_ELEMENT, Record, records
from services.ingest.textfile import is_gzip, open_text

_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


# One event (or what stands in its place): (number, value, the envelope's sendTime or "", error or None).
Item = tuple[int, Any, str, str | None]


def is_envelope(value: Any) -> bool:
    """Whether a JSON value is a Caliper envelope."""
    return type(value) is dict and "data" in value and (
        "sensor" in value or "sendTime" in value or "dataVersion" in value)


def file_records(path: str | Path) -> tuple[Iterator[tuple[int, Any, str | None]], bool]:
    """The file's top-level JSON values as (number, value, error), and whether they are numbered by line
    (JSON lines) rather than by position (an array, or pretty-printed documents one after another)."""
    with open_text(path) as handle:
        first = handle.read(BLOCK)
    if by_line(first):
        return _lines(path), True
    if first.lstrip().startswith("["):
        return _plain(records(path)), False
    return _plain(_documents(path)), False  # a pretty-printed object: its first line is not a whole value


def by_line(first: str) -> bool:
    """Whether a file whose first characters are `first` is read line by line (JSON lines): not an
    array, nor a pretty-printed object."""
    start = first.lstrip()
    return not start.startswith("[") and not (
        start.startswith("{") and not start.split("\n", 1)[0].rstrip().endswith("}"))


def data_lines(data: bytes, *, at_start: bool) -> Iterator[tuple[int, Any, str | None]]:
    """Some whole lines of JSON lines held in memory, numbered from 1 and read as `_lines` reads a file's
    (`at_start`: they begin the file, so the first may carry a byte order mark)."""
    pieces = data.split(b"\n")
    lines = [piece + b"\n" for piece in pieces[:-1]] + ([pieces[-1]] if pieces[-1] else [])
    for number, line in enumerate(lines, 1):
        try:
            yield number, orjson.loads(line), None
        except orjson.JSONDecodeError:
            for _, value, error in _slow_line(1 if at_start and number == 1 else 2, line):
                yield number, value, error


def events(found: Iterable[tuple[int, Any, str | None]], *, by_line: bool) -> Iterator[Item]:
    """Each event of the values: numbered by the value's line when `by_line`, else by its position
    among all events (1 = first)."""
    position = 0
    for number, value, error in found:
        if error:
            position += 1
            yield (number if by_line else position), None, "", error
            continue
        if type(value) is dict:  # the common cases made short: a bare event, an envelope of one event
            data = value.get("data")
            if data is None:
                position += 1
                yield (number if by_line else position), value, "", None
                continue
            if type(data) is list and len(data) == 1 and is_envelope(value):
                sent = value.get("sendTime")
                position += 1
                yield (number if by_line else position), data[0], sent if type(sent) is str else "", None
                continue
        for event, sent in unwrap(value):
            position += 1
            yield (number if by_line else position), event, sent, None


def unwrap(value: Any) -> Iterator[tuple[Any, str]]:
    """The events of one JSON value (an envelope, a list of envelopes or events, or an event), each with
    its envelope's sendTime."""
    for item in value if isinstance(value, list) else [value]:
        if not is_envelope(item):
            yield item, ""
            continue
        sent = item.get("sendTime") if isinstance(item.get("sendTime"), str) else ""
        data = item["data"]
        for event in data if isinstance(data, list) else [data]:
            yield event, sent


def open_bytes(path: str | Path) -> BinaryIO:
    """The file's bytes, whether plain or gzip-compressed."""
    return gzip.open(path, "rb") if is_gzip(path) else open(path, "rb")  # noqa: SIM115 (returned open)


def _plain(found: Iterable[Record]) -> Iterator[tuple[int, Any, str | None]]:
    for record in found:
        yield record.number, record.value, record.error


def _lines(path: str | Path) -> Iterator[tuple[int, Any, str | None]]:
    """JSON lines, read as bytes by the file's own line iterator and decoded by orjson (the quickest way
    through a large file); a line orjson refuses is read again as the other formats read it (undecodable
    bytes replaced, NaN and lone surrogates allowed), so that both give the same values and reasons."""
    with open_bytes(path) as handle:
        for number, line in enumerate(handle, 1):
            try:
                yield number, orjson.loads(line), None
            except orjson.JSONDecodeError:
                yield from _slow_line(number, line)


def _slow_line(number: int, line: bytes) -> Iterator[tuple[int, Any, str | None]]:
    text = line.decode("utf-8-sig" if number == 1 else "utf-8", errors="replace")
    if not text.strip():
        return
    try:
        yield number, json.loads(text), None
    except json.JSONDecodeError as error:
        yield number, None, f"malformed JSON: {error.msg} (column {error.colno})"
    except RecursionError:
        yield number, None, "malformed JSON: nested too deeply"


def _documents(path: str | Path) -> Iterator[Record]:
    with open_text(path) as handle:
        yield from _Documents(handle)


class _Documents:
    """JSON values one after another, separated by white space, decoded from a refilled buffer."""

    def __init__(self, handle: TextIO) -> None:
        self.handle, self.buffer, self.position, self.done = handle, "", 0, False

    def __iter__(self) -> Iterator[Record]:
        number = 0
        while True:
            self.position = _SPACE.match(self.buffer, self.position).end()
            if self.position >= len(self.buffer):
                if self._fill():
                    continue
                return
            number += 1
            record = self._value(number)
            yield record
            if record.error:
                return

    def _value(self, number: int) -> Record:
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buffer, self.position)
            except json.JSONDecodeError as error:
                if len(self.buffer) - self.position < MAX_ELEMENT and self._fill():
                    continue  # the value may go on in the next block
                why = f"malformed JSON: {error.msg} (document {number}); the rest of the file was not read"
                return Record(number, error=why)
            except RecursionError:
                return Record(number, error="malformed JSON: nested too deeply")
            self.position = end
            return Record(number, value)

    def _fill(self) -> bool:
        if self.done:
            return False
        block = self.handle.read(BLOCK)
        self.buffer = self.buffer[self.position:] + block
        self.position = 0
        self.done = not block
        return bool(block)
