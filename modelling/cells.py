"""Spreadsheet safety of CSV cells: text that a spreadsheet would run as a formula gets a `'`."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Spreadsheets also read the full-width forms as formula starters.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_STARTS_LIKE_FORMULA = "^[" + "".join(FORMULA_PREFIXES).replace("-", r"\-") + "]"
# A plain number such as -1.5 or +2e3 is data, not a formula: it stays as it is.
_PLAIN_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


def neutralise(value: object) -> object:
    """A cell that a spreadsheet will not run as a formula (None becomes an empty cell)."""
    if value is None:
        return ""
    if (
        isinstance(value, str)
        and re.match(_STARTS_LIKE_FORMULA, value)
        and not re.match(_PLAIN_NUMBER, value)
    ):
        return "'" + value
    return value


def _is_formula_like(column: pa.Array) -> pa.Array:
    starts = pc.match_substring_regex(column, _STARTS_LIKE_FORMULA)
    number = pc.match_substring_regex(column, _PLAIN_NUMBER)
    return pc.fill_null(pc.and_(starts, pc.invert(number)), False)


def neutralise_column(column: pa.Array) -> pa.Array:
    """A text column with every formula-like cell prefixed by `'` (missing cells stay missing)."""
    if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
        return column
    quoted = pc.binary_join_element_wise("'", column, "")
    return pc.if_else(_is_formula_like(column), quoted, column)


class SafeWriter:
    """A csv.writer whose every cell goes through `neutralise` (the one way the product writes CSV)."""

    def __init__(self, handle, **options) -> None:
        self._writer = csv.writer(handle, **options)

    def writerow(self, row: Iterable[object]) -> object:
        """Write one row, formula-like cells neutralised."""
        return self._writer.writerow([neutralise(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        """Write each row, formula-like cells neutralised."""
        for row in rows:
            self.writerow(row)


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells and column names are neutralised (numbers stay as they are)."""
    out = frame.rename(columns=lambda name: neutralise(name) if isinstance(name, str) else name)
    for name in out.columns[[not pd.api.types.is_numeric_dtype(dtype) for dtype in out.dtypes]]:
        out[name] = out[name].map(lambda value: neutralise(value) if isinstance(value, str) else value)
    return out


def frame_csv(frame: pd.DataFrame, target=None, **options) -> str | None:
    """`frame.to_csv(target, **options)` with its text neutralised (the text itself when `target` is None)."""
    # Lines end in CRLF as csv.writer's do: pandas quotes a cell holding a line terminator character,
    # and with "\n" alone a cell's "\r" would start a new spreadsheet row beginning with a formula.
    options.setdefault("lineterminator", "\r\n")
    return neutralise_frame(frame).to_csv(target, **options)


def internal_writer(handle):
    """A plain CSV writer for a temporary file the product reads back itself and never hands to a
    person (a workbook copied for a second pass): its cells must stay exactly as they were."""
    return csv.writer(handle)
