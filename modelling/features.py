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
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import SplineTransformer, StandardScaler
from sklearn.utils.validation import check_is_fitted

from modelling.schemas import DROPOUT, EXAM, TaskSchema

MISSING_SUFFIX = "__missing"
SPLINE_SUFFIX = "__spline"


def source_field(feature_name: str) -> str:
    """The schema field an output feature name was derived from."""
    return feature_name.split("=", 1)[0].split("__", 1)[0]


def _as_frame(X: pd.DataFrame | np.ndarray, columns: Sequence[str]) -> pd.DataFrame:
    """`X` as a DataFrame with `columns` (arrays are taken to be in that order)."""
    if isinstance(X, pd.DataFrame):
        return X
    return pd.DataFrame(np.asarray(X, dtype=object), columns=list(columns))


class _FieldTransformer(TransformerMixin, BaseEstimator):
    """Base: remembers the input columns and names outputs."""

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


class OrdinalLevels(_FieldTransformer):
    """Ordered levels as codes 0..k-1 (missing/unknown -> training mean code, plus a flag if optional)."""

    def __init__(self, categories: Sequence[Sequence[str]], optional: Sequence[bool] | None = None) -> None:
        self.categories = categories
        self.optional = optional

    def _codes(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """Level codes per column, NaN where missing or unknown."""
        frame = _as_frame(X, self.feature_names_in_)
        codes = np.empty((len(frame), len(self.categories)))
        for i, levels in enumerate(self.categories):
            lookup = {level: float(code) for code, level in enumerate(levels)}
            codes[:, i] = frame.iloc[:, i].map(lookup).to_numpy(dtype=float)
        return codes

    def fit(self, X: pd.DataFrame | np.ndarray, y: object = None) -> OrdinalLevels:
        """Learn the fill value (mean code) of each column."""
        self._remember_columns(X)
        codes = self._codes(X)
        seen = ~np.isnan(codes)
        sums = np.where(seen, codes, 0.0).sum(axis=0)
        counts = seen.sum(axis=0)
        self.fill_values_ = np.divide(sums, counts, out=np.zeros(codes.shape[1]), where=counts > 0)
        optional = self.optional or [False] * len(self.categories)
        self.optional_ = np.asarray(optional, dtype=bool)
        names = list(self.feature_names_in_)
        flags = [f"{name}{MISSING_SUFFIX}" for name, o in zip(names, optional, strict=True) if o]
        self.feature_names_ = names + flags
        return self

    def transform(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """Codes, then one missing indicator per optional column."""
        check_is_fitted(self, "fill_values_")
        codes = self._codes(X)
        missing = np.isnan(codes)
        filled = np.where(missing, self.fill_values_, codes)
        return np.hstack([filled, missing[:, self.optional_].astype(float)])


class OneHotLevels(_FieldTransformer):
    """One-hot against fixed levels; binary fields give one column, optional fields a missing flag."""

    def __init__(self, categories: Sequence[Sequence[str]], optional: Sequence[bool] | None = None) -> None:
        self.categories = categories
        self.optional = optional

    def fit(self, X: pd.DataFrame | np.ndarray, y: object = None) -> OneHotLevels:
        """Fix the output columns."""
        self._remember_columns(X)
        optional = list(self.optional or [False] * len(self.categories))
        self.optional_ = np.asarray(optional, dtype=bool)
        names: list[str] = []
        for name, levels, is_optional in zip(self.feature_names_in_, self.categories, optional, strict=True):
            kept = levels[1:] if len(levels) == 2 and not is_optional else levels
            names += [f"{name}={level}" for level in kept]
            if is_optional:
                names.append(f"{name}{MISSING_SUFFIX}")
        self.feature_names_ = names
        return self

    def transform(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """Indicator columns in the order of `get_feature_names_out`."""
        check_is_fitted(self, "feature_names_")
        frame = _as_frame(X, self.feature_names_in_)
        blocks: list[np.ndarray] = []
        for i, (levels, is_optional) in enumerate(zip(self.categories, self.optional_, strict=True)):
            values = frame.iloc[:, i].to_numpy(dtype=object)
            dummies = np.column_stack([values == level for level in levels]).astype(float)
            if len(levels) == 2 and not is_optional:
                dummies = dummies[:, 1:]
            blocks.append(dummies)
            if is_optional:
                blocks.append((~np.isin(values, list(levels))).astype(float)[:, None])
        return np.hstack(blocks) if blocks else np.empty((len(frame), 0))


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
        ).fit(self._prepare(X))
        per_field = self.spline_.n_features_out_ // self.n_features_in_
        self.feature_names_ = [
            f"{name}{SPLINE_SUFFIX}{j}" for name in self.feature_names_in_ for j in range(per_field)
        ]
        return self

    def transform(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """Spline basis values, grouped by field."""
        check_is_fitted(self, "spline_")
        return self.spline_.transform(self._prepare(X))


ACTIVITY_FEATURES = (
    "total_events",
    "study_days",
    "active_span_days",
    "video",
    "problem",
    "discussion",
    "late_share",
)


class ActivityFeatures(_FieldTransformer):
    """The prototype's 7 derived activity features (not additive: the late share combines fields)."""

    def fit(self, X: pd.DataFrame, y: object = None) -> ActivityFeatures:
        """Remember the column names."""
        self._remember_columns(X)
        self.feature_names_ = list(ACTIVITY_FEATURES)
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """One row of derived features per enrollment."""
        check_is_fitted(self, "feature_names_")
        total = X["server"].to_numpy(dtype=float) + X["browser"].to_numpy(dtype=float)
        late = X["late_events"].to_numpy(dtype=float)
        share = np.divide(late, total, out=np.zeros_like(total), where=total > 0)
        columns = [total] + [X[name].to_numpy(dtype=float) for name in ACTIVITY_FEATURES[1:-1]] + [share]
        return np.column_stack(columns)


def exam_preprocessor(schema: TaskSchema = EXAM, scale: bool = True) -> ColumnTransformer:
    """Numerics (standardised), ordered categories as codes, other categories one-hot; missing flags."""
    ordered = [f for f in schema.categorical if f.ordered]
    unordered = [f for f in schema.categorical if not f.ordered]
    numeric = [f.name for f in schema.numeric]
    levels = OrdinalLevels([f.categories for f in ordered], [f.optional for f in ordered])
    return ColumnTransformer(
        [
            ("numeric", StandardScaler() if scale else "passthrough", numeric),
            ("levels", Pipeline([("codes", levels), ("scale", StandardScaler())]) if scale else levels,
             [f.name for f in ordered]),
            ("categories", OneHotLevels([f.categories for f in unordered], [f.optional for f in unordered]),
             [f.name for f in unordered]),
        ],
        verbose_feature_names_out=False,
    )


def dropout_spline_preprocessor(schema: TaskSchema = DROPOUT, n_knots: int = 6) -> ColumnTransformer:
    """Per-field splines of log1p counts for every dropout field (additive design)."""
    return ColumnTransformer(
        [("splines", FieldSplines(n_knots=n_knots, log=True), schema.names)], verbose_feature_names_out=False
    )


def dropout_raw_selector(schema: TaskSchema = DROPOUT) -> ColumnTransformer:
    """The 14 raw dropout fields in schema order (for tree models)."""
    return ColumnTransformer([("raw", "passthrough", schema.names)], verbose_feature_names_out=False)
