"""What the health endpoint reports: the database for anyone, the models for administrators."""

from __future__ import annotations

from typing import Any

from db.connection import is_database_up
from db.tables import ModelVersion
from modelling.tasks import TASK_NAMES as TASKS


def model_status() -> dict[str, str]:
    """Per task, the serving model version (e.g. "v3 logistic_regression"), or why none serves."""
    status = {}
    for task in TASKS:
        row = ModelVersion.active(task)
        status[task] = f"v{row.version} {row.algorithm}" if row else "no active model"
    return status


def report(for_admin: bool) -> tuple[dict[str, Any], bool]:
    """The health answer and whether the database is up; model versions only for administrators
    (which algorithm serves helps an attacker pick an attack, and nobody else needs it)."""
    database_up = is_database_up()
    payload: dict[str, Any] = {
        "status": "ok" if database_up else "degraded",
        "database": "up" if database_up else "down",
    }
    if for_admin:
        payload["models"] = model_status() if database_up else {}
    return payload, database_up
