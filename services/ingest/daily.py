"""The daily CSV format: one row per learner and calendar day with a count per event type.

Header: `enrollment_id`, `time` (YYYY-MM-DD) and one column per event type named `event_<type>` or
`<type>` (a type without a column counts 0); optional `course_id`, `server`, `browser`. The file is
read in chunks of `chunk_rows` lines, so memory stays flat whatever its size. A bad row becomes a
`Rejection` with its file line and the good rows go on. Each reason starts with its kind, then a colon
(the store counts rejections per kind). Line numbers assume no quoted line breaks inside a cell.
"""

from __future__ import annotations

import csv
import re
import warnings
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from db.courses import EVENT_TYPES, SOURCES
from db.text import UNSTORABLE_TEXT, storable
from services.ingest.parsed import DAILY_COLUMNS, Chunk, Rejection

LEARNER, TIME, COURSE = "enrollment_id", "time", "course_id"
_SKIPPED = re.compile(r"Skipping line (\d+): (.*)")
MAX_COUNT = 2**31 - 1  # the store's count columns are 32-bit integers


class HeaderError(ValueError):
    """The file's first line is not a daily CSV header the reader can use."""


def _header(path: str | Path) -> list[str]:
    """The header's column names as written (the first line, read as CSV; a UTF-8 BOM is dropped)."""
    with open(path, "rb") as handle:  # binary: decoding stops at the first line, whatever follows
        first = handle.readline(1 << 16).decode("utf-8-sig")
    if not first.strip():
        raise HeaderError("not a daily activity CSV: the first line is empty")
    return next(csv.reader([first]))


def _lowered(name: str) -> str:
    return name.strip().lower()


def columns_of(names: list[str]) -> dict[str, str]:
    """Map each header name the format uses to its role (learner, time, course, a type or a source)."""
    roles: dict[str, str] = {}
    for name in names:
        bare = name.removeprefix("event_")
        if name in (LEARNER, TIME, COURSE) or name in SOURCES:
            roles[name] = name
        elif bare in EVENT_TYPES and bare not in roles.values():
            roles[name] = bare
    return roles


def read(path: str | Path, *, chunk_rows: int = 200_000, event_map: dict | None = None) -> Iterator[Chunk]:
    """Stream a daily CSV as Chunks of kind "daily" (`event_map` is unused: the columns name the types)."""
    del event_map  # the daily format names its types in the header; kept for the registry's signature
    header = _header(path)
    roles = columns_of([_lowered(name) for name in header])
    missing = [name for name in (LEARNER, TIME) if name not in roles]
    if missing:
        raise HeaderError(f"not a daily activity CSV: no {' or '.join(missing)} column in the header")
    skipped: list[int] = []
    reader = pd.read_csv(
        path,
        chunksize=chunk_rows,
        # Python strings: the block is validated row-wise only where it is bad, and object columns
        # convert to arrays without the copies pandas' Arrow-backed strings need.
        dtype={name: object for name in header if _lowered(name) in (LEARNER, TIME, COURSE)},
        keep_default_na=False,
        na_values=[""],
        skip_blank_lines=False,
        on_bad_lines="warn",
        encoding_errors="strict",
    )
    with reader:
        while True:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", pd.errors.ParserWarning)
                try:
                    raw = next(reader)
                except StopIteration:
                    return
            malformed = _malformed(caught)
            skipped.extend(rejection.line for rejection in malformed)
            # All columns are parsed (not usecols) so that a line with too many fields is reported.
            raw = raw[[name for name in raw.columns if _lowered(str(name)) in roles]]
            raw.columns = [roles[_lowered(str(name))] for name in raw.columns]
            yield _chunk(raw, _line_numbers(raw.index.to_numpy(), sorted(skipped)), malformed)


def _malformed(caught: list[warnings.WarningMessage]) -> list[Rejection]:
    """Lines the CSV parser skipped (wrong number of fields), from its warnings."""
    rejections = []
    for warning in caught:
        for line_text in str(warning.message).splitlines():
            found = _SKIPPED.search(line_text)
            if found:
                rejections.append(Rejection(int(found.group(1)), f"malformed line: {found.group(2)}"))
    return rejections


def _line_numbers(rows: np.ndarray, skipped: list[int]) -> np.ndarray:
    """File lines of the kept rows: row r is line r + 2, pushed on past each skipped line before it."""
    lines = rows.astype(np.int64) + 2
    for line in skipped:
        lines[lines >= line] += 1
    return lines


class _Reasons:
    """The first reason each row of a block is rejected for (a row keeps its first reason)."""

    def __init__(self, rows: int) -> None:
        self.bad = np.zeros(rows, dtype=bool)
        self.text: dict[int, str] = {}

    def note(self, mask, reason) -> None:
        """Give rows in `mask` that have no reason yet the reason `reason(i)`."""
        fresh = np.asarray(mask) & ~self.bad
        if fresh.any():
            for i in np.flatnonzero(fresh):
                self.text[int(i)] = reason(i)
            self.bad |= fresh


def _per_distinct(text: pd.Series, convert, missing, dtype) -> np.ndarray:
    """`convert` applied to each distinct value of `text` once (a file repeats its learners and
    dates), spread back to every row; `missing` where the cell is empty."""
    codes, distinct = pd.factorize(text.to_numpy(dtype=object), use_na_sentinel=True)
    converted = np.asarray(convert(pd.Series(distinct, dtype=object)), dtype=dtype)
    out = np.full(len(codes), missing, dtype=dtype)
    known = codes >= 0
    out[known] = converted[codes[known]]
    return out


def _dates(text: pd.Series) -> np.ndarray:
    """YYYY-MM-DD text as datetime64 (NaT where it is not one)."""

    def parse(values: pd.Series):
        return pd.to_datetime(values.str.strip(), format="%Y-%m-%d", errors="coerce").to_numpy(
            "datetime64[ns]"
        )

    return _per_distinct(text, parse, np.datetime64("NaT"), "datetime64[ns]")


def _stripped(text: pd.Series) -> np.ndarray:
    """Text cells without surrounding spaces; None where empty."""
    stripped = _per_distinct(text, lambda values: values.str.strip().to_numpy(dtype=object), None, object)
    stripped[stripped == ""] = None
    return stripped


def _chunk(raw: pd.DataFrame, lines: np.ndarray, malformed: list[Rejection]) -> Chunk:
    """Validate one block of rows into a daily Chunk and its Rejections."""
    reasons = _Reasons(len(raw))
    reasons.bad |= _blank(raw)  # empty lines are not rows
    unstorable = _unstorable(raw)
    why = f"holds {UNSTORABLE_TEXT}, which cannot be stored"
    reasons.note(unstorable != "", lambda i: f"{unstorable[i]} {why}")
    learner = _stripped(raw[LEARNER])
    reasons.note(pd.isna(learner), lambda i: "missing learner: enrollment_id is empty")
    dates = _dates(raw[TIME])
    reasons.note(np.isnat(dates), lambda i: f"unparseable date: {_shown(raw[TIME].iat[i])} is not YYYY-MM-DD")
    frame = pd.DataFrame({"line": lines, "learner": pd.Series(learner, dtype=object), "date": dates})
    frame["course"] = (
        _stripped(raw[COURSE]) if COURSE in raw.columns else np.full(len(raw), None, dtype=object)
    )
    for event_type in EVENT_TYPES:
        if event_type in raw.columns:
            frame[event_type] = _counts(raw[event_type], reasons, _label(raw, event_type), required=True)
        else:
            frame[event_type] = np.zeros(len(raw), dtype=np.int64)
    for source in SOURCES:
        if source in raw.columns:
            values = _counts(raw[source], reasons, source, required=False)
            frame[source] = pd.array(values, dtype="Int64")
        else:  # the source is not known: an all-missing column, made without converting None row by row
            frame[source] = pd.arrays.IntegerArray(np.zeros(len(raw), np.int64), np.ones(len(raw), bool))
    rejected = malformed + [Rejection(int(lines[i]), reason) for i, reason in reasons.text.items()]
    rejected.sort(key=lambda rejection: rejection.line)
    good = frame[~reasons.bad]
    return Chunk(
        "daily", good[list(DAILY_COLUMNS)].reset_index(drop=True), rejected, len(raw) + len(malformed)
    )


def _unstorable(raw: pd.DataFrame) -> np.ndarray:
    """Per row, the first text column holding text the database cannot store ("" when none)."""
    found = np.full(len(raw), "", dtype=object)
    for name in reversed([name for name in (LEARNER, COURSE) if name in raw.columns]):
        bad = _per_distinct(raw[name], lambda values: [not storable(str(v)) for v in values], False, bool)
        found[bad] = name
    return found


def _label(raw: pd.DataFrame, role: str) -> str:
    return f"event_{role}" if role in EVENT_TYPES else role


def _blank(raw: pd.DataFrame) -> np.ndarray:
    """Rows of an empty line: every cell missing (none if an integer column shows every row has a value)."""
    if any(raw[name].dtype.kind in "iu" for name in raw.columns):
        return np.zeros(len(raw), dtype=bool)
    return raw.isna().all(axis=1).to_numpy()


def _shown(value) -> str:
    return "an empty cell" if pd.isna(value) else repr(str(value)[:40])


def _counts(column: pd.Series, reasons: _Reasons, label: str, *, required: bool) -> np.ndarray:
    """A count column as int64 (or float with NaN where empty and not `required`); bad cells noted.
    Clean integer columns (the usual case) take the fast path: pandas parsed them as int64 already."""
    if column.dtype.kind in "iu":
        values = column.to_numpy(dtype=np.int64)
        reasons.note(values < 0, lambda i: f"negative count: {label} is {values[i]}")
        reasons.note(values > MAX_COUNT, lambda i: f"count too large: {label} is {values[i]}")
        return values
    numbers = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64)
    empty = column.isna().to_numpy()
    if required:
        reasons.note(empty, lambda i: f"missing count: {label} is empty (write 0 for no events)")
    reasons.note(
        ~empty & np.isnan(numbers), lambda i: f"non-integer count: {label} is {_shown(column.iat[i])}"
    )
    whole = np.isnan(numbers) | (numbers == np.floor(numbers))
    reasons.note(~whole, lambda i: f"non-integer count: {label} is {_shown(column.iat[i])}")
    reasons.note(numbers < 0, lambda i: f"negative count: {label} is {_shown(column.iat[i])}")
    reasons.note(numbers > MAX_COUNT, lambda i: f"count too large: {label} is {_shown(column.iat[i])}")
    usable = np.where(whole & (numbers >= 0) & (numbers <= MAX_COUNT), numbers, np.nan)
    if required:
        return np.nan_to_num(usable, nan=0).astype(np.int64)
    return usable


def earliest(path: str | Path, course: str | None = None) -> dict[str, date]:
    """The earliest valid date of each course in the file (rows without course_id count for `course`):
    the start of a course the import creates. A streaming pass with pyarrow's CSV reader over the date
    and course columns only (no per-row Python), memory bounded by its block size."""
    header = _header(path)
    wanted = [name for name in header if _lowered(name) in (TIME, COURSE)]
    reader = pacsv.open_csv(
        path,
        memory_pool=pa.system_memory_pool(),  # the C library's allocator gives the blocks back after the pass
        read_options=pacsv.ReadOptions(block_size=1 << 20),
        parse_options=pacsv.ParseOptions(invalid_row_handler=lambda _row: "skip"),
        convert_options=pacsv.ConvertOptions(
            include_columns=wanted,
            column_types={name: pa.string() for name in wanted},
            strings_can_be_null=True,
        ),
    )
    pairs = []
    for batch in reader:
        frame = batch.to_pandas()
        frame.columns = [_lowered(name) for name in frame.columns]
        if COURSE not in frame.columns:
            frame[COURSE] = None
        pairs.append(frame[[COURSE, TIME]].drop_duplicates())  # a file repeats its few dates and courses
    pa.default_memory_pool().release_unused()  # the batches' memory, not kept for the import that follows
    if not pairs:
        return {}
    distinct = pd.concat(pairs).drop_duplicates()
    codes = pd.Series(_stripped(distinct[COURSE]), index=distinct.index, dtype=object)
    codes = codes.where(codes.notna(), course)
    dates = pd.Series(_dates(distinct[TIME]), index=distinct.index)
    firsts = dates.groupby(codes, dropna=True).min().dropna()
    return {str(code): first.date() for code, first in firsts.items()}
