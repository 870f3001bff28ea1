"""Model use cases: train a version, activate it, list versions, serve the active one."""

from __future__ import annotations

import csv
import io
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from flask import current_app

from db.tables import Activity, Job, ModelVersion, User, utcnow
from modelling import registry
from modelling.data import LoadedData, fingerprint, load_bundled, load_labelled
from modelling.predict import Predictor
from modelling.schemas import DuplicateColumn
from modelling.tasks import COURSE_TASKS, TASK_NAMES, task_for
from services import jobs
from services.errors import Forbidden, InvalidInput, NotFound
from services.model_files import (
    GateRefused,
    ModelUnavailable,
    store_version,
    version_directory,
)

Progress = Callable[[float, str], None]


def check_task(task: str) -> str:
    """`task` if it is a known task, else a 404."""
    if task not in TASK_NAMES:
        raise NotFound(f"Unknown task {task!r}; use one of {', '.join(TASK_NAMES)}.")
    return task


def check_any_task(task: str) -> str:
    """`task` if it is a known form or course task, else a 404."""
    if task not in TASK_NAMES and task not in COURSE_TASKS:
        raise NotFound(f"Unknown task {task!r}; use one of {', '.join([*TASK_NAMES, *COURSE_TASKS])}.")
    return task


def load_version(row: ModelVersion, *, estimator: bool = True) -> registry.LoadedModel:
    """A version's files, loaded."""
    return registry.load(row.task, row.version, row.algorithm, version_directory(row), estimator=estimator)


def register_version(result: Any, data: LoadedData, user: User | None) -> ModelVersion:
    """Store a TrainingResult as the next version of its task (files and row), not yet active."""
    created_at = utcnow()
    data_fingerprint = fingerprint(data.frame)

    def write_files(folder: Path, number: int) -> None:
        provenance = registry.Provenance(number, created_at, result.rows, data.source, data_fingerprint)
        registry.save(result, data.frame, folder, provenance)

    def create_row(number: int, artifact_dir: str) -> ModelVersion:
        return ModelVersion.create(
            task=result.task,
            version=number,
            algorithm=result.algorithm,
            metrics=result.metrics,
            candidates=registry.candidate_metrics(result),
            data_fingerprint=data_fingerprint,
            data_source=data.source[:255],
            rows=result.rows,
            library_versions=registry.library_versions(registry.is_keras(result.estimator)),
            fairness=fairness_record(
                [("Out-of-fold predictions of the chosen model", result.details.get("fairness"))]
            ),
            artifact_dir=artifact_dir,
            created_by=user,
            created_at=created_at,
        )

    return store_version(result.task, write_files, create_row)


def train_version(
    task: str,
    data: LoadedData,
    *,
    user: User | None = None,
    activate: bool = False,
    seed: int = 0,
    folds: int = 5,
    candidates: list[str] | None = None,
    progress: Progress | None = None,
    ip: str | None = None,
) -> ModelVersion:
    """Train every candidate with cross-validation, register the winner, optionally activate it."""
    from modelling.train import train_task  # training code is loaded only when training

    check_task(task)
    minimum = folds * 10
    if len(data.frame) < minimum:
        raise InvalidInput(f"Training needs at least {minimum} valid rows; the data has {len(data.frame)}.")
    bands = task_for(task).bands(current_app.config)
    result = train_task(
        task, data.frame, seed=seed, folds=folds, candidates=candidates, progress=progress, bands=bands
    )
    row = register_version(result, data, user)
    Activity.record("train", user, ip, task=task, version=row.version, algorithm=row.algorithm)
    if activate and not fairness_refused(row):
        row = activate_version(task, row.version, user=user, ip=ip)
    return row


def fairness_record(reports: list[tuple[str, dict[str, Any] | None]]) -> dict[str, Any] | None:
    """What a version keeps of its fairness: its titled reports and the fairness gate's verdict on
    them with the limit set now (None when no report could be made: no group attributes)."""
    from modelling import fairness  # its figures come with training

    found = [{"title": title, "report": report} for title, report in reports if report]
    if not found:
        return None
    limit = float(current_app.config["FAIRNESS_MAX_GAP"])
    reasons = []
    for part in found:
        prefix = f"{part['title']}: " if len(found) > 1 else ""
        reasons += [prefix + reason for reason in fairness.gate(part["report"], limit)[1]]
    return {"reports": found, "gate": {"passed": not reasons, "reasons": reasons, "limit": limit or None}}


def fairness_refused(row: ModelVersion) -> list[str]:
    """The fairness gate's reasons for refusing a version (empty when it passed or had no report)."""
    verdict = (row.fairness or {}).get("gate") or {}
    return list(verdict.get("reasons") or [])


def refusal_reasons(task: str, version: int) -> list[str]:
    """Why the evaluation gate refused a form task's version (empty: it did not, or it does not exist)."""
    row = ModelVersion.find(check_task(task), version)
    return fairness_refused(row) if row else []


def version_fairness(task: str, version: int) -> dict[str, Any]:
    """A version's fairness reports and the gate's verdict (empty reports when it has none)."""
    row = ModelVersion.find(check_any_task(task), version)
    if row is None:
        raise NotFound(f"There is no {task} version {version}.")
    found = row.fairness or {}
    gate = found.get("gate") or {"passed": True, "reasons": [], "limit": None}
    return {"task": task, "version": version, "reports": found.get("reports") or [], "gate": gate}


def activate_version(
    task: str, version: int, *, user: User | None = None, ip: str | None = None, confirm: bool = False
) -> ModelVersion:
    """Make a version serve; it must load and predict first (a version refused by the evaluation gate
    also needs `confirm`)."""
    activate = ACTIVATORS.get(check_any_task(task), _activate_form_version)
    return activate(task, version, user=user, ip=ip, confirm=confirm)


def _activate_course_version(
    task: str, version: int, *, user: User | None = None, ip: str | None = None, confirm: bool = False
) -> ModelVersion:
    """A course task's versions are the early-warning service's."""
    from services.early_warning import versions as course_versions  # loaded only for a course task

    return course_versions.activate(version, user=user, ip=ip, confirm=confirm)


def _activate_form_version(
    task: str, version: int, *, user: User | None = None, ip: str | None = None, confirm: bool = False
) -> ModelVersion:
    """A form task's version: the gate's refusal needs `confirm`, and the version must serve."""
    row = ModelVersion.find(task, version)
    if row is None:
        raise NotFound(f"There is no {task} version {version}.")
    reasons = fairness_refused(row)
    if reasons and not confirm:
        raise GateRefused(
            f"{task} v{version} was refused by the evaluation gate; confirm to activate it anyway.",
            {"gate": "; ".join(reasons), "confirm": "must be true to activate a refused version"},
        )
    try:
        registry.check_serves(load_version(row))
    except registry.RegistryError as exc:
        raise InvalidInput(str(exc), code="model_unusable") from exc
    ModelVersion.make_active(row)
    Activity.record("activate", user, ip, task=task, version=version, confirmed_refused=bool(reasons))
    return ModelVersion.get_by_id(row.id)


def versions(task: str | None = None) -> list[ModelVersion]:
    """Every version, newest first, optionally of one task."""
    return list(ModelVersion.for_task(task))


def versions_shown_to(is_admin: bool) -> list[ModelVersion]:
    """Every version for the models listing; non-administrators see no server paths (only the
    data file's name) and no library versions, which would point an attacker at known flaws."""
    rows = versions()
    if not is_admin:
        for row in rows:
            # Fresh rows of this query only, never saved: the stored values stay whole.
            row.data_source = Path(row.data_source).name
            row.library_versions = None
    return rows


_served: dict[str, tuple[tuple, Predictor]] = {}
_served_lock = threading.Lock()


def active_predictor(task: str) -> Predictor:
    """The predictor of the task's active version, loaded at most once per process and version.

    The active version's identity is read on every call (one indexed query), so a newly activated
    version serves from the next prediction on in every process, without a restart."""
    check_task(task)
    identity = ModelVersion.active_identity(task)
    cached = _served.get(task)
    if cached is not None and identity is not None and cached[0] == identity:
        return cached[1]
    with _served_lock:
        cached = _served.get(task)
        if cached is None or cached[0] != identity:
            row = ModelVersion.get_or_none(ModelVersion.id == identity[0]) if identity else None
            if row is None:
                raise ModelUnavailable(
                    f"No {task} model is active yet. Train one with `flask --app wsgi train {task}`."
                )
            cached = _served[task] = (identity, Predictor(load_version(row, estimator=False)))
    return cached[1]


def version_predictor(task: str, version: int) -> Predictor:
    """A predictor for one (possibly inactive) version, not kept."""
    row = ModelVersion.find(check_task(task), version)
    if row is None:
        raise NotFound(f"There is no {task} version {version}.")
    try:
        return Predictor(load_version(row))
    except registry.RegistryError as exc:
        raise InvalidInput(str(exc), code="model_unusable") from exc


def save_training_upload(task: str, stream: IO[bytes]) -> Path:
    """Keep an uploaded labelled CSV for a training job, after checking its header."""
    schema = task_for(check_task(task)).form.schema
    directory = Path(current_app.config["UPLOAD_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"train-{task}-{uuid.uuid4().hex}.csv"
    with path.open("wb") as out:
        while chunk := stream.read(1 << 20):
            out.write(chunk)
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        header = next(csv.reader(io.StringIO(handle.readline())), [])
    try:
        found = set(schema.rename_columns(header, with_target=True).values())
    except DuplicateColumn as exc:
        path.unlink(missing_ok=True)
        raise InvalidInput(str(exc), {"file": str(exc)}) from exc
    missing = [name for name in [*schema.names, schema.target] if name not in found]
    if missing:
        path.unlink(missing_ok=True)
        raise InvalidInput(
            "The file lacks required columns.",
            {"file": f"Missing column(s): {', '.join(missing)} (either naming is accepted)."},
        )
    return path


def start_training(
    task: str,
    *,
    user: User,
    upload: Path | None = None,
    activate: bool = False,
    folds: int = 5,
    candidates: list[str] | None = None,
    ip: str | None = None,
) -> Job:
    """Queue a training job on the bundled data or an uploaded labelled CSV."""
    check_task(task)
    if candidates:
        unknown = sorted(set(candidates) - set(task_for(task).candidates))
        if unknown:
            raise InvalidInput(
                "Unknown candidates.", {"candidates": f"Not candidates of {task}: {', '.join(unknown)}."}
            )
    params = {
        "task": task,
        "upload": str(upload) if upload else None,
        "activate": activate,
        "folds": folds,
        "candidates": candidates,
        "ip": ip,
    }
    return jobs.create("train", params, user)


def training_in_progress() -> Job | None:
    """The newest training job still queued or running (a page opened later shows its progress)."""
    return Job.newest_unfinished("train")


@jobs.handler("train")
def _run_training(job: Job, progress: Progress) -> dict[str, Any]:
    params = job.params
    task = params["task"]
    upload = params.get("upload")
    data = load_labelled(task, upload, name=upload) if upload else load_bundled(task)
    row = train_version(
        task,
        data,
        user=job.created_by,
        activate=params.get("activate", False),
        folds=params.get("folds", 5),
        candidates=params.get("candidates"),
        progress=progress,
        ip=params.get("ip"),
    )
    return {
        "task": task,
        "version": row.version,
        "algorithm": row.algorithm,
        "metrics": row.metrics,
        "active": row.is_active,
        "fairness_gate": (row.fairness or {}).get("gate"),
        "rows": row.rows,
        "rejected_rows": len(data.rejected),
        "rejected_examples": [f"line {line}: {reason}" for line, reason in data.rejected[:10]],
    }


def version_diagnostics(viewer: User, task: str, version: int) -> dict[str, Any]:
    """A version's stored files: every candidate's metrics, diagnostics and its model card."""
    _require_admin(viewer)
    row = ModelVersion.find(check_task(task), version)
    if row is None:
        raise NotFound(f"There is no {task} version {version}.")
    directory = version_directory(row)
    try:
        metrics = registry.read_json(directory, "metrics")
        details = registry.read_json(directory, "details")
        card = (directory / "model_card.md").read_text()
    except (OSError, ValueError):
        metrics, details, card = {"candidates": row.candidates, "winner": row.algorithm}, {}, ""
    return {"row": row, "metrics": metrics, "details": details, "card": card}


def active_importance(viewer: User, task: str) -> dict[str, Any]:
    """The active version's feature importance by field label (as stored with it), or an empty one."""
    _require_admin(viewer)
    row = ModelVersion.active(check_task(task))
    if row is None:
        return {"version": None, "importance": {}, "method": ""}
    details = version_diagnostics(viewer, task, row.version)["details"]
    schema = task_for(task).form.schema
    labels = {f.name: f.label for f in schema.fields}
    return {
        "version": row.version,
        "algorithm": row.algorithm,
        "importance": {labels.get(k, k): v for k, v in (details.get("feature_importance") or {}).items()},
        "method": details.get("feature_importance_method", ""),
    }


def _require_admin(viewer: User) -> None:
    if not viewer.is_admin:
        raise Forbidden("Model diagnostics are for administrators.")


# Which service activates a task's versions, by task name (a course task's are the early-warning one's).
ACTIVATORS = {name: _activate_course_version for name in COURSE_TASKS}
