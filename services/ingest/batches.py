"""What every parser gathers for one chunk, and the loop that cuts a stream of records into chunks.

A `Batch` holds the kept records' line numbers and raw fields (a tuple each, turned into columns once
per chunk), the lines refused outright, how many lines were read, and any extra rows a format keeps
beside its events (xAPI: statement ids and actors' mailboxes), named as `Chunk` attributes. A parser
passes what differs as data: its fields, its `add` function (one record into a batch) and its builder
(`EventRows`). `chunks` gathers until `chunk_rows` lines are read, yields, and yields a last partial
chunk, or an empty one when the stream held nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from services.ingest.event_rows import EventRows
from services.ingest.parsed import Chunk, Rejection


class Batch:
    """The records of one chunk: lines and field tuples kept, rejections, lines read, extra rows."""

    __slots__ = ("extra_columns", "extras", "fields", "lines", "parts", "read", "rejected", "rows")

    def __init__(self, fields: Sequence[str], extras: Mapping[str, Sequence[str]] | None = None) -> None:
        self.fields = fields
        self.lines: list[int] = []  # of the kept records, in step with `rows`
        self.rows: list[tuple] = []  # each kept record's fields, in the order of `fields`
        self.parts: dict[str, list[np.ndarray]] = {}  # columns read in bulk (see add_columns)
        self.rejected: list[Rejection] = []
        self.read = 0
        # Extra rows by Chunk attribute, and their column names (the first being "line").
        self.extra_columns = extras or {}
        self.extras: dict[str, list[tuple]] = {name: [] for name in self.extra_columns}

    def add_columns(self, lines: np.ndarray, columns: Mapping[str, np.ndarray]) -> None:
        """Records read in bulk: their line numbers and each field's values (not counted as read)."""
        if not self.parts:
            self.parts = {name: [] for name in ("line", *self.fields)}
        self.parts["line"].append(lines)
        for name in self.fields:
            self.parts[name].append(columns[name])

    def raw(self) -> dict[str, np.ndarray]:
        """The kept records' fields by column (and "line"), in line order."""
        columns = list(zip(*self.rows, strict=True)) or [() for _ in self.fields]
        raw = {name: np.array(values, dtype=object)
               for name, values in zip(self.fields, columns, strict=True)}
        raw["line"] = np.array(self.lines, dtype=np.int64)
        if not self.parts:
            return raw
        raw = {name: np.concatenate([*parts, raw[name]]) for name, parts in self.parts.items()}
        order = np.argsort(raw["line"], kind="stable")  # records read one by one join the bulk in line order
        return {name: values[order] for name, values in raw.items()}

    def chunk(self, builder: EventRows) -> Chunk:
        """The chunk of this batch: its events (with their own ids under the field "id", if any)."""
        raw = self.raw()
        chunk = builder.chunk(raw, ids=raw.pop("id", None), rejected=self.rejected, lines_read=self.read)
        for name, found in self.extras.items():
            frame = pd.DataFrame(found, columns=list(self.extra_columns[name]))
            setattr(chunk, name, frame[frame["line"].isin(chunk.frame["line"])])  # those of kept events
        return chunk


def batches(found: Iterable[Any], add: Callable[[Batch, Any], None], new: Callable[[], Batch],
            chunk_rows: int) -> Iterator[Batch]:
    """The records added to batches of `chunk_rows` lines read; a last partial batch, or one empty
    batch when there were no records."""
    batch, emitted = new(), False
    for item in found:
        add(batch, item)
        if batch.read >= chunk_rows:
            yield batch
            batch, emitted = new(), True
    if batch.read or not emitted:
        yield batch


def chunks(found: Iterable[Any], add: Callable[[Batch, Any], None], new: Callable[[], Batch],
           builder: EventRows, chunk_rows: int) -> Iterator[Chunk]:
    """The chunks of `batches`, each built by `builder`."""
    for batch in batches(found, add, new, chunk_rows):
        yield batch.chunk(builder)


def text(value: Any) -> str:
    """A field as text: strings as they are, numbers written out, anything else absent."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""
