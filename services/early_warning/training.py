"""Train an early-warning version from the store: every finished course with outcomes, one model per
checkpoint, registered as the next version, judged by the evaluation gate and activated if asked and passed.

A course is finished when every one of its days is before today. Its enrollments without an outcome are
left out (and counted in the version's metrics); a course with no outcome at all is left out and named.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from flask import current_app

from db.courses import Course, Enrollment
from db.nudges import LearnerContact
from db.tables import Activity, Job, ModelVersion, User, utcnow
from modelling import registry
from modelling.early_warning import serving
from services import jobs
from services.course_activity import course_cube
from services.early_warning import versions
from services.early_warning.versions import TASK
from services.errors import InvalidInput
from services.model_files import store_version
from services.model_versions import fairness_record

if TYPE_CHECKING:
    from modelling.early_warning.training import EarlyWarningResult

Progress = Callable[[float, str], None]
JOB_KIND = "train-early-warning"
MIN_COURSES = 2
ALGORITHM_WIDTH = 40  # the registry's algorithm column
# What a first start trains on the demo courses: the two candidates that train in seconds (the sequence
# model and the ensemble are for a retrain an administrator starts on the Models page or the CLI).
FIRST_RUN_CANDIDATES = ("spline_logistic", "gradient_boosting")


def parse_checkpoints(text: str | None) -> tuple[int, ...] | None:
    """ "7,14" -> (7, 14); None or "" -> None (every checkpoint); InvalidInput naming the bad parts."""
    if not text or not text.strip():
        return None
    parts = [part.strip() for part in text.split(",")]
    whole = [re.fullmatch(r"[0-9]{1,4}", part) is not None for part in parts]
    bad = [part for part, ok in zip(parts, whole, strict=True) if not ok]
    days = {int(part) for part, ok in zip(parts, whole, strict=True) if ok}
    unknown = sorted(days - set(TASK.course.checkpoints))
    if bad or unknown:
        shown = ", ".join(map(str, TASK.course.checkpoints))
        wrong = ", ".join([*(repr(part) for part in bad), *map(str, unknown)])
        raise InvalidInput(
            f"Checkpoints are days of a {TASK.course.course_days}-day course among {shown}; not {wrong}.",
            {"checkpoints": f"use some of {shown}, comma-separated"},
        )
    return tuple(sorted(days))


def check_candidates(names: Sequence[str] | None) -> tuple[str, ...] | None:
    """The candidates asked for, checked (None: every candidate)."""
    if not names:
        return None
    names = tuple(dict.fromkeys(name.strip() for name in names if name.strip()))
    unknown = sorted(set(names) - set(TASK.candidates))
    if unknown:
        raise InvalidInput(
            "Unknown candidates.",
            {
                "candidates": f"Not candidates of {TASK.name}: {', '.join(unknown)}; use some of "
                f"{', '.join(TASK.candidates)}."
            },
        )
    from modelling.early_warning import candidates as candidate_models  # scikit-learn only when training

    if candidate_models.ENSEMBLE in names and len(set(names) & set(candidate_models.ENSEMBLE_MEMBERS)) < 2:
        raise InvalidInput(
            "The ensemble needs at least two of its members among the candidates.",
            {"candidates": f"add two of {', '.join(candidate_models.ENSEMBLE_MEMBERS)}"},
        )
    return names


def course_data(today=None) -> tuple[list[tuple], dict[str, Any]]:
    """(the training courses as `train_early_warning` takes them, what was used and left out)."""
    today = today or utcnow().date()
    courses, summary = [], {"courses": [], "without_outcomes": [], "without_activity": [],
                            "left_out_enrollments": 0}
    for course in Course.finished_by(today):
        outcomes = Enrollment.outcomes_of(course)
        cube = course_cube(course, course.length_days)
        if not cube.counts.any():  # its daily activity purged (retention): not a course of idle learners
            summary["without_activity"].append(course.code)
            continue
        known = np.array([outcomes.get(int(i)) is not None for i in cube.ids], dtype=bool)
        summary["left_out_enrollments"] += int((~known).sum())
        if not known.any():
            summary["without_outcomes"].append(course.code)
            continue
        labels = np.array([int(outcomes[int(i)]) for i in cube.ids[known]], dtype=int)
        sources = cube.sources[known] if cube.sources is not None else None
        courses.append(
            (course.code, course.length_days, cube.ids[known], cube.counts[known], sources, labels)
        )
        summary["courses"].append(course.code)
    return courses, summary


def learner_attributes(courses: Sequence[tuple]) -> dict[str, np.ndarray]:
    """The group attributes imported with the learners' contacts, per training row (the courses'
    enrollments in order); an attribute no learner has is left out."""
    ids = [int(i) for course in courses for i in course[2]]
    known = LearnerContact.attributes_in({course[0] for course in courses})
    found = {}
    for column, _label in TASK.group_attributes:
        values = [known.get(i, {}).get(column) for i in ids]
        if any(value is not None for value in values):
            found[column] = np.array(values, dtype=object)
    return found


def with_fairness(verdict: dict[str, Any], record: dict[str, Any] | None) -> dict[str, Any]:
    """The gate's verdict on ROC AUC with the fairness gate's reasons added (a version refused by either
    is refused)."""
    reasons = list(((record or {}).get("gate") or {}).get("reasons") or [])
    if not reasons:
        return verdict
    return {**verdict, "passed": False, "reasons": [*verdict["reasons"], *reasons]}


def fingerprint(courses: Sequence[tuple]) -> str:
    """A hash of the training data: every course's code, enrollments, counts and labels."""
    digest = hashlib.sha256()
    for code, days, ids, counts, _sources, labels in courses:
        digest.update(f"{code}:{days}".encode())
        for array in (ids, counts, labels):
            digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def algorithm_name(result: EarlyWarningResult) -> str:
    """The winners of the checkpoints in a few words (every checkpoint's is in the metrics)."""
    winners = list(dict.fromkeys(r.algorithm for _, r in sorted(result.checkpoints.items())))
    joined = "+".join(winners)
    return joined if len(joined) <= ALGORITHM_WIDTH else f"{len(winners)} models by checkpoint"


def finite(value: Any) -> Any:
    """`value` with every NaN or infinity (a figure that could not be measured) as None, for JSON."""
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite(item) for item in value]
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    return value


def row_metrics(result: EarlyWarningResult, summary: dict[str, Any]) -> dict[str, Any]:
    """What the registry row keeps: per checkpoint the winner's and the candidates' figures and the
    winner's calibration curve, ROC AUC by checkpoint, the courses used and left out, the gate."""
    return finite(
        {
            "course_days": result.course_days,
            "auc_by_checkpoint": {str(day): auc for day, auc in sorted(result.auc_by_checkpoint.items())},
            "checkpoints": {
                str(day): {
                    "algorithm": r.algorithm,
                    "metrics": r.metrics,
                    "candidates": {name: evidence["mean"] for name, evidence in r.candidates.items()},
                    "calibration_curve": r.calibration_curve,
                    "rows": r.rows,
                }
                for day, r in sorted(result.checkpoints.items())
            },
            "folds": result.folds,
            **summary,
            "gate": versions.gate_verdict(result.auc_by_checkpoint),
        }
    )


def register(
    result: EarlyWarningResult, courses: Sequence[tuple], summary: dict[str, Any], user: User | None
) -> ModelVersion:
    """Store a result as the next early-warning version (files and row), not yet active."""
    keras = any(registry.is_keras(r.estimator) for r in result.checkpoints.values())
    record = fairness_record([(f"Day {day}", r.fairness) for day, r in sorted(result.checkpoints.items())])
    metrics = row_metrics(result, summary)
    metrics["gate"] = with_fairness(metrics["gate"], record)

    def create_row(number: int, artifact_dir: str) -> ModelVersion:
        return ModelVersion.create(
            task=TASK.name,
            version=number,
            algorithm=algorithm_name(result),
            metrics=metrics,
            fairness=record,
            candidates=sorted({name for r in result.checkpoints.values() for name in r.candidates}),
            data_fingerprint=fingerprint(courses),
            data_source=f"{len(courses)} finished courses",
            rows=sum(len(course[2]) for course in courses),
            library_versions=registry.library_versions(keras),
            artifact_dir=artifact_dir,
            created_by=user,
            created_at=utcnow(),
        )

    return store_version(TASK.name, lambda folder, _number: serving.save_version(result, folder), create_row)


def train(
    *,
    user: User | None = None,
    activate: bool = False,
    checkpoints: Sequence[int] | None = None,
    candidates: Sequence[str] | None = None,
    seed: int = 0,
    progress: Progress | None = None,
    ip: str | None = None,
    data: tuple[list[tuple], dict[str, Any]] | None = None,
) -> ModelVersion:
    """Train a version on every finished course with outcomes (`data`: as `course_data` gave them);
    activate it if asked and the gate passes."""
    names = check_candidates(candidates)
    days = parse_checkpoints(",".join(map(str, checkpoints))) if checkpoints else None
    courses, summary = data or course_data()
    if len(courses) < MIN_COURSES:
        raise InvalidInput(
            f"Training early warning needs at least {MIN_COURSES} finished courses with outcomes; "
            f"there {'is' if len(courses) == 1 else 'are'} {len(courses)}.",
            {"courses": "import the activity and the outcomes of finished courses first"},
            code="not_enough_courses",
        )
    bands = tuple(tuple(band) for band in current_app.config["RISK_LEVELS"])
    try:
        from modelling.early_warning.training import train_early_warning  # scikit-learn only when training

        result = train_early_warning(
            courses,
            days,
            names,
            seed=seed,
            progress=progress,
            bands=bands,
            attributes=learner_attributes(courses),
        )
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    row = register(result, courses, summary, user)
    Activity.record("train", user, ip, task=TASK.name, version=row.version, algorithm=row.algorithm)
    if activate and not versions.refused(row):
        row = versions.activate(row.version, user=user, ip=ip)
    return row


def start_training(
    *,
    user: User,
    activate: bool = False,
    checkpoints: str | None = None,
    candidates: Sequence[str] | None = None,
    ip: str | None = None,
) -> Job:
    """Queue an early-warning training job (inputs checked first: a bad one is a 422, not a failed job)."""
    days = parse_checkpoints(checkpoints)
    names = check_candidates(candidates)
    params = {
        "task": TASK.name,
        "activate": activate,
        "checkpoints": list(days) if days else None,
        "candidates": list(names) if names else None,
        "ip": ip,
    }
    return jobs.create(JOB_KIND, params, user)


def training_in_progress() -> Job | None:
    """The newest early-warning training job still queued or running."""
    return Job.newest_unfinished(JOB_KIND)


def job_result(row: ModelVersion, activate: bool) -> dict[str, Any]:
    """What a finished training job reports."""
    return {
        "task": TASK.name,
        "version": row.version,
        "algorithm": row.algorithm,
        "auc_by_checkpoint": row.metrics.get("auc_by_checkpoint"),
        "gate": row.metrics.get("gate"),
        "active": row.is_active,
        "activation_asked": activate,
        "rows": row.rows,
        "courses": row.metrics.get("courses"),
        "left_out_enrollments": row.metrics.get("left_out_enrollments"),
    }


@jobs.handler(JOB_KIND)
def _run_training(job: Job, progress: Progress) -> dict[str, Any]:
    params = job.params
    row = train(
        user=job.created_by,
        activate=params.get("activate", False),
        checkpoints=params.get("checkpoints"),
        candidates=params.get("candidates"),
        progress=progress,
        ip=params.get("ip"),
    )
    return job_result(row, params.get("activate", False))
