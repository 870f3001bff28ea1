"""The fields of many tracking-log events at once, with pyarrow's JSON reader (several times faster than
decoding each line in Python). It reads only the fields an event needs, as strings. `blocks` reads the
file as bytes in blocks of whole lines, logging prefixes removed in one pass; a block pyarrow reads
with one row per line needs no Python per line at all. A block it refuses (a malformed line, a field of
another JSON type, a line that is not an object, a blank line) goes line by line: `pieces` splits such
lines in two and tries pyarrow on each half again, down to pieces small enough to hand back to the
line-by-line reader, which says what is wrong with each line. The readers give the same fields for a
line they both read."""

from __future__ import annotations

import gzip
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

# Each field read, and the path to it in the event (a field absent or null reads as "").
PATHS = {"learner": ("username",), "course": ("context", "course_id"), "time": ("time",),
         "name": ("event_type",), "source": ("event_source",), "page": ("page",)}
_SCHEMA = pa.schema([
    ("username", pa.string()), ("time", pa.string()), ("event_type", pa.string()),
    ("event_source", pa.string()), ("page", pa.string()),
    ("context", pa.struct([("course_id", pa.string())])),
])
_OPTIONS = pj.ParseOptions(explicit_schema=_SCHEMA, unexpected_field_behavior="ignore",
                           newlines_in_values=False)
_READ = pj.ReadOptions(block_size=1 << 22)  # blocks read in parallel; a line longer than one is refused
SMALLEST = 256  # a refused piece this small goes to the line-by-line reader
BLOCK = 8 << 20  # bytes read at a time (whole lines)
# A logging prefix: whatever comes before a line's first '{' (found after each newline: the block is
# handed over with a newline before it, which the regex engine finds by a fast byte search).
_PREFIX = re.compile(rb"\n[^{\n]+(?=\{)")
_BOM = b"\xef\xbb\xbf"


def blocks(path: str | Path) -> Iterator[tuple[int, bytes]]:
    """(number of the block's first line, the block's lines as bytes, logging prefixes removed)."""
    with _open(path) as stream:
        pending, first = stream.read(BLOCK).removeprefix(_BOM), 1
        # Only a log that starts with a prefix is stripped in bulk (a stray prefixed line elsewhere
        # makes pyarrow refuse its block, which is then read line by line, prefixes and all).
        prefixed = not pending.lstrip().startswith(b"{")
        while pending:
            more = stream.read(BLOCK)
            data = pending + more
            end = data.rfind(b"\n") + 1 if more else len(data)
            if end == 0:  # one line longer than a block: keep reading
                pending = data
                continue
            block, pending = data[:end], data[end:]
            yield first, _PREFIX.sub(b"\n", b"\n" + block)[1:] if prefixed else block
            first += block.count(b"\n")


def starts_prefixed(head: bytes) -> bool:
    """Whether a log whose first bytes are `head` has its logging prefixes stripped in bulk, as `blocks`
    decides it."""
    return not head.removeprefix(_BOM).lstrip().startswith(b"{")


def data_blocks(data: bytes, *, prefixed: bool, at_start: bool) -> Iterator[tuple[int, bytes]]:
    """`blocks` of some whole lines held in memory, numbered from 1."""
    data = data.removeprefix(_BOM) if at_start else data
    first, start = 1, 0
    while start < len(data):
        end = data.rfind(b"\n", start, start + BLOCK) + 1 if start + BLOCK < len(data) else len(data)
        if end <= start:  # one line longer than a block
            end = data.find(b"\n", start + BLOCK) + 1 or len(data)
        block = data[start:end]
        yield first, _PREFIX.sub(b"\n", b"\n" + block)[1:] if prefixed else block
        first += block.count(b"\n")
        start = end


def block_fields(block: bytes) -> dict[str, np.ndarray] | None:
    """The fields of a block's events, one per line; None when pyarrow refuses the block or a line."""
    lines = block.count(b"\n") + (not block.endswith(b"\n"))
    return _fields(block, lines)


def _open(path: str | Path) -> BinaryIO:
    with open(path, "rb") as handle:
        compressed = handle.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if compressed else open(path, "rb")


def pieces(texts: list[str]) -> Iterator[tuple[int, int, dict[str, np.ndarray] | None]]:
    """(start, end, fields) for consecutive pieces of `texts` (each one JSON line ending in a newline):
    the fields as object arrays of strings, or None for a piece to read line by line."""
    yield from _split(texts, 0, len(texts))


def _split(texts: list[str], start: int, end: int) -> Iterator[tuple[int, int, dict[str, np.ndarray] | None]]:
    if start >= end:
        return
    found = _fields("".join(texts[start:end]).encode("utf-8", "surrogatepass"), end - start)
    if found is not None:
        yield start, end, found
    elif end - start <= SMALLEST:
        yield start, end, None
    else:
        middle = (start + end) // 2
        yield from _split(texts, start, middle)
        yield from _split(texts, middle, end)


def _fields(data: bytes, count: int) -> dict[str, np.ndarray] | None:
    # Any refusal, in reading or in turning the values into Python strings (bytes that are not UTF-8
    # pass the reader but not the conversion), sends the lines to the line-by-line reader.
    try:
        table = pj.read_json(io.BytesIO(data), parse_options=_OPTIONS, read_options=_READ)
        if table.num_rows != count:  # lines pyarrow skips or splits differently: let Python read them
            return None
        names = ("username", "time", "event_type", "event_source", "page")
        columns = {name: table.column(name) for name in names}
        columns["course_id"] = pc.struct_field(table.column("context"), "course_id")  # null where context is
        return {name: _strings(columns[path[-1]]) for name, path in PATHS.items()}
    except (pa.ArrowException, UnicodeError):
        return None


def _strings(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(column.fill_null("").to_numpy(zero_copy_only=False), dtype=object)
