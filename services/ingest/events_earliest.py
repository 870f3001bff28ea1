"""The earliest date of each course in an events CSV (the start of a course an import creates), in a
pass several times cheaper than reading the events: pyarrow's CSV reader, names, sources, learners and
courses checked once per distinct value, canonical times ("2014-06-01T08:30:00") parsed by pyarrow and
any other time by the same pandas parser the import uses. It keeps exactly the events `events_csv.read`
keeps: lines with too few fields are padded as pandas pads them, lines with too many skipped; a file
pyarrow cannot read this way (not UTF-8, say) is read by the slower pandas pass instead.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

import services.ingest.events_csv as events_csv
from services.ingest.event_map import normal
from services.ingest.event_rows import EARLIEST, LATEST, EventRows, parse_times
from services.ingest.textfile import is_gzip

CANONICAL = "%Y-%m-%dT%H:%M:%S"
CHECKED = ("enrollment_id", "course_id", "time", "event", "source")


def earliest(path: str | Path, course: str | None = None) -> dict[str, date]:
    """The earliest date of each course among the events `events_csv.read` keeps (events without
    course_id count for `course`)."""
    try:
        firsts = _with_arrow(path, course)
    except pa.ArrowInvalid:  # not UTF-8, or a quoting pyarrow does not take as pandas does
        return events_csv.earliest(path, course)
    return {code: pd.Timestamp(first).date() for code, first in firsts.items()}


def _with_arrow(path: str | Path, course: str | None) -> dict[str, np.datetime64]:
    columns = events_csv.header(path)
    builder = events_csv.rows()
    short: list[str] = []

    def invalid(row) -> str:
        if row.actual_columns < row.expected_columns and row.text is not None:
            short.append(row.text)  # pandas pads these with empty values; lines with more are skipped
        return "skip"

    names = [f"c{i}" for i in range(len(columns))]
    wanted = {name: names[columns.index(name)] for name in CHECKED if name in columns}
    reader = pacsv.open_csv(
        pa.input_stream(str(path), compression="gzip" if is_gzip(path) else None),
        memory_pool=pa.system_memory_pool(),  # the C library's allocator gives the blocks back after the pass
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 20),
        parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=invalid),
        convert_options=pacsv.ConvertOptions(
            include_columns=list(wanted.values()),
            column_types={name: pa.string() for name in wanted.values()},
            strings_can_be_null=False, quoted_strings_can_be_null=False,
        ),
    )
    firsts: dict[str, np.datetime64] = {}
    for batch in reader:
        raw = {name: batch.column(column) for name, column in wanted.items()}
        _first_times(firsts, *_batch_times(raw, builder, course, len(batch)))
    if short:
        _first_times(firsts, *_short_times(short, columns, builder, course))
    pa.default_memory_pool().release_unused()
    return firsts


def _batch_times(raw: dict[str, pa.Array], builder: EventRows, course: str | None, rows: int):
    """The course code and time of each event of an arrow batch that the import keeps."""
    good = np.ones(rows, dtype=bool)
    if "source" in raw:
        good &= _per_value(raw["source"], lambda v: builder.sources.get(normal(v), "\0") != "\0")
    good &= _per_value(raw["event"], lambda v: builder.event_map.type_of(normal(v)) is not None)
    good &= _per_value(raw["enrollment_id"], lambda v: v.strip() != "")
    time = _arrow_times(raw["time"])
    good &= ~np.isnat(time)
    codes = _codes(raw["course_id"], course) if "course_id" in raw else np.full(rows, course, dtype=object)
    return codes[good], time[good]


def _per_value(values: pa.Array, test) -> np.ndarray:
    """`test(value)` of each row, called once per distinct value."""
    encoded = pc.dictionary_encode(values)
    results = np.array([test(value) for value in encoded.dictionary.to_pylist()] + [False], dtype=bool)
    return results[encoded.indices.to_numpy(zero_copy_only=False)]


def _codes(values: pa.Array, course: str | None) -> np.ndarray:
    """Each row's course code (stripped; empty: the import's course), looked up once per distinct value."""
    encoded = pc.dictionary_encode(values)
    codes = [value.strip() or course for value in encoded.dictionary.to_pylist()]
    return np.array(codes + [None], dtype=object)[encoded.indices.to_numpy(zero_copy_only=False)]


def _arrow_times(text: pa.Array) -> np.ndarray:
    """Times as naive UTC datetime64[ns] (NaT when unusable): canonical ones ("2014-06-01T08:30:00",
    a valid date and time from 1970 to 2199) read from their bytes with numpy, the others by the
    import's own parser."""
    time = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[ns]")
    fixed = np.flatnonzero(pc.equal(pc.binary_length(text), len("2014-06-01T08:30:00")).to_numpy(
        zero_copy_only=False))
    seconds = _canonical_seconds(pa.concat_arrays([text.take(pa.array(fixed, type=pa.int64()))]))
    canonical = seconds >= 0
    time[fixed[canonical]] = seconds[canonical].astype("datetime64[s]")
    others = np.ones(len(text), dtype=bool)
    others[fixed[canonical]] = False
    others = np.flatnonzero(others)
    if len(others):
        time[others] = parse_times(np.array(text.take(pa.array(others)).to_pylist(), dtype=object))[0]
    return time


def _canonical_seconds(text: pa.Array) -> np.ndarray:
    """Seconds since 1970 of each 19-byte text that is a canonical valid time (-1 for any other)."""
    if not len(text):
        return np.empty(0, dtype=np.int64)
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int32)[text.offset : text.offset + len(text) + 1]
    data = np.frombuffer(text.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]].reshape(-1, 19)
    digits = data - np.uint8(48)  # wraps below '0': one comparison checks both ends
    ok = (digits[:, [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]] <= 9).all(axis=1)
    separators = {4: "-", 7: "-", 10: "T", 13: ":", 16: ":"}
    for position, separator in separators.items():
        ok &= data[:, position] == ord(separator)
    d = digits.astype(np.int64)
    year = d[:, 0] * 1000 + d[:, 1] * 100 + d[:, 2] * 10 + d[:, 3]
    month, day = d[:, 5] * 10 + d[:, 6], d[:, 8] * 10 + d[:, 9]
    hour, minute, second = d[:, 11] * 10 + d[:, 12], d[:, 14] * 10 + d[:, 15], d[:, 17] * 10 + d[:, 18]
    # The import's range (from January 1st of EARLIEST's year to before LATEST's) in whole years.
    ok &= (year >= EARLIEST.year) & (year < LATEST.year) & (month >= 1) & (month <= 12) & (day >= 1)
    ok &= (hour < 24) & (minute < 60) & (second < 60)
    months = np.where(ok, (year - 1970) * 12 + month - 1, 0)
    first = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    length = (months + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) - first
    ok &= day <= length
    seconds = (first + day - 1) * 86_400 + hour * 3_600 + minute * 60 + second
    return np.where(ok, seconds, -1)


def _short_times(lines: list[str], columns: list[str], builder: EventRows, course: str | None):
    """The course code and time of the events on lines with too few fields (padded with "")."""
    rows = [(fields + [""] * len(columns))[: len(columns)] for fields in csv.reader(lines)]
    table = {name: np.array([row[i] for row in rows], dtype=object) for i, name in enumerate(columns)}
    empty = np.full(len(rows), "", dtype=object)
    raw = {name: table.get(column, empty) for name, column in events_csv.CHECKED_FIELDS.items()}
    codes, times = builder.courses_and_times(raw)
    codes[pd.isna(codes)] = course
    return codes, times


def _first_times(firsts: dict[str, np.datetime64], codes: np.ndarray, times: np.ndarray) -> None:
    """Lower each course's first time to the earliest of these (rows without a course left out)."""
    code_of, distinct = pd.factorize(codes)
    if not len(distinct):
        return
    order = np.argsort(code_of, kind="stable")
    ordered = code_of[order]
    starts = np.flatnonzero(np.append(True, ordered[1:] != ordered[:-1]))
    lowest = np.minimum.reduceat(times[order], starts)
    for index, first in zip(ordered[starts].tolist(), lowest, strict=True):
        if index >= 0:
            code = distinct[index]
            firsts[code] = min(first, firsts.get(code, first))
