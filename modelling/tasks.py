"""Every prediction task, declared once: what differs between tasks is data here, not branches.

A task names its input schema, the kind of outcome it predicts (a bounded score with an interval,
or the probability of an event), the names of its output value and level, where its level bands
come from, its primary metric, its candidates, its recommendation and what-if moves and its words
for people. Every layer reads these declarations; no other module compares task names (a test
checks). Adding a task is one more `Task` with its schema and candidates.

Two kinds of task. The *form tasks* (`TASKS`: exam score, dropout) predict from one person's
fields typed into a form or a batch file; the pages, records, analytics, batch scoring and the demo
iterate `TASKS`/`TASK_NAMES`, so they list only these. The *course tasks* (`COURSE_TASKS`: early
warning) predict from a course's daily activity as of a day of the course: they declare their
`inputs` (the activity features), their `checkpoints` for a course of `course_days` days (a course
of another length uses the same fractions of its length: `checkpoint_days`) and have no schema,
what-if moves, synthetic generator or bundled file (those fields default to neutral values). They
are trained and served by their own module (`modelling.early_warning`), never by the form tasks'
services. `ALL_TASKS` holds both kinds and `task_for` finds any task by name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from modelling import evaluate, moves
from modelling.activity_features import FEATURE_NAMES
from modelling.levels import (
    EXAM_LEVELS,
    RISK_LEVELS,
    Bands,
    CourseShares,
    FixedBands,
    level_for,
    level_names,
    levels_for,
)
from modelling.schemas import DROPOUT as DROPOUT_SCHEMA
from modelling.schemas import EVENT_TYPES, TaskSchema
from modelling.schemas import EXAM as EXAM_SCHEMA

CONFUSION_THRESHOLD = 0.5


@dataclass(frozen=True)
class Score:
    """A number on a bounded scale, served with a split-conformal interval."""

    low: float = 0.0
    high: float = 100.0
    interval_level: float = 0.9
    decimals: int = 1
    summary_decimals: int = 1
    unit: str = "points"
    contribution_unit: str = "points"
    scoring: str = "neg_mean_absolute_error"
    importance_text: str = "increase in MAE"
    target_text: str = "must be a number from 0 to 100"
    has_interval: bool = True

    def values(self, estimator: Any, frame: pd.DataFrame) -> np.ndarray:
        """Predicted scores, clipped to the scale."""
        return np.clip(np.asarray(estimator.predict(frame), dtype=float).ravel(), self.low, self.high)

    def explanation_scale(self, values: np.ndarray, floor: float = 1e-6) -> np.ndarray:
        """Explanations are given in the score's own points."""
        return values

    @property
    def scale(self) -> tuple[float, float]:
        """The range a value can take."""
        return (self.low, self.high)

    def from_scale(self, values: np.ndarray) -> np.ndarray:
        """Values on the explanation scale back to scores (kept on the scale)."""
        return np.clip(values, self.low, self.high)

    def bounded_scale(self, values: np.ndarray) -> np.ndarray:
        """Explanation-scale values as the model can give them (on the scale)."""
        return self.from_scale(values)

    def valid_target(self, target: pd.Series) -> np.ndarray:
        """Which target values are on the scale."""
        return target.between(self.low, self.high).to_numpy()

    def target_array(self, target: np.ndarray) -> np.ndarray:
        """The training target as the estimators take it."""
        return target.astype(float)

    def training_target(self, target: np.ndarray) -> np.ndarray:
        """The target to train on (predictions are clipped to the scale, so any number will do)."""
        return target.astype(float)

    def splitter(self, folds: int, seed: int) -> Any:
        """Shuffled, seeded folds."""
        from sklearn.model_selection import KFold  # serving from lookup tables needs no scikit-learn

        return KFold(n_splits=folds, shuffle=True, random_state=seed)

    def fold_metrics(self, y: np.ndarray, oof: np.ndarray, splits: list) -> list[dict[str, float]]:
        """Per fold: errors, and the coverage of a half-width taken from the other folds' residuals."""
        residuals = np.abs(y - oof)
        per_fold = []
        for train, test in splits:
            halfwidth = evaluate.conformal_halfwidth(residuals[train], self.interval_level)
            metrics = evaluate.regression_metrics(y[test], oof[test], halfwidth)
            metrics["mae_rounded"] = evaluate.mae(y[test], np.rint(oof[test]))
            per_fold.append(metrics)
        return per_fold

    def details(self, y: np.ndarray, oof: np.ndarray) -> dict[str, Any]:
        """Out-of-fold diagnostics of the winner: its interval and residuals."""
        residuals = y - oof
        return {
            "interval_level": self.interval_level,
            "interval_halfwidth": evaluate.conformal_halfwidth(np.abs(residuals), self.interval_level),
            "interval_method": "split-conformal: the ceil((n+1)*level)-th smallest out-of-fold "
            "absolute residual",
            "residuals": evaluate.residual_summary(residuals),
            "score_range": [self.low, self.high],
        }

    def interval(self, value: float, halfwidth: float) -> dict[str, float]:
        """The interval around one value, kept on the scale."""
        low, high = max(self.low, value - halfwidth), min(self.high, value + halfwidth)
        return {"low": round(low, 1), "high": round(high, 1), "level": self.interval_level}

    def interval_columns(self, values: np.ndarray, halfwidth: float) -> dict[str, np.ndarray]:
        """The interval of many values as output columns."""
        return {
            "interval_low": np.round(np.clip(values - halfwidth, self.low, self.high), 1),
            "interval_high": np.round(np.clip(values + halfwidth, self.low, self.high), 1),
        }

    def headline(self, value: float) -> str:
        """The value as a person reads it."""
        return f"{value:.{self.decimals}f}"

    def difference(self, diff: float) -> str:
        """A change of the value in words."""
        return f"{diff:+.1f} {self.unit}"

    def gain_text(self, gain: float, predicted: float) -> str:
        """What a recommended change gains, and the value it leads to."""
        return f"+{gain:.1f} {self.unit} → {predicted:.1f}"


@dataclass(frozen=True)
class Probability:
    """The calibrated probability that an event happens."""

    decimals: int = 4
    summary_decimals: int = 3
    unit: str = "probability"
    contribution_unit: str = "log-odds"
    scoring: str = "roc_auc"
    importance_text: str = "drop in ROC AUC"
    target_text: str = "must be 0 or 1"
    has_interval: bool = False

    def values(self, estimator: Any, frame: pd.DataFrame) -> np.ndarray:
        """Probabilities of the event."""
        return np.asarray(estimator.predict_proba(frame))[:, 1]

    def explanation_scale(self, values: np.ndarray, floor: float = 1e-6) -> np.ndarray:
        """Explanations are given in log-odds, where the additive models add up."""
        p = np.clip(values, floor, 1 - floor)
        return np.log(p / (1 - p))

    @property
    def scale(self) -> tuple[float, float]:
        """The range a probability can take."""
        return (0.0, 1.0)

    def from_scale(self, values: np.ndarray) -> np.ndarray:
        """Log-odds back to probabilities."""
        return np.exp(-np.logaddexp(0.0, -values))

    def bounded_scale(self, values: np.ndarray) -> np.ndarray:
        """Log-odds are unbounded."""
        return values

    def valid_target(self, target: pd.Series) -> np.ndarray:
        """Which target values are 0 or 1."""
        return target.isin([0, 1]).to_numpy()

    def target_array(self, target: np.ndarray) -> np.ndarray:
        """The training target as the estimators take it."""
        return target.astype(int)

    def training_target(self, target: np.ndarray) -> np.ndarray:
        """The 0/1 target to train on; ValueError for any other value."""
        if not np.isin(target, (0.0, 1.0)).all():
            raise ValueError(f"The target {self.target_text}")
        return target.astype(int)

    def splitter(self, folds: int, seed: int) -> Any:
        """Shuffled, seeded folds with the event rate of the whole set."""
        from sklearn.model_selection import StratifiedKFold

        return StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)

    def fold_metrics(self, y: np.ndarray, oof: np.ndarray, splits: list) -> list[dict[str, float]]:
        """Per fold: ROC AUC, Brier score, ECE and log loss of the held-out probabilities."""
        return [evaluate.classification_metrics(y[test], oof[test]) for _, test in splits]

    def details(self, y: np.ndarray, oof: np.ndarray) -> dict[str, Any]:
        """Out-of-fold diagnostics of the winner: calibration and confusion."""
        return {
            "calibration_curve": evaluate.calibration_curve(y, oof),
            "oof_ece": evaluate.expected_calibration_error(y, oof),
            "confusion_matrix": evaluate.confusion_at(y, oof, CONFUSION_THRESHOLD),
            "base_rate": float(np.mean(y)),
            "calibration": "inside the estimator: Platt scaling on shuffled 3-fold out-of-fold scores "
            "(random forest: isotonic map of out-of-bag votes)",
        }

    def interval(self, value: float, halfwidth: float) -> None:
        """A probability is served without an interval."""
        return None

    def interval_columns(self, values: np.ndarray, halfwidth: float) -> dict[str, np.ndarray]:
        """No interval columns."""
        return {}

    def headline(self, value: float) -> str:
        """The probability in percent."""
        return f"{value:.0%}"

    def difference(self, diff: float) -> str:
        """A change of the probability in percentage points."""
        return f"{diff * 100:+.1f} points of risk"

    def gain_text(self, gain: float, predicted: float) -> str:
        """How much a recommended change lowers the probability, and the probability it leads to."""
        return f"−{gain * 100:.1f} points of risk → {predicted:.0%}"


Outcome = Score | Probability


def _no_moves(values: Mapping[str, Any]) -> list[moves.Change]:
    """No what-if changes."""
    return []


def _unchanged(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """What-if values as given."""
    return dict(after)


@dataclass(frozen=True)
class Metric:
    """A cross-validated figure as people see it."""

    key: str
    label: str
    higher_is_better: bool | None  # None: neither (a coverage aims at its level)
    unit: str = ""
    headline: bool = False  # shown on Home with the active model

    @property
    def heading(self) -> str:
        """The label with its unit, for a table heading."""
        return f"{self.label} ({self.unit})" if self.unit else self.label


@dataclass(frozen=True, kw_only=True)
class Task:
    """One prediction task (fields a course task does not use have neutral defaults)."""

    name: str
    schema: TaskSchema | None = None  # a form task's input fields; None for a course task
    outcome: Outcome
    label: str  # "Exam score": the task in a list or a heading
    short_label: str  # "Exam score", "Dropout": a choice between tasks
    value_label: str  # "Predicted exam score": an axis or a column heading
    value_name: str  # the result's and the batch file's value column
    level_name: str
    level_label: str
    bands_setting: str  # the configuration key of its level bands (its shares with `relative_levels`)
    default_bands: Bands
    primary_metric: str
    higher_is_better: bool  # of the primary metric
    metrics: tuple[Metric, ...]  # shown on Models (and the headline ones on Home), in order
    candidates: tuple[str, ...]
    build: Callable[[str, int], Any]  # (candidate name, seed) -> unfitted estimator
    outcome_word: str  # "score" / "risk": what the top factors raise or lower
    explain_text: str
    target_label: str  # the actual outcome in the training data
    actual_label: str  # what the training data's groups are
    concern: tuple[int | None, int | None]  # the slice of groups (highest level first) of concern
    better: float  # +1 when a higher value is good for the student, -1 when lower is
    # What-if moves and synthetic data belong to the form tasks; a course task has none.
    moves: Callable[[Mapping[str, Any]], list[moves.Change]] = _no_moves
    consistent: Callable[[Mapping[str, Any], Mapping[str, Any]], dict[str, Any]] = _unchanged
    min_gain: float = 0.0  # a recommendation helps at least this much
    generate: Callable[[int, int], pd.DataFrame] | None = None  # (rows, seed) -> a labelled synthetic set
    bundled_file: str = ""
    bundled_rows: int = 0  # the size of the real public data set the generator is calibrated from
    target_unit: str = ""
    concern_label: str = ""  # their name together, when they are more than one
    value_text: str = ""  # what the value is, under it (a score shows its interval instead)
    recommend_title: str = "What would help most"
    event_groups: tuple[str, str] = ()  # (happened, did not) for a 0/1 target; else level bands
    sections: tuple[tuple[str, tuple[str, ...]], ...] = ()  # the form's groups of fields, in order
    # A course task: its inputs (features of the daily activity as of a day), the days of a course of
    # `course_days` days it has one model for, and the setting of its evaluation gate.
    inputs: tuple[str, ...] = ()
    checkpoints: tuple[int, ...] = ()
    course_days: int = 0
    # Selection among `candidates` (listed simplest first): the first whose grouped-CV primary metric
    # is within this of the best. A smaller gain is within what the course folds alone move, and the
    # simpler model explains itself exactly and scores faster.
    selection_tolerance: float = 0.0
    # Levels relative to the course (early warning): shares of each course's enrollments on each scored
    # day instead of fixed bands, `bands_setting` naming the deployment's shares. None: fixed bands.
    relative_levels: CourseShares | None = None
    # (column, label) of the attributes whose groups of learners its fairness report compares.
    group_attributes: tuple[tuple[str, str], ...] = ()

    def checkpoint_days(self, course_days: int) -> tuple[int, ...]:
        """The checkpoint days of a course of `course_days` days: the same fractions of its length."""
        if not self.checkpoints:
            return ()
        if course_days < 1:
            raise ValueError(f"A course lasts at least one day, not {course_days}.")
        return tuple(sorted(set(self.checkpoint_map(course_days).values())))

    def checkpoint_map(self, course_days: int) -> dict[int, int]:
        """Each checkpoint (a day of the nominal course) -> its day in a course of `course_days` days."""
        scale = course_days / self.course_days
        return {day: min(max(round(day * scale), 1), course_days) for day in self.checkpoints}

    @property
    def path(self) -> str:
        """The page that predicts this task."""
        return f"/predict/{self.name}"

    @property
    def headline_metrics(self) -> list[Metric]:
        """The figures shown with the active model on Home."""
        return [metric for metric in self.metrics if metric.headline]

    @property
    def output_columns(self) -> list[str]:
        """The columns a batch file gets, in order."""
        extra = ["interval_low", "interval_high"] if self.outcome.has_interval else []
        return [self.value_name, self.level_name, *extra]

    def bands(self, config: Mapping[str, Any]) -> Bands:
        """The level bands configured for this task (its defaults when none are); a task with levels
        relative to the course has no configured bands: its defaults (the levels' names and colours)."""
        if self.relative_levels is not None:
            return self.default_bands
        return config.get(self.bands_setting, self.default_bands)

    def levels(self, config: Mapping[str, Any], override: Any = None) -> CourseShares | FixedBands:
        """How this task's levels are decided: its fixed bands as configured, or its rule relative to the
        course with the configured shares (`override`: a course's own shares, which come first)."""
        if self.relative_levels is None:
            return FixedBands(tuple(self.bands(config)))
        return self.relative_levels.with_shares(
            override or config.get(self.bands_setting) or self.relative_levels.shares
        )

    def result(self, value: float, halfwidth: float, bands: Bands) -> dict[str, Any]:
        """A single prediction's value, level and (for a score) interval."""
        out = {
            self.value_name: round(value, self.outcome.decimals),
            self.level_name: level_for(value, bands),
        }
        interval = self.outcome.interval(value, halfwidth)
        if interval is not None:
            out["interval"] = interval
        return out

    def columns(self, values: np.ndarray, halfwidth: float, bands: Bands) -> dict[str, np.ndarray]:
        """Many predictions as output columns."""
        return {
            self.value_name: np.round(values, self.outcome.decimals),
            self.level_name: levels_for(values, bands),
            **self.outcome.interval_columns(values, halfwidth),
        }

    def value_and_level(self, result: Mapping[str, Any]) -> tuple[float, str]:
        """The headline value and level of a result, as a record keeps them."""
        return result[self.value_name], result[self.level_name]

    def actual_group_names(self, bands: Bands) -> list[str]:
        """The groups training rows fall into by their actual outcome."""
        return list(self.event_groups) if self.event_groups else level_names(bands)

    def actual_groups(self, targets: np.ndarray, bands: Bands) -> np.ndarray:
        """Each training row's group by its actual outcome."""
        if self.event_groups:
            return np.where(np.asarray(targets) == 1, *self.event_groups)
        return levels_for(targets, bands)

    def concern_group(self, groups: list[dict[str, Any]]) -> dict[str, Any]:
        """The groups of concern (e.g. high risk) as one: their name and count."""
        chosen = groups[slice(*self.concern)]
        name = self.concern_label or (chosen[0]["name"] if chosen else "")
        return {"name": name, "count": sum(group["count"] for group in chosen)}

    def is_better(self, before: float, after: float) -> bool:
        """Whether `after` is better for the student than `before`."""
        return self.better * (after - before) > 0


def _exam_candidate(name: str, seed: int) -> Any:
    from modelling import train  # train reads these declarations

    return train.exam_candidate(name, seed)


def _dropout_candidate(name: str, seed: int) -> Any:
    from modelling import train

    return train.dropout_candidate(name, seed)


def _generate_exam(rows: int, seed: int) -> pd.DataFrame:
    from modelling.synthetic import generate_exam  # SciPy only when generating

    return generate_exam(rows, seed)


def _generate_dropout(rows: int, seed: int) -> pd.DataFrame:
    from modelling.synthetic import generate_dropout

    return generate_dropout(rows, seed)


EXAM = Task(
    name="exam-score",
    schema=EXAM_SCHEMA,
    outcome=Score(),
    label="Exam score",
    short_label="Exam score",
    value_label="Predicted exam score",
    value_name="score",
    level_name="level",
    level_label="Predicted level",
    bands_setting="EXAM_LEVELS",
    default_bands=EXAM_LEVELS,
    primary_metric="mae",
    higher_is_better=False,
    metrics=(
        Metric("mae", "MAE", False, "points", headline=True),
        Metric("rmse", "RMSE", False, "points"),
        Metric("r2", "R²", True, headline=True),
        Metric("interval_coverage", "90% interval coverage", None, headline=True),
        Metric("interval_width", "Interval width", False, "points"),
    ),
    candidates=("linear_regression", "huber", "gradient_boosting", "keras_mlp"),
    build=_exam_candidate,
    moves=moves.exam_moves,
    consistent=moves.exam_consistent,
    better=1.0,
    min_gain=0.05,
    outcome_word="score",
    explain_text="Bars compare you with a typical student of the training data: green helped, red hurt.",
    target_label="Actual exam score",
    actual_label="Actual exam level",
    concern=(-2, None),
    concern_label="Needs improvement or at risk",
    target_unit="points",
    generate=_generate_exam,
    sections=(
        (
            "Study habits",
            ("hours_studied", "attendance", "previous_scores", "tutoring_sessions", "motivation_level"),
        ),
        ("Wellbeing and activities", ("sleep_hours", "physical_activity", "extracurricular_activities")),
        (
            "Home and family",
            (
                "parental_involvement",
                "family_income",
                "parental_education_level",
                "access_to_resources",
                "internet_access",
                "distance_from_home",
            ),
        ),
        ("School and peers", ("teacher_quality", "school_type", "peer_influence")),
        ("About you", ("gender", "learning_disabilities")),
    ),
    bundled_file="exam_scores.csv",
    bundled_rows=6607,
    group_attributes=(
        ("gender", "Gender"),
        ("family_income", "Family income"),
        ("school_type", "School type"),
        ("learning_disabilities", "Learning disabilities"),
    ),
)

DROPOUT = Task(
    name="dropout",
    schema=DROPOUT_SCHEMA,
    outcome=Probability(),
    label="Dropout risk",
    short_label="Dropout",
    value_label="Predicted dropout probability",
    value_name="probability",
    level_name="risk_level",
    level_label="Predicted risk level",
    bands_setting="RISK_LEVELS",
    default_bands=RISK_LEVELS,
    primary_metric="roc_auc",
    higher_is_better=True,
    metrics=(
        Metric("roc_auc", "ROC AUC", True, headline=True),
        Metric("brier", "Brier score", False, headline=True),
        Metric("ece", "Calibration error (ECE)", False, headline=True),
        Metric("log_loss", "Log loss", False),
    ),
    candidates=("logistic_regression", "random_forest", "gradient_boosting", "additive_ensemble"),
    build=_dropout_candidate,
    moves=moves.dropout_moves,
    consistent=moves.dropout_consistent,
    better=-1.0,
    min_gain=0.002,
    outcome_word="risk",
    explain_text="Bars compare with a typical learner of the training data: red raised the risk, "
    "green lowered it.",
    target_label="Dropped out (1 = yes)",
    actual_label="Actual outcome",
    concern=(0, 1),
    event_groups=("Dropped out", "Stayed"),
    value_text="Probability of dropping out of the course.",
    recommend_title="Changes that would lower the risk",
    generate=_generate_dropout,
    sections=(
        ("Activity by type (last 30 days)", EVENT_TYPES),
        ("Where the events were logged", ("server", "browser")),
        ("Timing", ("active_span_days", "study_days", "early_events", "mid_events", "late_events")),
    ),
    bundled_file="dropout_enrollments.csv",
    bundled_rows=24013,
)


def _early_warning_candidate(name: str, seed: int) -> Any:
    from modelling.early_warning import candidates  # scikit-learn (and Keras) only when training

    return candidates.build(name, seed)


EARLY_WARNING = Task(
    name="early-warning",
    outcome=Probability(),
    label="Early warning",
    short_label="Early warning",
    value_label="Predicted dropout probability",
    value_name="probability",
    level_name="risk_level",
    level_label="Risk level",
    bands_setting="EARLY_WARNING_LEVEL_SHARES",
    default_bands=RISK_LEVELS,  # the fixed cut-offs it is compared with, and the levels' colours
    relative_levels=CourseShares(),
    primary_metric="roc_auc",
    higher_is_better=True,
    metrics=(
        Metric("roc_auc", "ROC AUC", True, headline=True),
        Metric("pr_auc", "PR AUC", True),
        Metric("brier", "Brier score", False, headline=True),
        Metric("ece", "Calibration error (ECE)", False, headline=True),
        # The High level relative to the course: its precision only means something beside the course's
        # base rate, so the lift (precision over base rate) and the share flagged come with it.
        Metric("flagged_precision", "Precision of High", True),
        Metric("base_rate", "Base rate", None),
        Metric("lift", "Lift of High", True),
        Metric("flagged_share", "Share at High", None),
        Metric("flagged_recall", "Recall of High", True),
    ),
    candidates=("spline_logistic", "gradient_boosting", "keras_sequence", "ensemble"),
    build=_early_warning_candidate,
    better=-1.0,
    outcome_word="risk",
    explain_text="Reasons compare the learner with the course's typical learner on the same day.",
    target_label="Dropped out (1 = yes)",
    actual_label="Actual outcome",
    concern=(0, 1),
    event_groups=("Dropped out", "Stayed"),
    value_text="Probability of dropping out of the course, from the activity so far.",
    inputs=FEATURE_NAMES,
    checkpoints=(7, 14, 21, 30),
    course_days=30,
    selection_tolerance=0.005,
    # Optional columns of the learners' contact file (the Data page's contacts import).
    group_attributes=(("gender", "Gender"), ("age_band", "Age band"), ("disability", "Disability")),
)

# The form tasks (a form, records, analytics, batch files): the pages and services iterate these.
TASKS: dict[str, Task] = {task.name: task for task in (EXAM, DROPOUT)}
TASK_NAMES: tuple[str, ...] = tuple(TASKS)
# The course tasks: predicted from a course's daily activity at checkpoints, by their own services.
COURSE_TASKS: dict[str, Task] = {task.name: task for task in (EARLY_WARNING,)}
ALL_TASKS: dict[str, Task] = {**TASKS, **COURSE_TASKS}
ALL_TASK_NAMES: tuple[str, ...] = tuple(ALL_TASKS)


def task_options() -> list[dict[str, str]]:
    """The tasks as choices of a radio or dropdown."""
    return [{"label": task.short_label, "value": task.name} for task in TASKS.values()]


def task_for(name: str) -> Task:
    """The task called `name` (a form or a course task); KeyError naming the known tasks for any other."""
    if name not in ALL_TASKS:
        raise KeyError(f"Unknown task {name!r}; use one of {', '.join(ALL_TASK_NAMES)}.")
    return ALL_TASKS[name]
