"""Train the early-warning models: per checkpoint, course-grouped cross-validation, selection, refit.

Honest selection: the folds keep every course whole (GroupKFold by course, 5 folds when there are
at least 5 courses, else leave-one-course-out), so every figure is a model scored on courses it was
not trained on, as a new course meets the product. Per checkpoint every candidate's fold figures are
kept (ROC AUC, PR AUC, Brier, ECE, precision and recall of the High band); the winner is the simplest
candidate (the task lists them simplest first) whose mean fold ROC AUC is within the task's
`selection_tolerance` of the best, refitted on every training course. The ensemble is scored from its
members' out-of-fold log-odds (the mean of them, which is what it computes) instead of being trained
again per fold, and it needs at least two members among the candidates run.

A course enters as (code, course_days, enrollment ids, counts cube, sources or None, labels 0/1).
A course of another length than the task's nominal one is read at the same fractions of its length.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy.special import expit, logit
from sklearn.metrics import average_precision_score
from sklearn.model_selection import GroupKFold, LeaveOneGroupOut
from threadpoolctl import threadpool_limits

from modelling import evaluate, fairness
from modelling.early_warning import candidates as candidate_models
from modelling.early_warning.inputs import model_frame
from modelling.early_warning.level_figures import relative_figures
from modelling.levels import RISK_LEVELS, Bands, levels_by_group
from modelling.tasks import EARLY_WARNING, Task

FOLDS = 5
PARALLEL_JOBS = 2
PARALLEL_ROWS = 5_000  # below, starting worker processes (and TensorFlow in them) costs more than it saves
Progress = Callable[[float, str], None]
CourseData = tuple[str, int, Sequence, np.ndarray, "np.ndarray | None", np.ndarray]


@dataclass
class CheckpointResult:
    """One checkpoint: the refitted winner and the evidence for it."""

    checkpoint: int
    algorithm: str
    estimator: Any
    metrics: dict[str, float]  # the winner's mean fold figures
    candidates: dict[str, dict[str, Any]]  # name -> folds, mean, pooled, seconds
    calibration_curve: list[dict[str, float]]  # the winner's out-of-fold curve
    rows: int
    explainer: Any = None  # the additive model giving the reasons when the winner reads no features
    fairness: dict[str, Any] | None = None  # by the learners' group attributes, when some are known


@dataclass
class EarlyWarningResult:
    """Every checkpoint's model, the folds used and how early dropout can be told."""

    task: str
    course_days: int
    checkpoints: dict[int, CheckpointResult]
    folds: list[list[str]]  # the courses held out by each fold
    bands: Bands = RISK_LEVELS
    seconds: dict[str, float] = field(default_factory=dict)  # candidate -> CV and refit time, all checkpoints

    @property
    def auc_by_checkpoint(self) -> dict[int, float]:
        """The chosen model's course-grouped ROC AUC at every checkpoint."""
        return {day: result.metrics["roc_auc"] for day, result in self.checkpoints.items()}


def high_threshold(bands: Bands) -> float:
    """The lower bound of the highest band (High)."""
    return max(lower for _, lower in bands)


def figures(
    y: np.ndarray, p: np.ndarray, bands: Bands = RISK_LEVELS, groups: np.ndarray | None = None
) -> dict[str, float]:
    """ROC AUC, PR AUC, Brier, ECE, the fixed High band's precision and recall, the calibration offset
    (mean probability minus the observed dropout rate) of probabilities `p`, and with the rows'
    courses (`groups`) the figures of the levels relative to the course (precision of High, base rate,
    lift, share flagged)."""
    high = evaluate.confusion_at(y, p, high_threshold(bands))
    two_classes = np.unique(y).size == 2
    return {
        "roc_auc": evaluate.roc_auc(y, p),
        "pr_auc": float(average_precision_score(y, p)) if two_classes else float("nan"),
        "brier": evaluate.brier(y, p),
        "ece": evaluate.expected_calibration_error(y, p),
        "high_precision": high["precision"],
        "high_recall": high["recall"],
        "high_share": float(np.mean(p >= high_threshold(bands))),
        # Per held-out fold, most of the ECE: a course's own dropout rate, which its activity does not tell.
        "offset": float(np.mean(p) - np.mean(y)) if len(y) else float("nan"),
        **(relative_figures(y, p, groups) if groups is not None else {}),
    }


def course_folds(groups: np.ndarray, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) row indices with every course whole in one test fold."""
    courses = np.unique(groups)
    if len(courses) < 2:
        raise ValueError("Course-grouped cross-validation needs at least two courses.")
    splitter = (
        GroupKFold(n_splits=FOLDS, shuffle=True, random_state=seed)
        if len(courses) >= FOLDS
        else LeaveOneGroupOut()
    )
    return list(splitter.split(np.zeros(len(groups)), groups=groups))


def checkpoint_data(
    courses: Sequence[CourseData], checkpoint: int, task: Task = EARLY_WARNING
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """(model frame, labels, course of each row) of every course at its day for `checkpoint`."""
    frames, labels, groups = [], [], []
    for code, course_days, ids, counts, sources, y in courses:
        if len(ids) != len(counts) or len(y) != len(counts):
            raise ValueError(f"Course {code}: enrollments, counts and labels differ in length.")
        day = task.course.checkpoint_map(course_days)[checkpoint]
        frames.append(model_frame(counts, day, course_days, sources, window=checkpoint))
        labels.append(np.asarray(y, dtype=int))
        groups.append(np.full(len(ids), str(code), dtype=object))
    return pd.concat(frames, ignore_index=True), np.concatenate(labels), np.concatenate(groups)


def _log_odds(p: np.ndarray) -> np.ndarray:
    return logit(np.clip(p, 1e-9, 1 - 1e-9))


def fold_jobs(rows: int) -> int:
    """Processes fitting the folds: two (the 2 cores the training target names) once the data is
    large enough to pay for starting them, else one (in this process)."""
    return min(PARALLEL_JOBS, os.cpu_count() or 1) if rows >= PARALLEL_ROWS else 1


def _fit_fold(name: str, train: tuple, X_test: pd.DataFrame, seed: int, threads: int | None) -> tuple:
    """(probabilities of the held-out rows, seconds) of one candidate fitted on one fold."""
    start = time.perf_counter()
    with threadpool_limits(threads):  # worker processes share the cores: one BLAS thread each
        model = candidate_models.build(name, seed).fit(*train)
        probabilities = model.predict_proba(X_test)[:, 1]
    return probabilities, time.perf_counter() - start


def _out_of_fold(
    names: Sequence[str], X: pd.DataFrame, y: np.ndarray, splits: list, seed: int, step: Progress
) -> dict[str, tuple[np.ndarray, float]]:
    """Per candidate, (out-of-fold probabilities, seconds its fold fits took): every (candidate, fold)
    fit is independent, so they run side by side on `fold_jobs` processes (the same seeds, the same
    figures as one after the other)."""
    jobs = fold_jobs(len(y))
    tasks = [(name, number, train, test) for name in names for number, (train, test) in enumerate(splits, 1)]
    fits = Parallel(n_jobs=jobs, return_as="generator")(
        delayed(_fit_fold)(name, (X.iloc[train], y[train]), X.iloc[test], seed, 1 if jobs > 1 else None)
        for name, _, train, test in tasks
    )
    found = {name: (np.zeros(len(y)), [0.0]) for name in names}
    for (name, number, _, test), (probabilities, seconds) in zip(tasks, fits, strict=True):
        found[name][0][test] = probabilities
        found[name][1][0] += seconds
        step(f"{name}: fold {number} of {len(splits)}")
    return {name: (oof, spent[0]) for name, (oof, spent) in found.items()}


def _evidence(data: tuple, oof: np.ndarray, splits: list, bands: Bands, seconds: float) -> dict[str, Any]:
    """Per fold, their mean and pooled: the figures of the out-of-fold probabilities."""
    y, groups = data
    per_fold = [figures(y[test], oof[test], bands, groups[test]) for _, test in splits]
    with warnings.catch_warnings():  # a figure no fold has (no learner at High in tiny courses) is NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = {key: float(np.nanmean([fold[key] for fold in per_fold])) for key in per_fold[0]}
    return {"folds": per_fold, "mean": mean, "pooled": figures(y, oof, bands, groups), "seconds": seconds}


def _members(names: Sequence[str]) -> tuple[str, ...]:
    return tuple(name for name in candidate_models.ENSEMBLE_MEMBERS if name in names)


def _evaluate(
    names: Sequence[str], data: tuple, splits: list, seed: int, bands: Bands, step: Progress
) -> tuple[dict[str, dict[str, Any]], dict[str, np.ndarray]]:
    """Every candidate's evidence and out-of-fold probabilities at one checkpoint."""
    X, y, groups = data
    evidence, oofs = {}, {}
    base = [name for name in names if name != candidate_models.ENSEMBLE]
    for name, (oof, seconds) in _out_of_fold(base, X, y, splits, seed, step).items():
        oofs[name] = oof
        evidence[name] = _evidence((y, groups), oof, splits, bands, seconds)
    members = _members(names)
    if candidate_models.ENSEMBLE in names and len(members) >= 2:
        oofs[candidate_models.ENSEMBLE] = expit(np.mean([_log_odds(oofs[m]) for m in members], axis=0))
        evidence[candidate_models.ENSEMBLE] = _evidence(
            (y, groups), oofs[candidate_models.ENSEMBLE], splits, bands, 0.0
        )
    return evidence, oofs


def _check_names(names: Sequence[str], task: Task) -> None:
    unknown = sorted(set(names) - set(task.candidates))
    if unknown or not names:
        raise ValueError(
            f"Unknown early-warning candidates {unknown}; use some of {', '.join(task.candidates)}."
        )


def refit(name: str, names: Sequence[str], X: pd.DataFrame, y: np.ndarray, seed: int) -> Any:
    """The winner fitted on every training row (an ensemble of the members run)."""
    return candidate_models.build(name, seed, members=_members(names)).fit(X, y)


def needs_explainer(model: Any) -> bool:
    """Whether the model reads no features (a sequence model), so its reasons come from an explainer."""
    from modelling.early_warning.reasons import reads_features

    return not reads_features(model)


def choose(evidence: dict[str, dict[str, Any]], task: Task = EARLY_WARNING) -> str:
    """The simplest candidate run (the first in the task's list) whose mean fold ROC AUC is within the
    task's selection tolerance of the best one's."""
    auc = {name: float(np.nan_to_num(found["mean"]["roc_auc"], nan=-1.0)) for name, found in evidence.items()}
    best = max(auc.values())
    ranked = [name for name in task.candidates if name in auc]  # the names run are the task's (_check_names)
    return next(name for name in ranked if auc[name] >= best - task.course.selection_tolerance)


def checkpoint_fairness(
    y: np.ndarray,
    p: np.ndarray,
    courses: np.ndarray,
    groups: Mapping[str, np.ndarray],
    bands: Bands,
    seed: int,
) -> dict[str, Any] | None:
    """The fairness report of out-of-fold probabilities `p`, flagged at High relative to each course."""
    rule = EARLY_WARNING.course.relative_levels
    flagged = levels_by_group(rule, np.round(p, 4), courses) == rule.names[0]
    return fairness.for_task(EARLY_WARNING, y, p, groups, bands, flagged=flagged, seed=seed)


def train_checkpoint(
    courses: Sequence[CourseData],
    checkpoint: int,
    names: Sequence[str],
    seed: int,
    bands: Bands,
    step: Progress,
    attributes: Mapping[str, np.ndarray] | None = None,
) -> CheckpointResult:
    """Cross-validate every candidate at one checkpoint, then refit the winner on every course
    (`attributes`: each enrollment's group attributes, in the order of the courses' enrollments)."""
    X, y, groups = checkpoint_data(courses, checkpoint)
    splits = course_folds(groups, seed)
    evidence, oofs = _evaluate(names, (X, y, groups), splits, seed, bands, step)
    winner = choose(evidence)
    start = time.perf_counter()
    estimator = refit(winner, names, X, y, seed)
    explainer = (
        candidate_models.build("spline_logistic", seed).fit(X, y) if needs_explainer(estimator) else None
    )
    evidence[winner]["refit_seconds"] = time.perf_counter() - start
    step(f"day {checkpoint}: {winner} refitted on {len(np.unique(groups))} courses")
    return CheckpointResult(
        checkpoint=checkpoint,
        algorithm=winner,
        estimator=estimator,
        metrics=evidence[winner]["mean"],
        candidates=evidence,
        calibration_curve=evaluate.calibration_curve(y, oofs[winner]),
        rows=len(y),
        explainer=explainer,
        fairness=checkpoint_fairness(y, oofs[winner], groups, attributes or {}, bands, seed),
    )


def train_early_warning(
    courses: Sequence[CourseData],
    checkpoints: Sequence[int] | None = None,
    candidates: Sequence[str] | None = None,
    seed: int = 0,
    progress: Progress | None = None,
    bands: Bands = RISK_LEVELS,
    attributes: Mapping[str, np.ndarray] | None = None,
) -> EarlyWarningResult:
    """One model per checkpoint on finished courses, chosen by course-grouped cross-validation
    (`attributes`: the enrollments' group attributes, in the courses' order, for the fairness report)."""
    task = EARLY_WARNING
    days = tuple(checkpoints or task.course.checkpoints)
    names = tuple(candidates or task.candidates)
    _check_names(names, task)
    if unknown := sorted(set(days) - set(task.course.checkpoints)):
        raise ValueError(f"Unknown checkpoints {unknown}; use some of {list(task.course.checkpoints)}.")
    base = [name for name in names if name != candidate_models.ENSEMBLE]
    total = len(days) * (len(base) * min(FOLDS, len(courses)) + 1)
    done = [0]

    def step(message: str) -> None:
        done[0] += 1
        if progress is not None:
            progress(min(done[0] / total, 1.0), message)

    results = {
        day: train_checkpoint(courses, day, names, seed, bands, step, attributes) for day in sorted(days)
    }
    groups = checkpoint_data(courses, min(days))[2]
    folds = [sorted(set(groups[test])) for _, test in course_folds(groups, seed)]
    seconds = {
        name: sum(
            r.candidates[name]["seconds"] + r.candidates[name].get("refit_seconds", 0.0)
            for r in results.values()
        )
        for name in names
        if all(name in r.candidates for r in results.values())
    }
    return EarlyWarningResult(task.name, task.course.course_days, results, folds, tuple(bands), seconds)
