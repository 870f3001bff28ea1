"""Synthetic default data, calibrated on aggregate figures from the real data sets.

The figures live in calibration.json next to this module (written by modelling.calibrate);
no real rows are needed or shipped. Both generators are deterministic for a given seed.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr

from modelling.calibrate import (
    DROPOUT_COLUMNS,
    DROPOUT_TARGET,
    EVENT_TYPES,
    EXAM_COLUMNS,
    EXAM_NUMERIC,
    EXAM_TARGET,
    WINDOW_PARTS,
)

CALIBRATION_PATH = Path(__file__).resolve().with_name("calibration.json")
MAX_SPAN_DAYS = 29
MAX_STUDY_DAYS = 30


@cache
def load_calibration() -> dict[str, Any]:
    """The calibration figures shipped with the package."""
    return json.loads(CALIBRATION_PATH.read_text())


def _sample_numeric(rng: np.random.Generator, spec: dict[str, Any], n: int) -> np.ndarray:
    """Draw from a value-frequency table or by inverting a quantile table."""
    if "frequencies" in spec:
        table = spec["frequencies"]
        probabilities = np.asarray(table["probabilities"])
        return rng.choice(np.asarray(table["values"]), size=n, p=probabilities / probabilities.sum())
    table = spec["quantiles"]
    values = np.interp(rng.random(n), table["levels"], table["values"])
    return np.rint(values).astype(np.int64) if spec["integer"] else values


def _sample_category(rng: np.random.Generator, spec: dict[str, Any], n: int) -> np.ndarray:
    """Draw levels at the measured frequencies, then blank out the measured share as NaN."""
    probabilities = np.asarray(spec["probabilities"])
    levels = np.asarray(spec["levels"], dtype=object)
    values = levels[rng.choice(len(levels), size=n, p=probabilities / probabilities.sum())]
    values[rng.random(n) < spec["missing_rate"]] = np.nan
    return values


def _exam_score(rng: np.random.Generator, target: dict[str, Any], frame: pd.DataFrame) -> np.ndarray:
    """Linear prediction plus small noise, rounded; a few outliers far above the prediction."""
    n = len(frame)
    prediction = np.full(n, target["intercept"])
    for col, coef in target["numeric_coefficients"].items():
        prediction += coef * frame[col].to_numpy(dtype=float)
    for col, coefs in target["category_coefficients"].items():
        effects = frame[col].map({k: v for k, v in coefs.items() if k != "missing"})
        prediction += effects.fillna(coefs.get("missing", 0.0)).to_numpy(dtype=float)
    outliers = target["outliers"]
    is_outlier = rng.random(n) < outliers["rate"]
    offset = np.interp(rng.random(n), outliers["offset_levels"], outliers["offset_quantiles"])
    score = prediction + rng.normal(0.0, target["noise_sd"], n) + np.where(is_outlier, offset, 0.0)
    return np.clip(np.rint(score), target["min"], target["max"]).astype(np.int64)


def generate_exam(n: int, seed: int) -> pd.DataFrame:
    """Exam-score rows: the 19 factors (data dictionary names, categories) and an integer exam_score."""
    calibration = load_calibration()["exam"]
    rng = np.random.default_rng(seed)
    columns: dict[str, np.ndarray] = {}
    for col in EXAM_COLUMNS:
        if col in EXAM_NUMERIC:
            columns[col] = _sample_numeric(rng, calibration["numeric"][col], n)
        else:
            columns[col] = _sample_category(rng, calibration["categorical"][col], n)
    frame = pd.DataFrame(columns)
    frame[EXAM_TARGET] = _exam_score(rng, calibration["target"], frame)
    return frame


def _study_days_given_span(table: dict[str, Any], span: np.ndarray, uniform: np.ndarray) -> np.ndarray:
    """Invert the measured distribution of study days given the span (nearest measured span)."""
    spans = np.asarray(table["spans"])
    values = np.asarray(table["values"], dtype=float)
    cumulative = np.cumsum(np.asarray(table["probabilities"]), axis=1)
    cumulative /= cumulative[:, -1:]
    out = np.empty(len(span))
    for value in np.unique(span):
        rows = span == value
        cdf = cumulative[np.abs(spans - value).argmin()]
        out[rows] = values[np.minimum(np.searchsorted(cdf, uniform[rows], side="right"), len(values) - 1)]
    return out


def _copula_draws(rng: np.random.Generator, spec: dict[str, Any], levels: np.ndarray, n: int) -> np.ndarray:
    """Raw counts from one component's Gaussian copula on log1p counts; study days given the span."""
    correlation = np.asarray(spec["correlation"])
    eigenvalues, eigenvectors = np.linalg.eigh(correlation)
    root = eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))
    normals = root @ rng.standard_normal((len(DROPOUT_COLUMNS), n))
    raw = np.empty_like(normals)
    for i, col in enumerate(DROPOUT_COLUMNS):
        raw[i] = np.expm1(np.interp(ndtr(normals[i]), levels, spec["quantiles_log1p"][col]))
    span, days = DROPOUT_COLUMNS.index("active_span_days"), DROPOUT_COLUMNS.index("study_days")
    rho = min(correlation[span, days], 0.999)
    conditional = ndtr((normals[days] - rho * normals[span]) / np.sqrt(1 - rho**2))
    span_days = np.clip(np.rint(raw[span]), 0, MAX_SPAN_DAYS)
    raw[days] = _study_days_given_span(spec["study_days_given_span"], span_days, conditional)
    return raw.T


def _limit_active_parts(parts: np.ndarray, study_days: np.ndarray) -> np.ndarray:
    """Fold the smallest non-empty window parts into the largest until no more parts than study days."""
    parts = parts.copy()
    rows = np.arange(len(parts))
    excess = np.clip((parts > 0).sum(axis=1) - study_days, 0, None)
    for step in range(parts.shape[1] - 1):
        fold = excess > step
        smallest = np.argmin(np.where(parts > 0, parts, np.iinfo(np.int64).max), axis=1)
        moved = np.where(fold, parts[rows, smallest], 0)
        parts[rows, smallest] -= moved
        parts[rows, np.argmax(parts, axis=1)] += moved
    return parts


def _structured(raw: np.ndarray) -> dict[str, np.ndarray]:
    """Round raw draws to counts that satisfy every structural rule of the real data."""
    col = {name: raw[:, i] for i, name in enumerate(DROPOUT_COLUMNS)}
    types = np.rint(raw[:, : len(EVENT_TYPES)]).astype(np.int64)
    types[types.sum(axis=1) == 0, EVENT_TYPES.index("navigate")] = 1
    out = dict(zip(EVENT_TYPES, types.T, strict=True))
    total = types.sum(axis=1)

    sources = col["server"] + col["browser"]
    share = np.divide(col["server"], sources, out=np.ones_like(sources), where=sources > 0)
    server_min = out["navigate"] + out["discussion"] + out["wiki"]
    server_max = total - np.maximum(out["problem"] + out["video"], out["page_close"] > 0)
    out["server"] = np.clip(np.rint(share * total).astype(np.int64), server_min, server_max)
    out["browser"] = total - out["server"]

    span = np.clip(np.rint(col["active_span_days"]).astype(np.int64), 0, MAX_SPAN_DAYS)
    span[total < 2] = 0
    study_min = np.where(span > 0, 2, 1)
    study_max = np.minimum(np.minimum(span + 2, MAX_STUDY_DAYS), total)
    out["active_span_days"] = span
    out["study_days"] = np.clip(np.rint(col["study_days"]).astype(np.int64), study_min, study_max)

    parts = np.rint(np.column_stack([col[part] for part in WINDOW_PARTS])).astype(np.int64)
    out.update(zip(WINDOW_PARTS, _limit_active_parts(parts, out["study_days"]).T, strict=True))
    return out


def generate_dropout(n: int, seed: int) -> pd.DataFrame:
    """Dropout rows: the 14 activity columns (the data dictionary's names) and the 0/1 target dropout."""
    calibration = load_calibration()["dropout"]
    components = calibration["components"]
    levels = np.asarray(calibration["quantile_levels"])
    rng = np.random.default_rng(seed)
    weights = np.asarray([component["weight"] for component in components])
    drawn = rng.choice(len(components), size=n, p=weights / weights.sum())
    raw = np.empty((n, len(DROPOUT_COLUMNS)))
    labels = np.empty(n, dtype=np.int64)
    for index, component in enumerate(components):
        rows = drawn == index
        raw[rows] = _copula_draws(rng, component, levels, int(rows.sum()))
        labels[rows] = component["label"]
    frame = pd.DataFrame(_structured(raw))[DROPOUT_COLUMNS]
    frame[DROPOUT_TARGET] = labels
    return frame
