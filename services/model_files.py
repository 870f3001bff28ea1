"""Where model versions' files live, how a new version is stored, and the errors both model services
raise: a leaf module, so the form-task services and the early-warning services import it without
importing each other."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

import peewee
from flask import current_app

from db.connection import write_transaction
from db.tables import ModelVersion
from services.errors import Conflict, ServiceError

# How often a training takes the next number when others stored theirs first.
STORE_ATTEMPTS = 3


def artifacts_root() -> Path:
    """Where model files are kept (ARTIFACTS_DIR)."""
    return Path(current_app.config["ARTIFACTS_DIR"])


def version_directory(row: ModelVersion) -> Path:
    """Where a version's files are."""
    return artifacts_root() / row.artifact_dir


def new_version_folder(task: str, number: int) -> Path:
    """A folder made afresh for a new version's files: `<task>/v<number>`, or a name beside it when
    that folder already exists (kept by a version whose row is gone, or by a training racing this
    one): a new version never writes into, nor removes, another version's files."""
    parent = artifacts_root() / task
    parent.mkdir(parents=True, exist_ok=True)
    folder = parent / f"v{number}"
    try:
        folder.mkdir()
    except FileExistsError:
        folder = parent / f"v{number}-{uuid.uuid4().hex[:8]}"
        folder.mkdir()
    return folder


def store_version(
    task: str, write_files: Callable[[Path, int], None], create_row: Callable[[int, str], ModelVersion]
) -> ModelVersion:
    """Store a new version of `task` under the next free number: `write_files(folder, number)` fills
    a folder of its own, then `create_row(number, artifact_dir)` stores its row. If another training
    stored that number first, this one takes the next; on any failure only the folder made here is
    removed."""
    for _ in range(STORE_ATTEMPTS):
        number = ModelVersion.next_number(task)
        folder = new_version_folder(task, number)
        try:
            write_files(folder, number)
            with write_transaction():
                return create_row(number, str(folder.relative_to(artifacts_root())))
        except BaseException as exc:
            shutil.rmtree(folder, ignore_errors=True)
            taken = isinstance(exc, peewee.IntegrityError) and ModelVersion.find(task, number) is not None
            if not taken:
                raise
    raise Conflict(f"Other trainings of {task} stored every version number this one tried; train it again.")


class ModelUnavailable(ServiceError):
    """No version of the task has been activated yet."""

    status, code = 503, "model_unavailable"


class GateRefused(Conflict):
    """The version was refused by the evaluation gate and the activation was not confirmed."""

    code = "gate_refused"
