"""Records of a JSON file read as a stream: JSON lines, or one big JSON array, in flat memory.

`records(path)` yields `Record`s in file order. For JSON lines `number` is the line number (blank lines
skipped); each line is decoded by orjson, or by the standard library when orjson refuses it or when it
may hold an integer orjson would read as a float (so that every line reads as it always did). For an
array `number` is the element's position (1 = first) and `label` says "statement N: ". An array is
decoded element by element with `json.JSONDecoder.raw_decode` over a buffer refilled from the file, so
memory holds one buffer and the largest element, never the whole array. A malformed array
element ends the reading (where the next element starts cannot be known): the elements before it stand.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import orjson

from services.ingest.textfile import FormatError, open_text

BLOCK = 1 << 20  # characters read at a time
MAX_ELEMENT = 64 << 20  # an array element larger than this is refused rather than buffered
_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
# orjson reads integers beyond 64 bits as floats: a line with 19 digits in a row goes to the standard
# library (the digits found by a byte table, quicker than a pattern).
_DIGITS = bytes(0x30 if 0x30 <= byte <= 0x39 else 0x20 for byte in range(256))
_LONG_NUMBER = b"0" * 19


@dataclass(frozen=True)
class Record:
    """One JSON value of the file, or why it could not be read (`value` None, `error` set)."""

    number: int
    value: Any = None
    error: str | None = None


def shape(text: str) -> str:
    """"array" or "lines" from a file's first characters; FormatError when it is not JSON."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        return "array"
    if stripped.startswith("{"):
        return "lines"
    raise FormatError("not JSON: expected a JSON array ([...]) or JSON lines (one {...} a line)")


def records(path: str | Path) -> Iterator[Record]:
    """The file's records, whether JSON lines or a JSON array."""
    with open_text(path) as handle:
        first = handle.read(BLOCK)
        if shape(first) == "lines":
            yield from _lines(first, handle)
        else:
            yield from _ArrayReader(first, handle)


def _lines(first: str, handle: TextIO) -> Iterator[Record]:
    pending = first
    number = 0
    while True:
        block = handle.read(BLOCK)
        pieces = (pending + block).split("\n")
        pending = pieces.pop() if block else ""
        for piece in pieces:
            number += 1
            yield from _line(number, piece)
        if not block:
            return


def line_records(number: int, text: str) -> Iterator[Record]:
    """The record of one line of JSON lines (none for a blank line), as `records` reads it."""
    return _line(number, text)


def _line(number: int, text: str) -> Iterator[Record]:
    if not text.strip():
        return
    if _LONG_NUMBER not in text.encode("utf-8", "surrogatepass").translate(_DIGITS):
        try:
            yield Record(number, orjson.loads(text))
            return
        except orjson.JSONDecodeError:
            pass  # read again below, for the standard library's verdict and message
    try:
        yield Record(number, json.loads(text))
    except json.JSONDecodeError as error:
        yield Record(number, error=f"malformed JSON: {error.msg} (column {error.colno})")
    except RecursionError:
        yield Record(number, error="malformed JSON: nested too deeply")


class _ArrayReader:
    """The elements of a top-level JSON array, decoded one at a time from a refilled buffer."""

    def __init__(self, first: str, handle: TextIO) -> None:
        self.buffer, self.position, self.handle, self.done = first, 0, handle, False
        self.number = 0

    def __iter__(self) -> Iterator[Record]:
        self._skip_space()
        self.position += 1  # the opening "["
        self._skip_space()
        if self._peek() == "]":
            return
        while True:
            self.number += 1
            record = self._element()
            yield record
            if record.error:
                return
            self._skip_space()
            after = self._peek()
            if after == "]":
                return
            if after != ",":
                yield self._stop("expected ',' or ']' after the statement" if after else "the array is not "
                                 "closed (is the file cut short?)")
                return
            self.position += 1
            self._skip_space()

    def _element(self) -> Record:
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buffer, self.position)
            except json.JSONDecodeError as error:
                if self._more_may_help(error):
                    continue
                return self._stop(f"malformed JSON: {error.msg}")
            except RecursionError:
                return self._stop("malformed JSON: nested too deeply")
            if end >= len(self.buffer) and self._fill():
                continue  # a value at the very end of the buffer may go on in the next block
            self.position = end
            return Record(self.number, value)

    def _more_may_help(self, error: json.JSONDecodeError) -> bool:
        near_end = error.pos >= len(self.buffer) - 1 or error.msg.startswith("Unterminated string")
        return near_end and len(self.buffer) - self.position < MAX_ELEMENT and self._fill()

    def _stop(self, why: str) -> Record:
        why = f"statement {self.number}: {why}; the rest of the array was not read"
        return Record(self.number, error=why)

    def _fill(self) -> bool:
        """Read one more block (dropping what is consumed); False at the end of the file."""
        if self.done:
            return False
        block = self.handle.read(BLOCK)
        self.buffer = self.buffer[self.position:] + block
        self.position = 0
        self.done = not block
        return bool(block)

    def _peek(self) -> str:
        if self.position >= len(self.buffer):
            self._fill()
        return self.buffer[self.position:self.position + 1]

    def _skip_space(self) -> None:
        while True:
            self.position = _SPACE.match(self.buffer, self.position).end()
            if self.position < len(self.buffer) or not self._fill():
                return
