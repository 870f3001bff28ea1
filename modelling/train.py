"""Candidate models and cross-validated training for both tasks.

Every candidate is one scikit-learn estimator taking a frame of schema fields (a Pipeline of
preprocessing and model, or the Keras regressor). `train_task` cross-validates the candidates,
picks the winner by the primary metric (exam-score: lowest MAE; dropout: highest ROC AUC), and
refits it on all rows. Exam predictions are clipped to 0..100 and get a split-conformal 90%
interval (half-width from out-of-fold absolute residuals). Dropout probabilities are calibrated
inside each estimator: Platt scaling on shuffled inner folds (an affine map of the log-odds, so the
additive candidates stay additive), or for the random forest an isotonic map of its out-of-bag votes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit, logit
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
)
from sklearn.inspection import permutation_importance
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import HuberRegressor, LinearRegression, LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import ThreadpoolController

from modelling import evaluate, fairness
from modelling.features import (
    ActivityFeatures,
    dropout_raw_selector,
    dropout_spline_preprocessor,
    exam_preprocessor,
)
from modelling.keras_model import KerasMLPRegressor
from modelling.tasks import EXAM, Task, task_for

SCORE_RANGE = EXAM.outcome.scale
IMPORTANCE_ROWS = 2000
IMPORTANCE_REPEATS = 3
KERAS_MAX_EPOCHS = 100
ENSEMBLE_MEMBERS = ("logistic_regression", "gradient_boosting")

Progress = Callable[[float, str], None]


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


@cache
def _threads() -> ThreadpoolController:
    """One controller of the native thread pools (OpenMP, BLAS) per process."""
    return ThreadpoolController()


def _one_thread() -> Any:
    """A context in which OpenMP (the boosting trees' thread pool) runs on one thread."""
    return _threads().limit(limits=1, user_api="openmp")


class SerialHGBClassifier(HistGradientBoostingClassifier):
    """HistGradientBoostingClassifier fitting and predicting on one OpenMP thread.

    Serving processes share few cores: OpenMP threads waiting for each other there cost more than
    they give (docs/performance.md has the figures)."""

    def fit(self, X: Any, y: Any, sample_weight: Any = None, **params: Any) -> SerialHGBClassifier:
        """Fit on one thread."""
        with _one_thread():
            return super().fit(X, y, sample_weight=sample_weight, **params)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class, on one thread."""
        with _one_thread():
            return super().predict(X)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, on one thread."""
        with _one_thread():
            return super().predict_proba(X)

    def decision_function(self, X: Any) -> np.ndarray:
        """Raw (log-odds) predictions, on one thread."""
        with _one_thread():
            return super().decision_function(X)


class SerialHGBRegressor(HistGradientBoostingRegressor):
    """HistGradientBoostingRegressor fitting and predicting on one OpenMP thread (see SerialHGBClassifier)."""

    def fit(self, X: Any, y: Any, sample_weight: Any = None, **params: Any) -> SerialHGBRegressor:
        """Fit on one thread."""
        with _one_thread():
            return super().fit(X, y, sample_weight=sample_weight, **params)

    def predict(self, X: Any) -> np.ndarray:
        """Predictions, on one thread."""
        with _one_thread():
            return super().predict(X)


class ClippedRegressor(RegressorMixin, BaseEstimator):
    """A regressor whose predictions are clipped to [low, high]."""

    def __init__(self, regressor: Any, low: float = SCORE_RANGE[0], high: float = SCORE_RANGE[1]) -> None:
        self.regressor = regressor
        self.low = low
        self.high = high

    def fit(self, X: Any, y: Any) -> ClippedRegressor:
        """Fit a clone of the wrapped regressor."""
        self.regressor_ = clone(self.regressor).fit(X, y)
        self.n_features_in_ = getattr(self.regressor_, "n_features_in_", np.shape(X)[1])
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Clipped predictions."""
        check_is_fitted(self, "regressor_")
        return np.clip(self.regressor_.predict(X), self.low, self.high)


class OOBCalibratedForest(ClassifierMixin, BaseEstimator):
    """Random forest calibrated by isotonic regression on its out-of-bag votes; n_jobs=1 at inference."""

    def __init__(
        self,
        n_estimators: int = 100,
        min_samples_leaf: int = 20,
        max_features: int | float | str = "sqrt",
        fit_jobs: int = 2,
        random_state: int | None = None,
    ) -> None:
        self.n_estimators = n_estimators
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.fit_jobs = fit_jobs
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> OOBCalibratedForest:
        """Grow the forest, then fit the calibration map on its out-of-bag probabilities."""
        forest = RandomForestClassifier(
            n_estimators=self.n_estimators,
            min_samples_leaf=self.min_samples_leaf,
            max_features=self.max_features,
            oob_score=True,
            n_jobs=self.fit_jobs,
            random_state=self.random_state,
        ).fit(X, y)
        votes = forest.oob_decision_function_[:, 1]
        seen = ~np.isnan(votes)
        self.calibrator_ = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(
            votes[seen], np.asarray(y)[seen]
        )
        forest.set_params(n_jobs=1)
        self.forest_ = forest
        self.classes_ = forest.classes_
        self.n_features_in_ = forest.n_features_in_
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Calibrated probabilities of [negative, positive] class."""
        check_is_fitted(self, "forest_")
        positive = self.calibrator_.predict(self.forest_.predict_proba(X)[:, 1])
        return np.column_stack([1 - positive, positive])

    def predict(self, X: Any) -> np.ndarray:
        """The more probable class."""
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]


def _mean_log_odds(probabilities: list[np.ndarray]) -> np.ndarray:
    """Mean of the log-odds of several probability vectors."""
    return np.mean([logit(np.clip(p, 1e-9, 1 - 1e-9)) for p in probabilities], axis=0)


def _average_log_odds(probabilities: list[np.ndarray]) -> np.ndarray:
    """The probability whose log-odds are the mean of the members' log-odds."""
    return expit(_mean_log_odds(probabilities))


class LogitAverageClassifier(ClassifierMixin, BaseEstimator):
    """Averages the log-odds of member classifiers (additive members give an additive ensemble)."""

    def __init__(self, members: list[tuple[str, Any]]) -> None:
        self.members = members

    def fit(self, X: Any, y: Any) -> LogitAverageClassifier:
        """Fit a clone of every member."""
        self.members_ = [(name, clone(member).fit(X, y)) for name, member in self.members]
        self.classes_ = self.members_[0][1].classes_
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """Mean log-odds of the positive class over the members."""
        check_is_fitted(self, "members_")
        return _mean_log_odds([member.predict_proba(X)[:, 1] for _, member in self.members_])

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probabilities of [negative, positive] class."""
        positive = expit(self.decision_function(X))
        return np.column_stack([1 - positive, positive])

    def predict(self, X: Any) -> np.ndarray:
        """The more probable class."""
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]


# Versions registered before the pipelines and calibration were plain scikit-learn classes were
# pickled under these names; they load as the plain classes.
ChunkedPipeline = Pipeline
PlattCalibratedClassifier = CalibratedClassifierCV


def _calibrated(model: Any, seed: int) -> CalibratedClassifierCV:
    """Platt scaling fitted on shuffled 3-fold out-of-fold scores, applied to the model fitted on all rows."""
    # ensemble=False keeps one model followed by an affine map of its log-odds (additive stays additive).
    # The folds are shuffled because real data sets come in an order that drifts: unshuffled folds
    # taught the calibrator a shift that is not there (out-of-fold ECE 0.027 instead of 0.005).
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=seed)
    return CalibratedClassifierCV(model, method="sigmoid", cv=folds, ensemble=False)


def exam_candidate(name: str, seed: int) -> Any:
    """An unfitted exam-score candidate."""
    if name == "linear_regression":
        return Pipeline([("features", exam_preprocessor()), ("model", ClippedRegressor(LinearRegression()))])
    if name == "huber":
        model = HuberRegressor(epsilon=1.35, alpha=1e-4, max_iter=1000)
        return Pipeline([("features", exam_preprocessor()), ("model", ClippedRegressor(model))])
    if name == "gradient_boosting":
        model = SerialHGBRegressor(
            loss="absolute_error",
            learning_rate=0.5,
            max_iter=300,
            max_leaf_nodes=4,
            early_stopping=False,
            interaction_cst="no_interactions",
            random_state=seed,
        )
        return Pipeline([("features", exam_preprocessor(scale=False)), ("model", ClippedRegressor(model))])
    if name == "keras_mlp":
        return KerasMLPRegressor(
            preprocessor=exam_preprocessor(),
            hidden_units=(16,),
            learning_rate=3e-3,
            batch_size=256,
            max_epochs=KERAS_MAX_EPOCHS,
            patience=10,
            loss="huber",
            huber_delta=0.1,
            clip=SCORE_RANGE,
            seed=seed,
        )
    raise KeyError(f"Unknown exam-score candidate {name!r}.")


def _spline_logistic(seed: int) -> Pipeline:
    """Logistic regression on per-field splines of log1p counts (additive in the raw fields)."""
    model = LogisticRegression(C=10.0, solver="newton-cholesky", max_iter=500)
    return Pipeline([("features", dropout_spline_preprocessor()), ("model", _calibrated(model, seed))])


def _additive_boosting(seed: int) -> Pipeline:
    """Histogram gradient boosting restricted to one field per tree (additive in the raw fields)."""
    model = SerialHGBClassifier(
        learning_rate=0.1,
        max_iter=200,
        max_leaf_nodes=6,
        min_samples_leaf=40,
        interaction_cst="no_interactions",
        random_state=seed,
    )
    return Pipeline([("features", dropout_raw_selector()), ("model", _calibrated(model, seed))])


def dropout_candidate(name: str, seed: int) -> Any:
    """An unfitted dropout candidate (every one returns calibrated probabilities)."""
    if name == "logistic_regression":
        return _spline_logistic(seed)
    if name == "random_forest":
        forest = OOBCalibratedForest(n_estimators=100, min_samples_leaf=20, max_features=3, random_state=seed)
        return Pipeline([("features", ActivityFeatures()), ("model", forest)])
    if name == "gradient_boosting":
        return _additive_boosting(seed)
    if name == "additive_ensemble":
        members = [(member, dropout_candidate(member, seed)) for member in ENSEMBLE_MEMBERS]
        return Pipeline([("model", LogitAverageClassifier(members))])
    raise KeyError(f"Unknown dropout candidate {name!r}.")


def candidate_names(task: str) -> list[str]:
    """The candidate names of `task`, in the order they are trained."""
    return list(task_for(task).candidates)


def build_candidate(task: str, name: str, seed: int = 0) -> Any:
    """An unfitted candidate estimator of `task`."""
    return task_for(task).build(name, seed)


def _split(task: Task, frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Inputs (schema fields, numerics as float) and the target array."""
    schema = task.schema
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


def _keras_history(estimator: Any) -> dict[str, list[float]] | None:
    """The per-epoch training history of a fitted Keras regressor."""
    history = getattr(estimator, "history_", None)
    return {key: list(values) for key, values in history.items()} if history else None


class _Reporter:
    """Counts finished steps and passes (fraction, message) to the caller's progress callback."""

    def __init__(self, total: int, callback: Progress | None) -> None:
        self.total = max(total, 1)
        self.done = 0
        self.callback = callback

    def __call__(self, message: str) -> None:
        """One more step is finished."""
        self.done += 1
        if self.callback is not None:
            self.callback(min(self.done / self.total, 1.0), message)


def _cross_validate(
    task: Task,
    name: str,
    data: tuple[pd.DataFrame, np.ndarray],
    splits: list[tuple[np.ndarray, np.ndarray]],
    seed: int,
    report: _Reporter,
    details: dict[str, Any],
) -> np.ndarray:
    """Out-of-fold predictions of one candidate (the first fold's Keras history goes into `details`)."""
    X, y = data
    oof = np.empty(len(y))
    for index, (train, test) in enumerate(splits):
        model = task.build(name, seed).fit(X.iloc[train], y[train])
        oof[test] = task.outcome.values(model, X.iloc[test])
        if index == 0 and isinstance(model, KerasMLPRegressor):
            details["keras_history"] = {"source": f"{name}, fold 1", **(_keras_history(model) or {})}
        report(f"{task.name}: {name} fold {index + 1}/{len(splits)}")
    return oof


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
    with _threads().limit(limits=1):
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
    report = _Reporter(len(names) * folds + 2, progress)

    results: list[CandidateResult] = []
    oof_by_name: dict[str, np.ndarray] = {}
    details: dict[str, Any] = {"candidate_seconds": {}}
    for name in names:
        started = time.perf_counter()
        if name == "additive_ensemble" and all(member in oof_by_name for member in ENSEMBLE_MEMBERS):
            oof = _average_log_odds([oof_by_name[member] for member in ENSEMBLE_MEMBERS])
            for index in range(folds):
                report(f"{task.name}: {name} fold {index + 1}/{folds} (from its members' folds)")
        else:
            oof = _cross_validate(task, name, (X, y), splits, seed, report, details)
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
        history = _keras_history(estimator) or {}
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
