"""The field machinery of the input schemas: numeric and category fields, cross-field rules and the
schema that validates, normalises and reads a task's inputs.

Each form task declares its own schema with these (in its module under `modelling.tasks`).
Everything that reads task inputs uses them: API validation, Dash forms, CSV loading, the
synthetic generator, training and serving. A schema knows each field's type, allowed range,
categories, missing-value rule, training range (for extrapolation flags), original header and
whether a student can act on it; plus the cross-field rules that every real row satisfies.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

# Numbers are kept to this many decimals (no input needs more; it also keeps sums in SQL finite).
DECIMALS = 6


class DuplicateColumn(ValueError):
    """Two headers of a file name the same field (also after normalising, e.g. `Hours_Studied`)."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"The column {name} appears more than once (headers are matched ignoring case and spaces)."
        )
        self.name = name


@dataclass(frozen=True)
class NumericField:
    """A number with an allowed range and the narrower range the training data covers."""

    name: str
    header: str
    label: str
    minimum: float
    maximum: float
    train_min: float
    train_max: float
    unit: str = ""
    integer: bool = False
    actionable: bool = False
    step: float = 1.0
    help: str = ""
    kind: str = field(default="numeric", init=False)


@dataclass(frozen=True)
class CategoryField:
    """One of a fixed set of categories; `optional` ones may be missing."""

    name: str
    header: str
    label: str
    categories: tuple[str, ...]
    optional: bool = False
    actionable: bool = False
    ordered: bool = False
    help: str = ""
    kind: str = field(default="category", init=False)

    def canonical(self, value: Any) -> str | None:
        """The category spelled as in the data set, or None when it is not one of them."""
        text = str(value).strip().lower()
        return next((c for c in self.categories if c.lower() == text), None)


Field = NumericField | CategoryField


# Columns by name: a DataFrame, or a dict of equal-length arrays (cheaper for a few rows).
Columns = Mapping[str, Any]


@dataclass(frozen=True)
class Rule:
    """A cross-field rule: `check(columns) -> bool mask of rows that satisfy it`."""

    fields: tuple[str, ...]
    message: str
    check: Callable[[Columns], np.ndarray]


def _normalise_header(header: str) -> str:
    return re.sub(r"[\s\-]+", "_", header.strip().lower())


def _is_missing(value: Any) -> bool:
    return (
        value is None
        or (isinstance(value, float) and math.isnan(value))
        or (isinstance(value, str) and not value.strip())
    )


@dataclass(frozen=True)
class TaskSchema:
    """The inputs and target of one prediction task."""

    task: str
    fields: tuple[Field, ...]
    target: str
    target_headers: tuple[str, ...]
    rules: tuple[Rule, ...] = ()

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def numeric(self) -> list[NumericField]:
        return [f for f in self.fields if isinstance(f, NumericField)]

    @property
    def categorical(self) -> list[CategoryField]:
        return [f for f in self.fields if isinstance(f, CategoryField)]

    @property
    def actionable(self) -> list[Field]:
        return [f for f in self.fields if f.actionable]

    @cached_property
    def _fields_by_name(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}

    def field(self, name: str) -> Field:
        """The field called `name` (KeyError for an unknown name)."""
        return self._fields_by_name[name]

    def header_map(self, with_target: bool = False) -> dict[str, str]:
        """Normalised header (snake_case or the data set's original) -> field name."""
        mapping: dict[str, str] = {}
        for f in self.fields:
            mapping[_normalise_header(f.name)] = f.name
            mapping[_normalise_header(f.header)] = f.name
        if with_target:
            for header in self.target_headers:
                mapping[_normalise_header(header)] = self.target
        return mapping

    def rename_columns(self, columns: list[str], with_target: bool = False) -> dict[str, str]:
        """Map a CSV's own headers to field names (headers that match nothing are left out);
        DuplicateColumn when two headers name the same field."""
        mapping = self.header_map(with_target)
        renamed: dict[str, str] = {}
        for column in columns:
            name = mapping.get(_normalise_header(column))
            if name is None:
                continue
            if column in renamed or name in renamed.values():
                raise DuplicateColumn(name)
            renamed[column] = name
        return renamed

    def validate_record(self, data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """One input row -> (clean values, {field: reason}); clean only when no reason."""
        clean: dict[str, Any] = {}
        problems: dict[str, str] = {}
        for f in self.fields:
            value = data.get(f.name)
            if isinstance(f, NumericField):
                reason, number = _check_number(f, value)
                if reason:
                    problems[f.name] = reason
                else:
                    clean[f.name] = number
            else:
                if _is_missing(value):
                    if f.optional:
                        clean[f.name] = None
                    else:
                        problems[f.name] = "Required."
                    continue
                category = f.canonical(value)
                if category is None:
                    problems[f.name] = f"Must be one of {', '.join(f.categories)}."
                else:
                    clean[f.name] = category
        if not problems and self.rules:
            problems.update(self.rule_problems({k: np.array([v]) for k, v in clean.items()}, 1)[0])
        return clean, problems

    def rule_problems(self, frame: Columns, rows: int | None = None) -> list[dict[str, str]]:
        """Per row, {field: message} for each cross-field rule the row breaks."""
        results: list[dict[str, str]] = [{} for _ in range(len(frame) if rows is None else rows)]
        for rule in self.rules:
            broken = np.flatnonzero(~rule.check(frame))
            for index in broken:
                for name in rule.fields:
                    results[index].setdefault(name, rule.message)
        return results

    def validate_frame(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
        """Vectorised validation of many rows already named by field.

        Returns the clean frame (numbers as float, categories canonical, missing as NaN) and a
        Series of error text per row ("" for a good row)."""
        columns: dict[str, Any] = {}
        errors = np.full(len(frame), "", dtype=object)

        def flag(mask: np.ndarray, message: str) -> None:
            rows = np.flatnonzero(mask)
            errors[rows] = [f"{e}; {message}" if e else message for e in errors[rows]]

        for f in self.fields:
            if f.name not in frame.columns:
                flag(np.ones(len(frame), dtype=bool), f"{f.name}: column missing")
                columns[f.name] = np.full(len(frame), np.nan)
                continue
            raw = frame[f.name]
            if isinstance(f, NumericField):
                if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
                    numbers = raw.to_numpy(dtype=float)
                    missing = np.isnan(numbers)
                else:
                    numbers = _column_numbers(raw)
                    missing = raw.isna().to_numpy() | (raw.astype(str).str.strip() == "").to_numpy()
                flag(missing, f"{f.name}: required")
                flag(~missing & np.isnan(numbers), f"{f.name}: not a number")
                valid = ~np.isnan(numbers)
                out_of_range = valid & ((numbers < f.minimum) | (numbers > f.maximum))
                flag(out_of_range, f"{f.name}: must be between {_fmt(f.minimum)} and {_fmt(f.maximum)}")
                if f.integer:
                    fractional = valid & ~out_of_range & (np.mod(numbers, 1) != 0)
                    flag(fractional, f"{f.name}: must be a whole number")
                    columns[f.name] = np.round(numbers, DECIMALS) if fractional.any() else numbers
                else:
                    columns[f.name] = np.round(numbers, DECIMALS)
            else:
                text = raw.astype("string").str.strip()
                lookup = {c.lower(): c for c in f.categories}
                canonical = text.str.lower().map(lookup)
                missing = text.isna() | (text == "")
                missing_np = missing.to_numpy(dtype=bool)
                if not f.optional:
                    flag(missing_np, f"{f.name}: required")
                unknown = (~missing & canonical.isna()).to_numpy(dtype=bool)
                flag(unknown, f"{f.name}: must be one of {', '.join(f.categories)}")
                columns[f.name] = canonical.astype(object).where(~canonical.isna(), np.nan).to_numpy()
        clean = pd.DataFrame(columns, index=frame.index)
        good = errors == ""
        if self.rules and good.any():
            subset = clean[good]
            for rule in self.rules:
                ok = np.ones(len(frame), dtype=bool)
                ok[np.flatnonzero(good)] = rule.check(subset)
                flag(~ok, rule.message)
        return clean, pd.Series(errors, index=frame.index, name="error")

    def extrapolated(self, clean: Mapping[str, Any]) -> list[str]:
        """Fields whose value is allowed but outside the range the model was trained on."""
        return [
            f.name
            for f in self.numeric
            if clean.get(f.name) is not None and not (f.train_min <= clean[f.name] <= f.train_max)
        ]


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


# A number as a person writes it: ASCII digits with an optional sign, decimal point and exponent.
# Python's float() also reads "1_0" as 10, "nan", "infinity" and non-ASCII digits.
NUMBER_TEXT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


def parse_number(value: Any) -> float | None:
    """`value` as a finite number, or None when it is not one (a boolean or "1_0" is not)."""
    numeric = isinstance(value, int | float | np.integer | np.floating)
    plain_text = isinstance(value, str) and NUMBER_TEXT.fullmatch(value.strip()) is not None
    if isinstance(value, bool | np.bool_) or not (numeric or plain_text):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _column_numbers(raw: pd.Series) -> np.ndarray:
    """A text column as numbers, NaN where a cell is not a number by `parse_number`'s rule."""
    if pd.api.types.is_bool_dtype(raw):
        return np.full(len(raw), np.nan)
    text = raw.astype("string").str.strip()
    plain = text.str.fullmatch(NUMBER_TEXT.pattern).fillna(False).to_numpy(dtype=bool)
    numbers = pd.to_numeric(text.where(plain), errors="coerce").to_numpy(dtype=float)
    return np.where(np.isfinite(numbers), numbers, np.nan)


def _check_number(f: NumericField, value: Any) -> tuple[str | None, float | None]:
    if _is_missing(value):
        return "Required.", None
    number = parse_number(value)
    if number is None:
        return "Must be a number.", None
    if not f.minimum <= number <= f.maximum:
        return (
            f"Must be between {_fmt(f.minimum)} and {_fmt(f.maximum)}{' ' + f.unit if f.unit else ''}.",
            None,
        )
    if f.integer and not number.is_integer():
        return "Must be a whole number.", None
    return None, round(number, DECIMALS)
