"""Cross-validated training of the form tasks: `train_task` cross-validates the candidates, picks the
winner by the primary metric (exam-score: lowest MAE; dropout: highest ROC AUC), and refits it on all
rows. Exam predictions are clipped to 0..100 and get a split-conformal 90% interval (half-width from
out-of-fold absolute residuals). The estimators, the candidates and the cross-validation loop are
modules of their own (`estimators`, `candidates`, `cross_validation`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.inspection import permutation_importance
from sklearn.pipeline import Pipeline

from modelling import evaluate, fairness
from modelling.candidates import ENSEMBLE_MEMBERS
from modelling.cross_validation import Progress, Reporter, cross_validate, keras_history
from modelling.estimators import (  # noqa: F401  model files saved before the split name them here
    ClippedRegressor,
    LogitAverageClassifier,
    OOBCalibratedForest,
    SerialHGBClassifier,
    SerialHGBRegressor,
    average_log_odds,
    threads,
)
from modelling.keras_model import KerasMLPRegressor
from modelling.tasks import Task, task_for

IMPORTANCE_ROWS = 2000
IMPORTANCE_REPEATS = 3

# Versions registered before the pipelines and calibration were plain scikit-learn classes were
# pickled under these names; they load as the plain classes.
ChunkedPipeline = Pipeline
PlattCalibratedClassifier = CalibratedClassifierCV


@dataclass
class CandidateResult:
    """Cross-validated metrics of one candidate."""

    name: str
    metrics: dict[str, float]


@dataclass
class TrainingResult:
    """The refitted winner of a task with the cross-validated evidence for it."""

    task: str
    algorithm: str
    estimator: Any
    metrics: dict[str, float]
    candidates: list[CandidateResult]
    details: dict[str, Any] = field(default_factory=dict)
    rows: int = 0


def candidate_names(task: str) -> list[str]:
    """The candidate names of `task`, in the order they are trained."""
    return list(task_for(task).candidates)


def build_candidate(task: str, name: str, seed: int = 0) -> Any:
    """An unfitted candidate estimator of `task`."""
    return task_for(task).build(name, seed)


def _split(task: Task, frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Inputs (schema fields, numerics as float) and the target array."""
    schema = task.form.schema
    missing = [name for name in [*schema.names, schema.target] if name not in frame.columns]
    if missing:
        raise ValueError(f"The {task.name} training frame lacks columns: {', '.join(missing)}")
    X = frame[schema.names].copy()
    for f in schema.numeric:
        X[f.name] = X[f.name].astype(float)
    target = frame[schema.target].to_numpy(dtype=float)
    if np.isnan(target).any():
        raise ValueError(f"The {task.name} target column {schema.target!r} has missing values")
    return X.reset_index(drop=True), task.outcome.training_target(target)


def _field_importance(
    task: Task, estimator: Any, X: pd.DataFrame, y: np.ndarray, seed: int
) -> dict[str, float]:
    """Permutation importance per input field on up to IMPORTANCE_ROWS rows (by the task's scoring)."""
    rows = np.random.default_rng(seed).permutation(len(X))[:IMPORTANCE_ROWS]
    sample, target = X.iloc[rows], y[rows]
    if np.unique(target).size < 2:
        return {}
    result = permutation_importance(
        estimator,
        sample,
        target,
        scoring=task.outcome.scoring,
        n_repeats=IMPORTANCE_REPEATS,
        random_state=seed,
        n_jobs=1,
    )
    pairs = sorted(zip(X.columns, result.importances_mean, strict=True), key=lambda pair: -pair[1])
    return {name: float(value) for name, value in pairs}


def train_task(
    task: str,
    frame: pd.DataFrame,
    *,
    seed: int = 0,
    folds: int = 5,
    candidates: list[str] | None = None,
    progress: Progress | None = None,
    bands: Any = None,
) -> TrainingResult:
    """Cross-validate the candidates of `task` on `frame` (inputs plus target), refit the best on all rows
    (`bands`: the level bands the fairness report flags by; the task's defaults when None)."""
    definition = task_for(task)
    names = list(candidates) if candidates else list(definition.candidates)
    unknown = [name for name in names if name not in definition.candidates]
    if unknown:
        raise KeyError(f"Unknown {task} candidates: {', '.join(unknown)}")
    with threads().limit(limits=1):
        return _train(definition, frame, seed, folds, names, progress, bands or definition.default_bands)


def _train(
    task: Task,
    frame: pd.DataFrame,
    seed: int,
    folds: int,
    names: list[str],
    progress: Progress | None,
    bands: Any,
) -> TrainingResult:
    """The body of `train_task` (run with single-threaded native thread pools)."""
    X, y = _split(task, frame)
    splits = list(task.outcome.splitter(folds, seed).split(X, y))
    report = Reporter(len(names) * folds + 2, progress)

    results: list[CandidateResult] = []
    oof_by_name: dict[str, np.ndarray] = {}
    details: dict[str, Any] = {"candidate_seconds": {}}
    for name in names:
        started = time.perf_counter()
        if name == "additive_ensemble" and all(member in oof_by_name for member in ENSEMBLE_MEMBERS):
            oof = average_log_odds([oof_by_name[member] for member in ENSEMBLE_MEMBERS])
            for index in range(folds):
                report(f"{task.name}: {name} fold {index + 1}/{folds} (from its members' folds)")
        else:
            oof = cross_validate(task, name, (X, y), splits, seed, report, details)
        details["candidate_seconds"][name] = round(time.perf_counter() - started, 3)
        oof_by_name[name] = oof
        results.append(
            CandidateResult(name, evaluate.summarise_folds(task.outcome.fold_metrics(y, oof, splits)))
        )

    metric, sign = task.primary_metric, -1.0 if task.higher_is_better else 1.0
    winner = min(results, key=lambda r: sign * r.metrics[metric])
    estimator = task.build(winner.name, seed).fit(X, y)
    report(f"{task.name}: refitted {winner.name} on {len(y)} rows")
    if isinstance(estimator, KerasMLPRegressor):
        history = keras_history(estimator) or {}
        details["keras_history"] = {"source": f"{winner.name}, final refit", **history}

    details.update(task.outcome.details(y, oof_by_name[winner.name]))
    details["feature_importance"] = _field_importance(task, estimator, X, y, seed)
    details["feature_importance_method"] = (
        f"permutation importance on {min(len(X), IMPORTANCE_ROWS)} training rows, {IMPORTANCE_REPEATS} "
        f"repeats; {task.outcome.importance_text}"
    )
    details.update({"primary_metric": metric, "folds": folds, "seed": seed})
    groups = {column: X[column].to_numpy() for column, _ in task.group_attributes if column in X}
    details["fairness"] = fairness.for_task(task, y, oof_by_name[winner.name], groups, bands, seed=seed)
    report(f"{task.name}: done, {winner.name} wins")
    return TrainingResult(
        task=task.name,
        algorithm=winner.name,
        estimator=estimator,
        metrics=dict(winner.metrics),
        candidates=results,
        details=details,
        rows=len(y),
    )
