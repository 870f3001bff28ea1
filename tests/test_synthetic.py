"""Tests of the synthetic default-data generator and its calibration figures."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from modelling.calibrate import (
    DROPOUT_COLUMNS,
    DROPOUT_TARGET,
    EXAM_CATEGORIES,
    EXAM_COLUMNS,
    EXAM_NUMERIC,
    EXAM_TARGET,
    load_dropout,
    load_exam,
)
from modelling.fidelity import DROPOUT_AUC_TARGET, EXAM_R2_TARGET, dropout_fidelity, exam_fidelity
from modelling.synthetic import generate_dropout, generate_exam, load_calibration

# The real public data sets' folder, when a developer names it (the checks on it are skipped otherwise).
REAL_DATA_DIR = Path(os.environ.get("SSA_REAL_DATA_DIR") or "/nonexistent-real-data")
EXAM_FILE = REAL_DATA_DIR / "StudentPerformanceFactors.csv"
ACTIVITY_FILE = REAL_DATA_DIR / "kddcup2015_mooc_activity.csv"
TRUTH_FILE = REAL_DATA_DIR / "kddcup2015_truth.csv"
SPEC_RANGES = {
    "hours_studied": (0, 60),
    "attendance": (0, 100),
    "sleep_hours": (0, 24),
    "previous_scores": (0, 100),
    "tutoring_sessions": (0, 20),
    "physical_activity": (0, 20),
}
CALIBRATION = load_calibration()
RULES = CALIBRATION["dropout"]["rules"]


@pytest.fixture(scope="module")
def exam() -> pd.DataFrame:
    return generate_exam(20_000, seed=7)


@pytest.fixture(scope="module")
def dropout() -> pd.DataFrame:
    return generate_dropout(50_000, seed=7)


def test_calibration_is_aggregate_only() -> None:
    assert "aggregate figures only" in CALIBRATION["source"].lower()
    assert {"exam", "dropout"} <= set(CALIBRATION)


@pytest.mark.parametrize("generate", [generate_exam, generate_dropout])
def test_same_seed_same_frame_and_different_seed_different_frame(generate) -> None:
    first = generate(2_000, seed=11)
    pd.testing.assert_frame_equal(first, generate(2_000, seed=11))
    assert not first.equals(generate(2_000, seed=12))


def test_exam_columns_and_dtypes(exam: pd.DataFrame) -> None:
    assert list(exam.columns) == [*EXAM_COLUMNS, EXAM_TARGET]
    for col in [*EXAM_NUMERIC, EXAM_TARGET]:
        assert exam[col].dtype == np.int64, col
    for col in EXAM_CATEGORIES:
        assert pd.api.types.is_string_dtype(exam[col]) or exam[col].dtype == object, col


def test_exam_categories_spelled_as_real_data(exam: pd.DataFrame) -> None:
    for col, levels in EXAM_CATEGORIES.items():
        assert set(exam[col].dropna().unique()) == set(levels), col


def test_exam_ranges(exam: pd.DataFrame) -> None:
    for col, (low, high) in SPEC_RANGES.items():
        measured = CALIBRATION["exam"]["numeric"][col]
        assert low <= measured["min"] <= exam[col].min(), col
        assert exam[col].max() <= measured["max"] <= high, col
    assert exam[EXAM_TARGET].between(55, 101).all()


def test_exam_missing_rates_and_frequencies_near_calibration(exam: pd.DataFrame) -> None:
    for col in EXAM_NUMERIC:
        assert exam[col].notna().all(), col
    for col, spec in CALIBRATION["exam"]["categorical"].items():
        assert exam[col].isna().mean() == pytest.approx(spec["missing_rate"], abs=0.005), col
        shares = exam[col].value_counts(normalize=True).reindex(spec["levels"])
        assert np.allclose(shares, spec["probabilities"], atol=0.02), col
    assert exam[EXAM_TARGET].mean() == pytest.approx(67.24, abs=0.3)


def test_dropout_columns_dtypes_and_label_rate(dropout: pd.DataFrame) -> None:
    assert list(dropout.columns) == [*DROPOUT_COLUMNS, DROPOUT_TARGET]
    assert (dropout.dtypes == np.int64).all()
    assert set(dropout[DROPOUT_TARGET].unique()) == {0, 1}
    assert dropout[DROPOUT_TARGET].mean() == pytest.approx(CALIBRATION["dropout"]["label_rate"], abs=0.01)


def test_core_rules_were_recorded() -> None:
    names = {rule["name"] for rule in RULES}
    assert {"event_types_sum_to_sources", "active_span_days_range", "study_days_range"} <= names
    assert "window_parts_sum_to_total" not in names


@pytest.mark.parametrize("rule", RULES, ids=[rule["name"] for rule in RULES])
def test_every_recorded_rule_holds_on_generated_rows(dropout: pd.DataFrame, rule: dict[str, str]) -> None:
    holds = dropout.eval(rule["expr"], engine="python")
    assert holds.all(), f"{rule['name']} fails on {int((~holds).sum())} rows"


@pytest.fixture(scope="module")
def real_files() -> None:
    if not all(path.is_file() for path in (EXAM_FILE, ACTIVITY_FILE, TRUTH_FILE)):
        pytest.skip(f"real data sets not found in {REAL_DATA_DIR}")


@pytest.mark.usefixtures("real_files")
def test_models_trained_on_synthetic_data_score_well_on_real_data() -> None:
    aucs = dropout_fidelity(load_dropout(ACTIVITY_FILE, TRUTH_FILE))
    assert min(aucs.values()) >= DROPOUT_AUC_TARGET, aucs
    exam_scores = exam_fidelity(load_exam(EXAM_FILE))
    assert exam_scores["r2"] >= EXAM_R2_TARGET, exam_scores
