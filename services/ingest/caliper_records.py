"""The events of a Caliper file or request, out of their envelopes (IMS Caliper 1.1 and 1.2).

A sensor sends envelopes (`{"sensor", "sendTime", "dataVersion", "data": [events]}`); files hold
envelopes or bare events, as JSON lines, one JSON array, or one or more pretty-printed JSON documents
(how Canvas documents its Live Events). `events(...)` yields one `Item` per event with the envelope's
`sendTime` (the event's time when it has no `eventTime`). An envelope's `data` may also describe
entities (no `action`): they are items too, and the parser rejects them as what they are.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from services.ingest.json_records import BLOCK, MAX_ELEMENT, Record, records
from services.ingest.textfile import open_text

ENVELOPE_KEYS = ("sensor", "sendTime", "dataVersion")  # `data` and one of these: an envelope
_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


@dataclass(frozen=True)
class Item:
    """One event (or what stands in its place), numbered, with its envelope's sendTime ("" when none)."""

    number: int
    value: Any = None
    sent: str = ""
    error: str | None = None


def is_envelope(value: Any) -> bool:
    """Whether a JSON value is a Caliper envelope."""
    return isinstance(value, dict) and "data" in value and any(key in value for key in ENVELOPE_KEYS)


def file_records(path: str | Path) -> tuple[Iterator[Record], bool]:
    """The file's top-level JSON values, and whether they are numbered by line (JSON lines) rather than
    by position (an array, or pretty-printed documents one after another)."""
    with open_text(path) as handle:
        first = handle.read(BLOCK)
    start = first.lstrip()
    if start.startswith("{") and not start.split("\n", 1)[0].rstrip().endswith("}"):
        return _documents(path), False  # a pretty-printed object: its first line is not a whole value
    return records(path), not start.startswith("[")


def events(found: Iterable[Record], *, by_line: bool, first: int = 1) -> Iterator[Item]:
    """Each event of the records: numbered by the record's line when `by_line`, else by its position
    among all events (counting from `first`)."""
    position = first - 1
    for record in found:
        if record.error:
            position += 1
            yield Item(record.number if by_line else position, error=record.error)
            continue
        for value, sent in unwrap(record.value):
            position += 1
            yield Item(record.number if by_line else position, value, sent)


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
