"""Feature transformers (scikit-learn compatible) used by the training pipelines.

Every transformer works on a DataFrame named by schema fields and returns a dense float array. Output
feature names start with the source field (``field``, ``field=level``, ``field__missing``,
``field__spline3``) so explanations can add contributions back up per field (`source_field`).

- OrdinalLevels: `categories[i]` lists the i-th column's levels in order; missing or unknown values
  get the training mean code, and each optional column also gets a ``field__missing`` flag (always
  present, so the output shape does not depend on the data).
- OneHotLevels: one column per level (``field=level``); a binary, non-optional field keeps only its
  second level; optional fields get a ``field__missing`` flag; unknown levels count as missing.
- FieldSplines: per-field B-splines of log1p counts, so a linear model on them stays additive per field.
- ActivityFeatures: the dropout prototype's derived features (total events, study days, active span,
  video, problem, discussion, late-event share); these combine fields and are not additive.
- FieldBlocks: the preprocessors' combiner (in place of a ColumnTransformer): pulls each field out of the
  frame once as a NumPy array, encodes the blocks with the transformers above, optionally standardises a
  block, and returns one float matrix. Everything works on NumPy arrays, so one row costs microseconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.preprocessing import SplineTransformer, StandardScaler
from sklearn.utils.validation import check_is_fitted

from modelling.schemas import TaskSchema

MISSING_SUFFIX = "__missing"
SPLINE_SUFFIX = "__spline"
SMALL_FRAME = 64
Block = tuple[str, Any, Sequence[str], bool]


def source_field(feature_name: str) -> str:
    """The schema field an output feature name was derived from."""
    return feature_name.split("=", 1)[0].split("__", 1)[0]


def _column_arrays(X: pd.DataFrame | np.ndarray, names: Sequence[str]) -> list[np.ndarray]:
    """The named columns of `X` as 1-D arrays (an array's columns are taken to be `names` in order)."""
    if not isinstance(X, pd.DataFrame):
        matrix = np.asarray(X)
        return [matrix[:, i] for i in range(len(names))]
    if len(X) <= SMALL_FRAME:
        lookup = {name: i for i, name in enumerate(X.columns)}
        missing = [name for name in names if name not in lookup]
        if missing:
            raise KeyError(f"Columns not found: {', '.join(missing)}")
        values = X.to_numpy()
        return [values[:, lookup[name]] for name in names]
    columns = [X[name] for name in names]
    return [
        column.to_numpy(dtype=float, na_value=np.nan)
        if pd.api.types.is_numeric_dtype(column)
        else column.array
        for column in columns
    ]


def _float_matrix(columns: Sequence[np.ndarray], rows: int) -> np.ndarray:
    """Columns stacked into a C-ordered float64 matrix."""
    matrix = np.empty((rows, len(columns)))
    for i, column in enumerate(columns):
        matrix[:, i] = column if column.dtype.kind in "fiub" else column.astype(float)
    return matrix


def _level_codes(values: Any, levels: Sequence[str]) -> np.ndarray:
    """Codes 0..k-1 of `values` (an array, or a frame column's pandas array) among `levels`; -1 elsewhere."""
    if hasattr(values, "__arrow_array__"):
        import pyarrow as pa
        import pyarrow.compute as pc

        found = pc.index_in(pa.array(values), value_set=pa.array(list(levels), type=pa.string()))
        return pc.fill_null(found, -1).to_numpy().astype(np.intp)
    if values.dtype.kind in "fiub":
        return np.full(len(values), -1, dtype=np.intp)
    if len(values) <= SMALL_FRAME:
        lookup = {level: code for code, level in enumerate(levels)}
        return np.fromiter(
            (lookup.get(v, -1) if isinstance(v, str) else -1 for v in values), np.intp, len(values)
        )
    return pd.Categorical(values, categories=list(levels)).codes.astype(np.intp)


class _FieldTransformer(TransformerMixin, BaseEstimator):
    """Base: remembers the input columns, names outputs, encodes a list of column arrays."""

    def _remember_columns(self, X: pd.DataFrame | np.ndarray) -> None:
        """Store the input column names (x0, x1, ... for arrays)."""
        self.feature_names_in_ = np.asarray(
            list(X.columns) if isinstance(X, pd.DataFrame) else [f"x{i}" for i in range(np.shape(X)[1])],
            dtype=object,
        )
        self.n_features_in_ = len(self.feature_names_in_)

    def get_feature_names_out(self, input_features: Sequence[str] | None = None) -> np.ndarray:
        """Names of the output columns."""
        check_is_fitted(self, "feature_names_")
        return np.asarray(self.feature_names_, dtype=object)

    def _columns(self, X: pd.DataFrame | np.ndarray) -> list[np.ndarray]:
        """The input columns (by remembered name) as arrays."""
        return _column_arrays(X, list(self.feature_names_in_))

    def _fit_columns(self, columns: list[np.ndarray]) -> None:
        """Learn from the input columns (nothing by default)."""

    def _encode(self, columns: list[np.ndarray]) -> np.ndarray:
        """The output matrix for the input columns."""
        raise NotImplementedError

    def fit(self, X: pd.DataFrame | np.ndarray, y: object = None) -> _FieldTransformer:
        """Remember the columns and learn from them."""
        self._remember_columns(X)
        self._fit_columns(self._columns(X))
        return self

    def transform(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """The output matrix."""
        check_is_fitted(self, "feature_names_")
        return self._encode(self._columns(X))


class OrdinalLevels(_FieldTransformer):
    """Ordered levels as codes 0..k-1 (missing/unknown -> training mean code, plus a flag if optional)."""

    def __init__(self, categories: Sequence[Sequence[str]], optional: Sequence[bool] | None = None) -> None:
        self.categories = categories
        self.optional = optional

    def _codes(self, columns: list[np.ndarray]) -> np.ndarray:
        """Level codes per column, NaN where missing or unknown."""
        codes = np.empty((len(columns[0]) if columns else 0, len(self.categories)))
        for i, (values, levels) in enumerate(zip(columns, self.categories, strict=True)):
            column = _level_codes(values, levels).astype(float)
            column[column < 0] = np.nan
            codes[:, i] = column
        return codes

    def _fit_columns(self, columns: list[np.ndarray]) -> None:
        """Learn the fill value (mean code) of each column."""
        codes = self._codes(columns)
        seen = ~np.isnan(codes)
        sums = np.where(seen, codes, 0.0).sum(axis=0)
        counts = seen.sum(axis=0)
        self.fill_values_ = np.divide(sums, counts, out=np.zeros(codes.shape[1]), where=counts > 0)
        optional = self.optional or [False] * len(self.categories)
        self.optional_ = np.asarray(optional, dtype=bool)
        names = list(self.feature_names_in_)
        flags = [f"{name}{MISSING_SUFFIX}" for name, o in zip(names, optional, strict=True) if o]
        self.feature_names_ = names + flags

    def _encode(self, columns: list[np.ndarray]) -> np.ndarray:
        """Codes, then one missing indicator per optional column."""
        codes = self._codes(columns)
        missing = np.isnan(codes)
        filled = np.where(missing, self.fill_values_, codes)
        return np.hstack([filled, missing[:, self.optional_].astype(float)])


class OneHotLevels(_FieldTransformer):
    """One-hot against fixed levels; binary fields give one column, optional fields a missing flag."""

    def __init__(self, categories: Sequence[Sequence[str]], optional: Sequence[bool] | None = None) -> None:
        self.categories = categories
        self.optional = optional

    def _fit_columns(self, columns: list[np.ndarray]) -> None:
        """Fix the output columns and the indicator rows of each level (the last row: missing)."""
        optional = list(self.optional or [False] * len(self.categories))
        self.optional_ = np.asarray(optional, dtype=bool)
        names: list[str] = []
        for name, levels, is_optional in zip(self.feature_names_in_, self.categories, optional, strict=True):
            kept = levels[1:] if len(levels) == 2 and not is_optional else levels
            names += [f"{name}={level}" for level in kept]
            if is_optional:
                names.append(f"{name}{MISSING_SUFFIX}")
        self.feature_names_ = names

    def _indicators(self, levels: Sequence[str], is_optional: bool) -> np.ndarray:
        """Output rows per code 0..k-1, then the row for missing or unknown values."""
        table = np.vstack([np.eye(len(levels)), np.zeros(len(levels))])
        if len(levels) == 2 and not is_optional:
            return table[:, 1:]
        if is_optional:
            return np.hstack([table, np.eye(len(levels) + 1)[:, -1:]])
        return table

    def _encode(self, columns: list[np.ndarray]) -> np.ndarray:
        """Indicator columns in the order of `get_feature_names_out`."""
        rows = len(columns[0]) if columns else 0
        blocks = [
            self._indicators(levels, bool(is_optional))[_level_codes(values, levels)]
            for values, levels, is_optional in zip(columns, self.categories, self.optional_, strict=True)
        ]
        return np.hstack(blocks) if blocks else np.empty((rows, 0))


def _bspline_basis(x: np.ndarray, knots: np.ndarray, degree: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """Per (row, field): flat index of the first non-zero basis knot and the degree+1 non-zero values.

    `x` is (rows, fields), clipped to each field's base interval; `knots` is (fields, knots), uniform
    per field. The knot interval is estimated arithmetically, then corrected against the knots
    themselves (so it equals ``searchsorted(knots, x, side="right") - 1``); values by Cox-de Boor.
    """
    n_knots = knots.shape[1]
    flat = knots.ravel()
    width = knots[:, degree + 1] - knots[:, degree]
    estimate = ((x - knots[:, degree]) / np.where(width > 0, width, 1.0)).astype(np.intp) + degree
    np.clip(estimate, degree, n_knots - degree - 2, out=estimate)
    index = estimate + np.arange(knots.shape[0]) * n_knots
    index -= x < flat[index]
    index += x >= flat[index + 1]
    low = np.arange(knots.shape[0]) * n_knots
    np.clip(index, low + degree, low + n_knots - degree - 2, out=index)
    left = [x - flat[index + 1 - j] for j in range(1, degree + 1)]
    right = [flat[index + j] - x for j in range(1, degree + 1)]
    values = [np.ones_like(x)]
    for j in range(1, degree + 1):
        saved = np.zeros_like(x)
        for r in range(j):
            temp = values[r] / (right[r] + left[j - r - 1])
            values[r] = saved + right[r] * temp
            saved = left[j - r - 1] * temp
        values.append(saved)
    return index - degree, values


class FieldSplines(_FieldTransformer):
    """Per-field cubic B-splines, uniform knots (optionally on log1p), constant beyond the training range."""

    def __init__(self, n_knots: int = 6, degree: int = 3, log: bool = True) -> None:
        self.n_knots = n_knots
        self.degree = degree
        self.log = log

    def _prepare(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """Float values, log1p-transformed when `log`."""
        values = np.asarray(X, dtype=float)
        return np.log1p(np.clip(values, 0.0, None)) if self.log else values

    def fit(self, X: pd.DataFrame | np.ndarray, y: object = None) -> FieldSplines:
        """Place the knots over each field's training range."""
        self._remember_columns(X)
        self.spline_ = SplineTransformer(
            n_knots=self.n_knots, degree=self.degree, knots="uniform", extrapolation="constant"
        ).fit(self._prepare(_float_matrix(self._columns(X), len(X))))
        per_field = self.spline_.n_features_out_ // self.n_features_in_
        self.feature_names_ = [
            f"{name}{SPLINE_SUFFIX}{j}" for name in self.feature_names_in_ for j in range(per_field)
        ]
        return self

    def _encode(self, columns: list[np.ndarray]) -> np.ndarray:
        """Spline basis values, grouped by field (values beyond the knots get the boundary values)."""
        values = self._prepare(_float_matrix(columns, len(columns[0]) if columns else 0))
        if np.isnan(values).any():
            raise ValueError("Input X contains NaN.")
        knots = np.vstack([spline.t for spline in self.spline_.bsplines_])
        degree = self.degree
        n_rows, n_fields = values.shape
        per_field = self.spline_.n_features_out_ // n_fields
        x = np.minimum(np.maximum(values, knots[:, degree]), knots[:, -degree - 1])
        first, basis = _bspline_basis(x, knots, degree)
        # flat knot index f * n_knots + i  ->  flat output index (row * n_fields + f) * per_field + i
        first += (np.arange(n_rows)[:, None] * n_fields + np.arange(n_fields)) * per_field
        first -= np.arange(n_fields) * knots.shape[1]
        out = np.zeros(n_rows * n_fields * per_field)
        for r, column in enumerate(basis):
            out[first + r] = column
        return out.reshape(n_rows, n_fields * per_field)


ACTIVITY_FEATURES = (
    "total_events",
    "study_days",
    "active_span_days",
    "video",
    "problem",
    "discussion",
    "late_share",
)
ACTIVITY_INPUTS = ("server", "browser", "late_events", *ACTIVITY_FEATURES[1:-1])


class ActivityFeatures(_FieldTransformer):
    """The prototype's 7 derived activity features (not additive: the late share combines fields)."""

    def _fit_columns(self, columns: list[np.ndarray]) -> None:
        """Fix the output names."""
        self.feature_names_ = list(ACTIVITY_FEATURES)

    def _columns(self, X: pd.DataFrame | np.ndarray) -> list[np.ndarray]:
        """The input fields the features are derived from."""
        if isinstance(X, pd.DataFrame):
            return _column_arrays(X, ACTIVITY_INPUTS)
        positions = {name: i for i, name in enumerate(self.feature_names_in_)}
        return [np.asarray(X)[:, positions[name]] for name in ACTIVITY_INPUTS]

    def _encode(self, columns: list[np.ndarray]) -> np.ndarray:
        """One row of derived features per enrollment."""
        server, browser, late, *others = (np.asarray(c, dtype=float) for c in columns)
        total = server + browser
        share = np.divide(late, total, out=np.zeros_like(total), where=total > 0)
        return _float_matrix([total, *others, share], len(total))


class FieldBlocks(_FieldTransformer):
    """Blocks of fields side by side: each encoded (or passed through as floats), optionally standardised.

    `blocks` holds (name, transformer or "passthrough", field names, standardise) tuples; the frame's
    columns are read once per call and every block works on NumPy arrays.
    """

    def __init__(self, blocks: Sequence[Block]) -> None:
        self.blocks = blocks

    def _fields(self) -> list[str]:
        """Every field the blocks read, in first-use order."""
        return list(dict.fromkeys(name for _, _, fields, _ in self.blocks for name in fields))

    def _columns(self, X: pd.DataFrame | np.ndarray) -> list[np.ndarray]:
        """The fields as arrays (by name for frames, by position among the fitted inputs for arrays)."""
        if isinstance(X, pd.DataFrame):
            return _column_arrays(X, self.fields_)
        matrix = np.asarray(X)
        positions = {name: i for i, name in enumerate(self.feature_names_in_)}
        return [matrix[:, positions[name]] for name in self.fields_]

    def _block_output(self, encoder: Any, columns: list[np.ndarray], rows: int) -> np.ndarray:
        """One block's encoded matrix."""
        if encoder is None:
            return _float_matrix(columns, rows)
        return encoder._encode(columns)

    def fit(self, X: pd.DataFrame | np.ndarray, y: object = None) -> FieldBlocks:
        """Fit every block's encoder and standardiser (raw fields column-major, as a frame gives them)."""
        self._remember_columns(X)
        self.fields_ = self._fields()
        columns = dict(zip(self.fields_, self._columns(X), strict=True))
        self.blocks_: list[tuple[Any, list[int], np.ndarray | None, np.ndarray | None]] = []
        names: list[str] = []
        for _, transformer, fields, standardise in self.blocks:
            block_columns = [columns[name] for name in fields]
            encoder = None
            if transformer != "passthrough":
                encoder = clone(transformer).fit(pd.DataFrame(dict(zip(fields, block_columns, strict=True))))
            output = self._block_output(encoder, block_columns, len(X))
            mean = scale = None
            if standardise:
                scaler = StandardScaler().fit(np.asfortranarray(output) if encoder is None else output)
                mean, scale = scaler.mean_, scaler.scale_
            positions = [self.fields_.index(name) for name in fields]
            self.blocks_.append((encoder, positions, mean, scale))
            names += list(fields) if encoder is None else list(encoder.get_feature_names_out())
        self.feature_names_ = names
        return self

    def transform(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """The blocks' outputs side by side, as one C-ordered float matrix."""
        check_is_fitted(self, "blocks_")
        columns = self._columns(X)
        rows = len(columns[0]) if columns else len(X)
        if len(self.blocks_) == 1 and self.blocks_[0][2] is None:
            encoder, positions, _, _ = self.blocks_[0]
            return self._block_output(encoder, [columns[i] for i in positions], rows)
        out = np.empty((rows, len(self.feature_names_)))
        start = 0
        for encoder, positions, mean, scale in self.blocks_:
            output = self._block_output(encoder, [columns[i] for i in positions], rows)
            target = out[:, start : start + output.shape[1]]
            if mean is None:
                target[...] = output
            else:
                np.subtract(output, mean, out=target)
                target /= scale
            start += output.shape[1]
        return out


def exam_preprocessor(schema: TaskSchema, scale: bool = True) -> FieldBlocks:
    """Numerics (standardised), ordered categories as codes, other categories one-hot; missing flags."""
    ordered = [f for f in schema.categorical if f.ordered]
    unordered = [f for f in schema.categorical if not f.ordered]
    levels = OrdinalLevels([f.categories for f in ordered], [f.optional for f in ordered])
    categories = OneHotLevels([f.categories for f in unordered], [f.optional for f in unordered])
    return FieldBlocks(
        [
            ("numeric", "passthrough", [f.name for f in schema.numeric], scale),
            ("levels", levels, [f.name for f in ordered], scale),
            ("categories", categories, [f.name for f in unordered], False),
        ]
    )


def dropout_spline_preprocessor(schema: TaskSchema, n_knots: int = 6) -> FieldBlocks:
    """Per-field splines of log1p counts for every dropout field (additive design)."""
    return FieldBlocks([("splines", FieldSplines(n_knots=n_knots, log=True), schema.names, False)])


def dropout_raw_selector(schema: TaskSchema) -> FieldBlocks:
    """The 14 raw dropout fields in schema order (for tree models)."""
    return FieldBlocks([("raw", "passthrough", schema.names, False)])
