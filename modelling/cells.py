"""Spreadsheet safety of CSV cells: text that a spreadsheet would run as a formula gets a `'`."""

from __future__ import annotations

import re

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
