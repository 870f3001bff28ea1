"""A version's files, and the predictor that scores a whole course at a day.

A version is a folder: `checkpoint_<day>.joblib` per checkpoint (the chosen model, and the additive
explainer when the chosen model reads no features), `metrics.json` (every candidate's fold figures per
checkpoint, the winner's out-of-fold calibration curve, the ROC AUC by checkpoint, the folds' courses,
the bands, the time each candidate cost) and `MODEL_CARD.md` (the same in a few lines for people).

Scoring a course at day d uses the model of the latest checkpoint whose day (in this course's length)
is at most d, on the activity as of that checkpoint's day: the data that model was trained for (the
model of day 7 never saw what 10 days of activity look like). Before the first checkpoint there is no
prediction, and the result says so. One pass per course: the features of all its enrollments, one
model call, then the reasons.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import joblib
import numpy as np
import pandas as pd

from modelling.early_warning import reasons
from modelling.early_warning.inputs import model_frame
from modelling.early_warning.level_figures import KEYS as LEVEL_KEYS
from modelling.levels import Bands, CourseShares, FixedBands
from modelling.tasks import EARLY_WARNING, task_for

if TYPE_CHECKING:  # training needs scikit-learn; a process that only serves from tables does not
    from modelling.early_warning.training import EarlyWarningResult

METRICS_FILE = "metrics.json"
CARD_FILE = "MODEL_CARD.md"
CALIBRATION = "Platt scaling on out-of-fold scores (the sequence model: on its validation split)"


def _model_file(checkpoint: int) -> str:
    return f"checkpoint_{checkpoint}.joblib"


def _metrics(result: EarlyWarningResult) -> dict[str, Any]:
    """Everything of a result but the fitted models, as JSON."""
    return {
        "task": result.task,
        "course_days": result.course_days,
        "bands": [list(band) for band in result.bands],
        "folds": result.folds,
        "auc_by_checkpoint": {str(day): auc for day, auc in result.auc_by_checkpoint.items()},
        "seconds": result.seconds,
        "checkpoints": {
            str(day): {
                "algorithm": r.algorithm,
                "metrics": r.metrics,
                "rows": r.rows,
                "calibration_curve": r.calibration_curve,
                "calibration": CALIBRATION,
                "candidates": r.candidates,
            }
            for day, r in result.checkpoints.items()
        },
    }


def _card(result: EarlyWarningResult) -> str:
    lines = [
        "# Early-warning model",
        "",
        "Predicts the probability that a learner drops out of a course (no activity in the 10 days after",
        "the course window), from the course's daily activity so far. One model per checkpoint; figures",
        f"from cross-validation grouped by course (the folds' courses: {result.folds}).",
        "",
        "High is the riskiest share of each course on each day (levels relative to the course); lift is the",
        "precision of High over the course's base rate (1.0: the flag tells nothing).",
        "",
        "| day | model | ROC AUC | PR AUC | Brier | ECE | High precision | base rate | lift | share at High "
        "| rows |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for day, r in result.checkpoints.items():
        m = {key: float("nan") for key in LEVEL_KEYS} | r.metrics
        lines.append(
            f"| {day} | {r.algorithm} | {m['roc_auc']:.3f} | {m['pr_auc']:.3f} | {m['brier']:.3f} | "
            f"{m['ece']:.3f} | {m['flagged_precision']:.3f} | {m['base_rate']:.3f} | {m['lift']:.2f} | "
            f"{m['flagged_share']:.1%} | {r.rows:,} |"
        )
    lines += ["", "Limits: trained on the courses above only; a course unlike them may be scored worse."]
    return "\n".join(lines) + "\n"


def save_version(result: EarlyWarningResult, folder: Path) -> Path:
    """Write a version's files into `folder` (created); returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for day, r in result.checkpoints.items():
        parts = {"algorithm": r.algorithm, "estimator": r.estimator, "explainer": r.explainer}
        joblib.dump(parts, folder / _model_file(day))
    (folder / METRICS_FILE).write_text(json.dumps(_metrics(result), indent=2, allow_nan=True))
    (folder / CARD_FILE).write_text(_card(result))
    return folder


@dataclass
class ScoredCourse:
    """A course's predictions at a day (no rows before the first checkpoint, and the message says so)."""

    day: int
    checkpoint: int | None
    as_of_day: int | None
    frame: pd.DataFrame
    message: str = ""
    method: str = ""  # how the reasons were found


@dataclass
class EarlyWarningVersion:
    """A saved version read back: a model per checkpoint and its metrics."""

    folder: Path
    models: dict[int, dict[str, Any]]
    metrics: dict[str, Any]
    task: Any = field(default=EARLY_WARNING)

    def checkpoint_for(self, day: int, course_days: int) -> tuple[int, int] | None:
        """(checkpoint, its day in this course) of the latest checkpoint reached by `day`, or None."""
        reached = [
            (checkpoint, at)
            for checkpoint, at in self.task.course.checkpoint_map(course_days).items()
            if at <= day and checkpoint in self.models
        ]
        return max(reached, key=lambda pair: (pair[1], pair[0])) if reached else None

    def score_course(
        self,
        ids: Any,
        counts: np.ndarray,
        day: int,
        course_days: int,
        sources: np.ndarray | None = None,
        levels: CourseShares | FixedBands | None = None,
        k: int = reasons.TOP_FACTORS,
    ) -> ScoredCourse:
        """Every enrollment's probability, risk level, top factors and factors in its favour at `day`, in
        one pass (`levels`: how the levels are decided, the task's rule with its default shares unless
        given)."""
        if not 0 <= day <= course_days:
            raise ValueError(f"day must be between 0 and the course length {course_days}, not {day}.")
        found = self.checkpoint_for(day, course_days)
        if found is None:
            first = min(self.task.course.checkpoint_map(course_days).values())
            message = f"Day {day} is before the first checkpoint (day {first}): no prediction yet."
            return ScoredCourse(day, None, None, pd.DataFrame(columns=self.columns), message)
        checkpoint, as_of = found
        parts = self.models[checkpoint]
        X = model_frame(counts, as_of, course_days, sources, window=checkpoint)
        probability, contrib, method = reasons.scored_contributions(parts["estimator"], X, parts["explainer"])
        factors = reasons.top_factors(contrib, X, as_of, k=k)
        # Levels from the probabilities as stored and shown: equal as shown, equal in level.
        rounded = np.round(probability, self.task.outcome.decimals)
        frame = pd.DataFrame(
            {
                "enrollment_id": np.asarray(ids),
                "day": day,
                "checkpoint": checkpoint,
                "probability": rounded,
                "risk_level": (levels or self.task.levels({})).assign(rounded),
                "top_factors": [[factor["text"] for factor in row] for row in factors],
                "factors": factors,
                "in_favour": reasons.favour_factors(contrib, X, as_of, k=k),
            }
        )
        return ScoredCourse(day, checkpoint, as_of, frame, method=method)

    @property
    def bands(self) -> Bands:
        """The fixed bands the version was also judged with (its levels are relative to the course)."""
        return tuple((name, lower) for name, lower in self.metrics["bands"])

    @property
    def auc_by_checkpoint(self) -> dict[int, float]:
        """The course-grouped ROC AUC of each checkpoint's model."""
        return {int(day): auc for day, auc in self.metrics["auc_by_checkpoint"].items()}

    columns = (
        "enrollment_id",
        "day",
        "checkpoint",
        "probability",
        "risk_level",
        "top_factors",
        "factors",
        "in_favour",
    )


def load_version(folder: Path) -> EarlyWarningVersion:
    """A version read back from the folder `save_version` wrote."""
    folder = Path(folder)
    metrics = json.loads((folder / METRICS_FILE).read_text())
    models = {int(day): joblib.load(folder / _model_file(int(day))) for day in metrics["checkpoints"]}
    return EarlyWarningVersion(folder, models, metrics, task_for(metrics["task"]))
