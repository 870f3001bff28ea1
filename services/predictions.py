"""Predict one row for a signed-in user, explain it, and optionally save it as a record."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app

from db.connection import database
from db.tables import Activity, Record, User
from modelling.tasks import task_for
from services import model_versions
from services.errors import InvalidInput


def bands_for(task: str):
    """The configured level bands of a task."""
    return task_for(task).bands(current_app.config)


def stored_value_and_level(task: str, result: Mapping[str, Any]) -> tuple[float, str]:
    """The prediction's headline value and level, as a record's columns keep them."""
    return task_for(task).value_and_level(result)


def predict(
    task: str,
    values: Mapping[str, Any],
    *,
    user: User,
    save: bool = False,
    student_ref: str | None = None,
    ip: str | None = None,
) -> dict[str, Any]:
    """Validate, predict, explain and recommend; with `save`, store a record and return its id."""
    schema = task_for(model_versions.check_task(task)).form.schema
    clean, problems = schema.validate_record(values)
    if problems:
        raise InvalidInput("Some fields are invalid.", problems)
    predictor = model_versions.active_predictor(task)
    result = predictor.analyse(clean, bands_for(task))
    value, level = stored_value_and_level(task, result)
    with database.atomic():
        if save:
            result["id"] = Record.add(
                user=user,
                task=task,
                student_ref=(student_ref or "").strip() or None,
                inputs=clean,
                outputs=result,
                model_version=predictor.version,
                value=value,
                level=level,
                **Record.interval_of(result),
            )
        Activity.record(
            "predict", user, ip, task=task, version=predictor.version, saved=save, record=result.get("id")
        )
    return result
