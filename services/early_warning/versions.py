"""Early-warning versions in the registry: the gate's verdict, activation (a refused version only with a
confirmation) and the active version, loaded once per process.

A version is a `ModelVersion` row of the early-warning task whose files (`modelling.early_warning.serving`)
are in its version folder. Its metrics JSON keeps the evaluation gate's verdict from when it was trained
(`gate: {passed, reasons, floor, margin, against}`), so a refused version stays listed with its reasons.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from flask import current_app

from db.tables import Activity, ModelVersion, User
from modelling.early_warning import gate, serving
from modelling.early_warning.serving import EarlyWarningVersion
from modelling.event_types import EVENT_TYPES
from modelling.tasks import EARLY_WARNING
from services.errors import InvalidInput, NotFound
from services.model_files import GateRefused, ModelUnavailable, version_directory

TASK = EARLY_WARNING


def gate_settings() -> tuple[float, float]:
    """(floor, largest drop) of ROC AUC from the settings."""
    config = current_app.config
    return float(config["EARLY_WARNING_MIN_AUC"]), float(config["EARLY_WARNING_MAX_AUC_DROP"])


def auc_by_checkpoint(row: ModelVersion) -> dict[int, float | None]:
    """A version's course-grouped ROC AUC per checkpoint, from its row (None where it could not be
    measured: such a version serves only if an administrator confirmed it)."""
    stored = (row.metrics.get("auc_by_checkpoint") or {}).items()
    return {int(day): None if auc is None else float(auc) for day, auc in stored}


def gate_verdict(candidate: dict[int, float]) -> dict[str, Any]:
    """The gate's verdict on ROC AUC by checkpoint against the active version (if any), as stored."""
    floor, margin = gate_settings()
    active = ModelVersion.active(TASK.name)
    passed, reasons = gate.gate(candidate, auc_by_checkpoint(active) if active else None, floor, margin)
    return {
        "passed": passed,
        "reasons": reasons,
        "floor": floor,
        "margin": margin,
        "against": active.version if active else None,
    }


def refused(row: ModelVersion) -> list[str]:
    """The gate's reasons for refusing a version (empty when it passed or was never judged)."""
    verdict = row.metrics.get("gate") or {}
    return [] if verdict.get("passed", True) else list(verdict.get("reasons") or ["refused"])


def find(version: int) -> ModelVersion:
    """The early-warning version `version`, or a 404."""
    row = ModelVersion.find(TASK.name, version)
    if row is None:
        raise NotFound(f"There is no {TASK.name} version {version}.")
    return row


def load_files(row: ModelVersion) -> EarlyWarningVersion:
    """A version's files, loaded (422 model_unusable when they are missing or broken)."""
    try:
        return serving.load_version(version_directory(row))
    except (OSError, ValueError, KeyError, EOFError, ImportError) as exc:
        raise InvalidInput(
            f"{TASK.name} v{row.version} cannot be loaded ({exc}).", code="model_unusable"
        ) from exc


def check_serves(loaded: EarlyWarningVersion, row: ModelVersion) -> None:
    """Score one enrollment without activity on the last day of a nominal course; 422 unless it works."""
    days = TASK.course.course_days
    try:
        scored = loaded.score_course([0], np.zeros((1, days, len(EVENT_TYPES))), days, days)
        values = scored.frame["probability"].to_numpy(dtype=float)
    except Exception as exc:  # any failure of a stored model to predict means it must not serve
        raise InvalidInput(
            f"{TASK.name} v{row.version} fails to predict ({exc}).", code="model_unusable"
        ) from exc
    if values.shape != (1,) or not np.isfinite(values).all():
        raise InvalidInput(f"{TASK.name} v{row.version} predicts no valid value.", code="model_unusable")


def activate(
    version: int, *, user: User | None = None, ip: str | None = None, confirm: bool = False
) -> ModelVersion:
    """Make a version serve: it must load and predict, and a version the gate refused needs `confirm`."""
    row = find(version)
    reasons = refused(row)
    if reasons and not confirm:
        raise GateRefused(
            f"{TASK.name} v{version} was refused by the evaluation gate; confirm to activate it anyway.",
            {"gate": "; ".join(reasons), "confirm": "must be true to activate a refused version"},
        )
    check_serves(load_files(row), row)
    ModelVersion.make_active(row)
    Activity.record("activate", user, ip, task=TASK.name, version=version, confirmed_refused=bool(reasons))
    return ModelVersion.get_by_id(row.id)


def versions() -> list[ModelVersion]:
    """Every early-warning version, newest first."""
    return list(ModelVersion.for_task(TASK.name))


_served: dict[str, tuple[tuple, ModelVersion, EarlyWarningVersion]] = {}
_served_lock = threading.Lock()


def active_version() -> tuple[ModelVersion, EarlyWarningVersion]:
    """The active early-warning version (row and loaded files), loaded at most once per process and version.

    The active row's identity is read on every call (one indexed query), so a newly activated version
    serves from the next call on in every process. ModelUnavailable when none is active."""
    identity = ModelVersion.active_identity(TASK.name)
    cached = _served.get(TASK.name)
    if cached is not None and identity is not None and cached[0] == identity:
        return cached[1], cached[2]
    with _served_lock:
        cached = _served.get(TASK.name)
        if cached is None or cached[0] != identity:
            row = ModelVersion.get_or_none(ModelVersion.id == identity[0]) if identity else None
            if row is None:
                raise ModelUnavailable(
                    f"No {TASK.name} model is active yet. Train one with "
                    f"`flask --app wsgi train {TASK.name} --activate`."
                )
            try:
                loaded = load_files(row)
            except InvalidInput as exc:  # the active version's files are broken: nothing can serve
                raise ModelUnavailable(exc.message) from exc
            cached = _served[TASK.name] = (identity, row, loaded)
    return cached[1], cached[2]
