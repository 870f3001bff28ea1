"""Model use cases: train a version, activate it, list versions, serve the active one."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from flask import current_app

from db.models import Activity, Job, ModelVersion, User
from modelling import registry
from modelling.data import LoadedData, fingerprint, load_bundled, load_labelled
from modelling.predict import Predictor, predictor_for
from modelling.schemas import TASKS, schema_for
from services import jobs
from services.errors import InvalidInput, NotFound

Progress = Callable[[float, str], None]


def artifacts_root() -> Path:
    """Where model files are kept (ARTIFACTS_DIR)."""
    return Path(current_app.config["ARTIFACTS_DIR"])


def check_task(task: str) -> str:
    """`task` if it is a known task, else a 404."""
    if task not in TASKS:
        raise NotFound(f"Unknown task {task!r}; use one of {', '.join(TASKS)}.")
    return task


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
    result = train_task(task, data.frame, seed=seed, folds=folds, candidates=candidates, progress=progress)
    row = registry.register(
        result,
        data.frame,
        root=artifacts_root(),
        data_source=data.source,
        data_fingerprint=fingerprint(data.frame),
        created_by=user,
    )
    Activity.record("train", user, ip, task=task, version=row.version, algorithm=row.algorithm)
    if activate:
        row = activate_version(task, row.version, user=user, ip=ip)
    return row


def activate_version(
    task: str, version: int, *, user: User | None = None, ip: str | None = None
) -> ModelVersion:
    """Make a version serve; it must load and predict first."""
    check_task(task)
    if ModelVersion.find(task, version) is None:
        raise NotFound(f"There is no {task} version {version}.")
    try:
        row = registry.activate(task, version, artifacts_root())
    except registry.RegistryError as exc:
        raise InvalidInput(str(exc), code="model_unusable") from exc
    Activity.record("activate", user, ip, task=task, version=version)
    return row


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


def active_predictor(task: str) -> Predictor:
    """The predictor of the task's active version."""
    return predictor_for(check_task(task), artifacts_root())


def save_training_upload(task: str, stream: IO[bytes]) -> Path:
    """Keep an uploaded labelled CSV for a training job, after checking its header."""
    schema = schema_for(check_task(task))
    directory = Path(current_app.config["UPLOAD_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"train-{task}-{uuid.uuid4().hex}.csv"
    with path.open("wb") as out:
        while chunk := stream.read(1 << 20):
            out.write(chunk)
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        header = next(csv.reader(io.StringIO(handle.readline())), [])
    found = set(schema.rename_columns(header, with_target=True).values())
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
        from modelling.train import candidate_names

        unknown = sorted(set(candidates) - set(candidate_names(task)))
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
        "rows": row.rows,
        "rejected_rows": len(data.rejected),
        "rejected_examples": [f"line {line}: {reason}" for line, reason in data.rejected[:10]],
    }
