"""What the health endpoint reports about the models."""

from __future__ import annotations

from db.models import ModelVersion
from modelling.schemas import TASKS


def model_status() -> dict[str, str]:
    """Per task, the serving model version (e.g. "v3 logistic_regression"), or why none serves."""
    status = {}
    for task in TASKS:
        row = ModelVersion.active(task)
        status[task] = f"v{row.version} {row.algorithm}" if row else "no active model"
    return status
