"""Measure aggregate figures on the real data sets to calibrate the synthetic generator.

Only aggregates are computed: value frequencies, quantiles, regression coefficients,
correlation matrices and rule checks. No row of the real data is written out.

    python -m modelling.calibrate --exam CSV --activity CSV --truth CSV --out modelling/calibration.json
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtri

# The real data sets' folder: the files' options, or SSA_REAL_DATA_DIR.
DATA_DIR = Path(os.environ.get("SSA_REAL_DATA_DIR") or "/nonexistent-real-data")
DEFAULT_OUT = Path(__file__).resolve().with_name("calibration.json")

LEVELS_LMH = ["Low", "Medium", "High"]
YES_NO = ["No", "Yes"]
EXAM_NUMERIC = [
    "hours_studied",
    "attendance",
    "sleep_hours",
    "previous_scores",
    "tutoring_sessions",
    "physical_activity",
]
EXAM_CATEGORIES: dict[str, list[str]] = {
    "parental_involvement": LEVELS_LMH,
    "access_to_resources": LEVELS_LMH,
    "extracurricular_activities": YES_NO,
    "motivation_level": LEVELS_LMH,
    "internet_access": YES_NO,
    "family_income": LEVELS_LMH,
    "teacher_quality": LEVELS_LMH,
    "school_type": ["Public", "Private"],
    "peer_influence": ["Negative", "Neutral", "Positive"],
    "learning_disabilities": YES_NO,
    "parental_education_level": ["High School", "College", "Postgraduate"],
    "distance_from_home": ["Near", "Moderate", "Far"],
    "gender": ["Male", "Female"],
}
EXAM_COLUMNS = [
    "hours_studied",
    "attendance",
    "parental_involvement",
    "access_to_resources",
    "extracurricular_activities",
    "sleep_hours",
    "previous_scores",
    "motivation_level",
    "internet_access",
    "tutoring_sessions",
    "family_income",
    "teacher_quality",
    "school_type",
    "peer_influence",
    "physical_activity",
    "learning_disabilities",
    "parental_education_level",
    "distance_from_home",
    "gender",
]
EXAM_TARGET = "exam_score"

EVENT_TYPES = ["navigate", "access", "page_close", "problem", "video", "discussion", "wiki"]
SOURCES = ["server", "browser"]
WINDOW_PARTS = ["early_events", "mid_events", "late_events"]
DROPOUT_COLUMNS = [*EVENT_TYPES, *SOURCES, "active_span_days", "study_days", *WINDOW_PARTS]
DROPOUT_TARGET = "dropout"
DROPOUT_RENAME = {
    "lastlog-firstlog": "active_span_days",
    "study days": "study_days",
    "early events": "early_events",
    "mid events": "mid_events",
    "late events": "late_events",
    "label": DROPOUT_TARGET,
}

MAX_FREQUENCY_VALUES = 60
QUANTILE_LEVELS = np.round(np.r_[np.linspace(0, 0.99, 100), 0.995, 0.998, 0.999, 1.0], 4)
OUTLIER_LEVELS = np.linspace(0, 1, 11)
OUTLIER_ROBUST_SIGMAS = 10.0
DIGITS = 6
MIN_SEGMENT_ROWS = 200
DROPOUT_SEGMENTS: list[tuple[str, str]] = [
    ("page_close_logged", "page_close > 0"),
    ("browser_without_page_close", "(page_close == 0) & (browser > 0)"),
    ("server_only", "browser == 0"),
]

_TYPES_SUM = " + ".join(EVENT_TYPES)
_PARTS_SUM = " + ".join(WINDOW_PARTS)
_ACTIVE_PARTS = " + ".join(f"({part} > 0) * 1" for part in WINDOW_PARTS)
RULE_CANDIDATES: list[tuple[str, str]] = [
    *[(f"{col}_non_negative", f"{col} >= 0") for col in [*EVENT_TYPES, *SOURCES, *WINDOW_PARTS]],
    ("active_span_days_range", "0 <= active_span_days <= 29"),
    ("study_days_range", "1 <= study_days <= 30"),
    ("event_types_sum_to_sources", f"{_TYPES_SUM} == server + browser"),
    ("window_parts_sum_to_total", f"{_PARTS_SUM} == server + browser"),
    ("window_parts_at_most_total", f"{_PARTS_SUM} <= server + browser"),
    ("at_least_one_event", "server + browser >= 1"),
    ("study_days_at_most_events", "study_days <= server + browser"),
    ("study_days_at_most_span_plus_1", "study_days <= active_span_days + 1"),
    ("study_days_at_most_span_plus_2", "study_days <= active_span_days + 2"),
    ("span_needs_two_study_days", "(active_span_days == 0) | (study_days >= 2)"),
    ("two_study_days_need_span", "(study_days == 1) | (active_span_days >= 1)"),
    ("server_only_types_at_most_server", "navigate + discussion + wiki <= server"),
    ("page_close_and_video_at_most_browser", "page_close + video <= browser"),
    ("problem_and_video_at_most_browser", "problem + video <= browser"),
    ("problem_at_most_browser", "problem <= browser"),
    ("video_at_most_browser", "video <= browser"),
    ("access_at_most_browser", "access <= browser"),
    ("page_close_needs_browser", "(page_close == 0) | (browser >= 1)"),
    ("active_window_parts_at_most_study_days", f"{_ACTIVE_PARTS} <= study_days"),
]


def require_files(*paths: Path) -> None:
    """Raise FileNotFoundError naming every real data file that is missing."""
    missing = [str(path) for path in paths if not Path(path).is_file()]
    if missing:
        raise FileNotFoundError(f"real data file(s) not found: {', '.join(missing)}")


def load_exam(path: Path | str) -> pd.DataFrame:
    """Read the exam-score CSV with snake_case column names."""
    require_files(Path(path))
    frame = pd.read_csv(path)
    frame.columns = [col.strip().lower().replace(" ", "_") for col in frame.columns]
    return frame[[*EXAM_COLUMNS, EXAM_TARGET]]


def load_dropout(activity_path: Path | str, truth_path: Path | str) -> pd.DataFrame:
    """Read and join the dropout activity and truth CSVs, with snake_case column names."""
    require_files(Path(activity_path), Path(truth_path))
    activity = pd.read_csv(activity_path)
    truth = pd.read_csv(truth_path)
    frame = activity.merge(truth, on="enrollment_id", how="inner", validate="one_to_one")
    frame = frame.rename(columns=DROPOUT_RENAME)[[*DROPOUT_COLUMNS, DROPOUT_TARGET]]
    values = frame.to_numpy(dtype=float)
    if not np.all(values == np.round(values)):
        raise ValueError("the dropout columns must hold whole numbers")
    return frame.astype("int64")


def _round(values: Any) -> Any:
    """Round floats (or arrays of floats) for a compact JSON file."""
    return np.round(np.asarray(values, dtype=float), DIGITS).tolist()


def _numeric_marginal(series: pd.Series) -> dict[str, Any]:
    """Value frequencies for few distinct integers, otherwise a quantile table."""
    values = series.dropna().to_numpy(dtype=float)
    integer = bool(np.all(values == np.round(values)))
    out: dict[str, Any] = {
        "integer": integer,
        "min": float(values.min()),
        "max": float(values.max()),
        "mean": _round(values.mean()),
        "std": _round(values.std()),
        "missing_rate": _round(series.isna().mean()),
    }
    distinct, counts = np.unique(values, return_counts=True)
    if integer and len(distinct) <= MAX_FREQUENCY_VALUES:
        out["frequencies"] = {
            "values": distinct.astype(int).tolist(),
            "probabilities": _round(counts / len(values)),
        }
    else:
        out["quantiles"] = {
            "levels": _round(QUANTILE_LEVELS),
            "values": _round(np.quantile(values, QUANTILE_LEVELS)),
        }
    return out


def _category_marginal(series: pd.Series, levels: list[str]) -> dict[str, Any]:
    """Level frequencies among non-missing values, and the missing-value rate."""
    present = series.dropna()
    unknown = set(present.unique()) - set(levels)
    if unknown:
        raise ValueError(f"{series.name}: unexpected categories {sorted(unknown)}")
    shares = present.value_counts(normalize=True).reindex(levels, fill_value=0.0)
    return {
        "levels": levels,
        "probabilities": _round(shares.to_numpy()),
        "missing_rate": _round(series.isna().mean()),
    }


def _exam_design(frame: pd.DataFrame, missing_columns: list[str]) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """Numeric columns as-is, categories one-hot against their first level, plus missing indicators."""
    columns = [frame[col].to_numpy(dtype=float) for col in EXAM_NUMERIC]
    names = [(col, "") for col in EXAM_NUMERIC]
    for col, levels in EXAM_CATEGORIES.items():
        for level in levels[1:]:
            columns.append((frame[col] == level).to_numpy(dtype=float))
            names.append((col, level))
        if col in missing_columns:
            columns.append(frame[col].isna().to_numpy(dtype=float))
            names.append((col, "missing"))
    columns.append(np.ones(len(frame)))
    names.append(("intercept", ""))
    return np.column_stack(columns), names


def _exam_target(frame: pd.DataFrame) -> dict[str, Any]:
    """OLS of the score on the inputs, fitted on the non-outlier rows, with the outlier shape."""
    missing_columns = [col for col in EXAM_CATEGORIES if frame[col].isna().any()]
    design, names = _exam_design(frame, missing_columns)
    score = frame[EXAM_TARGET].to_numpy(dtype=float)
    coef = np.linalg.lstsq(design, score, rcond=None)[0]
    residual = score - design @ coef
    robust_scale = 1.4826 * np.median(np.abs(residual - np.median(residual)))
    outlier = residual - np.median(residual) > OUTLIER_ROBUST_SIGMAS * robust_scale
    coef = np.linalg.lstsq(design[~outlier], score[~outlier], rcond=None)[0]
    prediction = design @ coef
    residual = score - prediction
    residual_sd = float(residual[~outlier].std())
    all_r2 = 1 - np.sum(residual**2) / np.sum((score - score.mean()) ** 2)

    numeric = {col: _round(c) for (col, _), c in zip(names, coef, strict=True) if col in EXAM_NUMERIC}
    categorical: dict[str, dict[str, float]] = {
        col: {levels[0]: 0.0} for col, levels in EXAM_CATEGORIES.items()
    }
    for (col, level), c in zip(names, coef, strict=True):
        if col in EXAM_CATEGORIES:
            categorical[col][level] = _round(c)
    return {
        "model": "score = round(intercept + sum(coef * inputs) + normal(0, noise_sd)), plus outliers",
        "intercept": _round(coef[-1]),
        "numeric_coefficients": numeric,
        "category_coefficients": categorical,
        "residual_sd": _round(residual_sd),
        "noise_sd": _round(np.sqrt(max(residual_sd**2 - 1 / 12, 0.0))),
        "rounding": "nearest integer",
        "integer": bool(np.all(score == np.round(score))),
        "min": float(score.min()),
        "max": float(score.max()),
        "r2_all_rows": _round(all_r2),
        "outliers": {
            "rule": f"residual above the median by more than {OUTLIER_ROBUST_SIGMAS} robust sigmas",
            "rate": _round(outlier.mean()),
            "offset_levels": _round(OUTLIER_LEVELS),
            "offset_quantiles": _round(np.quantile(residual[outlier], OUTLIER_LEVELS)),
        },
    }


def measure_exam(path: Path | str) -> dict[str, Any]:
    """Aggregate figures of the exam-score data set: marginals, missing rates, linear structure."""
    frame = load_exam(path)
    return {
        "rows": len(frame),
        "columns": EXAM_COLUMNS,
        "numeric": {col: _numeric_marginal(frame[col]) for col in EXAM_NUMERIC},
        "categorical": {
            col: _category_marginal(frame[col], levels) for col, levels in EXAM_CATEGORIES.items()
        },
        "target": _exam_target(frame),
    }


def check_rules(frame: pd.DataFrame) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    """Split the candidate rules into those holding on every row and those violated somewhere."""
    holding: list[dict[str, str]] = []
    rejected: list[dict[str, Any]] = []
    for name, expr in RULE_CANDIDATES:
        ok = frame.eval(expr, engine="python").to_numpy(dtype=bool)
        if ok.all():
            holding.append({"name": name, "expr": expr})
        else:
            rejected.append({"name": name, "expr": expr, "violating_rows": int((~ok).sum())})
    return holding, rejected


def _copula(frame: pd.DataFrame) -> dict[str, Any]:
    """Gaussian copula of log1p counts (quantiles, normal-score correlations); study days given span."""
    from scipy.stats import rankdata  # only the calibration script needs scipy.stats

    logs = np.log1p(frame[DROPOUT_COLUMNS].to_numpy(dtype=float))
    scores = ndtri((rankdata(logs, axis=0) - 0.5) / len(logs))
    with np.errstate(invalid="ignore", divide="ignore"):
        correlation = np.nan_to_num(np.corrcoef(scores, rowvar=False))
    np.fill_diagonal(correlation, 1.0)
    quantiles = np.quantile(logs, QUANTILE_LEVELS, axis=0)
    days = pd.crosstab(frame["active_span_days"], frame["study_days"], normalize="index")
    return {
        "mean_log1p": dict(zip(DROPOUT_COLUMNS, _round(logs.mean(axis=0)), strict=True)),
        "std_log1p": dict(zip(DROPOUT_COLUMNS, _round(logs.std(axis=0)), strict=True)),
        "quantiles_log1p": {col: _round(quantiles[:, i]) for i, col in enumerate(DROPOUT_COLUMNS)},
        "correlation": _round(correlation),
        "study_days_given_span": {
            "spans": days.index.tolist(),
            "values": days.columns.tolist(),
            "probabilities": _round(days.to_numpy()),
        },
    }


def _components(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """One copula per class and activity segment, weighted by its share of all rows."""
    components = []
    for label in (0, 1):
        for name, where in DROPOUT_SEGMENTS:
            rows = frame[(frame[DROPOUT_TARGET] == label) & frame.eval(where, engine="python")]
            if len(rows) < MIN_SEGMENT_ROWS:
                raise ValueError(f"segment {name} of class {label} has only {len(rows)} rows")
            component = {"label": label, "segment": name, "where": where, "rows": len(rows)}
            component["weight"] = _round(len(rows) / len(frame))
            components.append(component | _copula(rows))
    return components


def measure_dropout(activity_path: Path | str, truth_path: Path | str) -> dict[str, Any]:
    """Aggregate figures of the dropout data set: label rate, per-class copulas, exact rules."""
    frame = load_dropout(activity_path, truth_path)
    segments = sum(frame.eval(where, engine="python").to_numpy(dtype=int) for _, where in DROPOUT_SEGMENTS)
    if not np.all(segments == 1):
        raise ValueError("the dropout segments do not partition the rows")
    rules, rejected = check_rules(frame)
    return {
        "rows": len(frame),
        "columns": DROPOUT_COLUMNS,
        "label_rate": _round(frame[DROPOUT_TARGET].mean()),
        "integer_columns": DROPOUT_COLUMNS,
        "quantile_levels": _round(QUANTILE_LEVELS),
        "rules": rules,
        "rejected_rules": rejected,
        "model": (
            "mixture over (label, activity segment) of Gaussian copulas on log1p counts; "
            "study days drawn from their measured distribution given the span"
        ),
        "components": _components(frame),
    }


def calibrate(exam: Path, activity: Path, truth: Path) -> dict[str, Any]:
    """All figures, with a note on where they come from."""
    return {
        "source": (
            f"Aggregate figures only (frequencies, quantiles, regression coefficients, correlations, "
            f"rule checks) measured by modelling/calibrate.py on the public data sets {exam.name}, "
            f"{activity.name} and {truth.name}; no rows of the real data are included."
        ),
        "exam": measure_exam(exam),
        "dropout": measure_dropout(activity, truth),
    }


def to_json(figures: dict[str, Any]) -> str:
    """Indented JSON with every flat list of numbers or names kept on one line."""
    text = json.dumps(figures, indent=1)
    return re.sub(r"\[[^\[\]{}]*\]", lambda m: re.sub(r"\s*\n\s*", " ", m.group(0)), text) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exam", type=Path, default=DATA_DIR / "StudentPerformanceFactors.csv")
    parser.add_argument("--activity", type=Path, default=DATA_DIR / "kddcup2015_mooc_activity.csv")
    parser.add_argument("--truth", type=Path, default=DATA_DIR / "kddcup2015_truth.csv")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    try:
        require_files(args.exam, args.activity, args.truth)
    except FileNotFoundError as exc:
        print(f"calibrate: {exc}; nothing written.", file=sys.stderr)
        return 2
    figures = calibrate(args.exam, args.activity, args.truth)
    args.out.write_text(to_json(figures))
    rules = figures["dropout"]["rules"]
    print(f"wrote {args.out} ({len(rules)} dropout rules hold on every real row)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
