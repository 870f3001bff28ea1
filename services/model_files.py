"""Where model versions' files live, and the errors both model services raise: a leaf module, so the
form-task services and the early-warning services import it without importing each other."""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from db.tables import ModelVersion
from services.errors import Conflict, ServiceError


def artifacts_root() -> Path:
    """Where model files are kept (ARTIFACTS_DIR)."""
    return Path(current_app.config["ARTIFACTS_DIR"])


def version_directory(row: ModelVersion) -> Path:
    """Where a version's files are."""
    return artifacts_root() / row.artifact_dir


class ModelUnavailable(ServiceError):
    """No version of the task has been activated yet."""

    status, code = 503, "model_unavailable"


class GateRefused(Conflict):
    """The version was refused by the evaluation gate and the activation was not confirmed."""

    code = "gate_refused"
