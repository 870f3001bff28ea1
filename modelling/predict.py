"""Serving: the active model of each task, loaded once per process, for one row or many.

`predictor_for(task, root)` asks the database which version is active (one indexed query) and
reuses the loaded model while that stays the same, so a newly activated version serves from the
next prediction on in every process, without a restart.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from db.models import ModelVersion
from modelling import recommend
from modelling.explain import field_orders, path_rows, reduce_paths, top_factors
from modelling.levels import Bands, level_for, levels_for
from modelling.registry import LoadedModel, RegistryError, explanation_scale, load, outcome
from modelling.schemas import schema_for

INTERVAL_LEVEL = 0.9


class NoActiveModel(RegistryError):
    """No version of the task has been activated yet."""


class Predictor:
    """One loaded version of one task."""

    def __init__(self, model: LoadedModel) -> None:
        self.row = model.row
        self.task = model.row.task
        self.version = model.row.version
        self.model = model
        self.schema = schema_for(self.task)
        self.reference = model.serving["reference"]
        self.additive = bool(model.serving["additive"])
        self.halfwidth = model.serving.get("interval_halfwidth") or 0.0
        self.orders = field_orders(self.schema.names, self.additive)

    @property
    def estimator(self) -> Any:
        """The version's fitted estimator (read from its files on first use)."""
        return self.model.estimator

    def outcomes(self, columns: pd.DataFrame | Mapping[str, list[Any]]) -> np.ndarray:
        """Scores (exam) or dropout probabilities for rows given as columns by field name (from the
        version's lookup tables when it has them and they cover every value)."""
        if self.model.tables is not None:
            values = self.model.tables.outcomes(columns)
            if values is not None:
                return values
        frame = columns if isinstance(columns, pd.DataFrame) else pd.DataFrame(columns)
        return outcome(self.task, self.estimator, frame[self.schema.names])

    def predict_frame(self, frame: pd.DataFrame, bands: Bands) -> pd.DataFrame:
        """Prediction columns for many validated rows (exam: score, level, interval; dropout:
        probability, risk_level)."""
        values = self.outcomes(frame)
        if self.task == "dropout":
            return pd.DataFrame(
                {
                    "probability": np.round(values, 4),
                    "risk_level": levels_for(values, bands),
                },
                index=frame.index,
            )
        return pd.DataFrame(
            {
                "score": np.round(values, 1),
                "level": levels_for(values, bands),
                "interval_low": np.round(np.clip(values - self.halfwidth, 0, 100), 1),
                "interval_high": np.round(np.clip(values + self.halfwidth, 0, 100), 1),
            },
            index=frame.index,
        )

    def analyse(
        self, record: Mapping[str, Any], bands: Bands, with_recommendations: bool = True
    ) -> dict[str, Any]:
        """Prediction, explanation and recommendations for one validated row, in one model call."""
        names = self.schema.names
        explanation_rows = path_rows(record, self.reference, names, self.orders)
        changes = recommend.candidate_changes(self.schema, record) if with_recommendations else []
        rows = [dict(record)] + explanation_rows + [{**record, **c.values} for c in changes]
        values = self.outcomes({name: [row[name] for row in rows] for name in names})
        value = float(values[0])
        explanation = reduce_paths(
            explanation_scale(self.task, values[1 : 1 + len(explanation_rows)]), names, self.orders
        )
        contributions = [
            {
                "field": name,
                "label": self.schema.field(name).label,
                "value": record.get(name),
                "contribution": round(explanation.contributions[name], 4),
            }
            for name in names
        ]
        contributions.sort(key=lambda item: abs(item["contribution"]), reverse=True)
        result: dict[str, Any] = {
            "model_version": self.version,
            "algorithm": self.row.algorithm,
            "contributions": contributions,
            "contribution_base": round(explanation.base, 4),
            "contribution_unit": "log-odds" if self.task == "dropout" else "points",
            "top_factors": top_factors(
                self.schema, record, explanation, outcome="risk" if self.task == "dropout" else "score"
            ),
            "recommendations": recommend.recommendations(
                self.schema, changes, value, values[1 + len(explanation_rows) :]
            ),
            "extrapolated": self.schema.extrapolated(record),
        }
        if self.task == "dropout":
            result.update(probability=round(value, 4), risk_level=level_for(value, bands))
        else:
            low, high = max(0.0, value - self.halfwidth), min(100.0, value + self.halfwidth)
            result.update(
                score=round(value, 1),
                level=level_for(value, bands),
                interval={"low": round(low, 1), "high": round(high, 1), "level": INTERVAL_LEVEL},
            )
        return result


_cache: dict[str, tuple[tuple, Predictor]] = {}
_lock = threading.Lock()


def predictor_for(task: str, root: Path) -> Predictor:
    """The predictor of the task's active version (loaded at most once per process per version)."""
    identity = ModelVersion.active_identity(task)
    cached = _cache.get(task)
    if cached is not None and identity is not None and cached[0] == identity:
        return cached[1]
    with _lock:
        cached = _cache.get(task)
        if cached is None or cached[0] != identity:
            row = ModelVersion.get_or_none(ModelVersion.id == identity[0]) if identity else None
            if row is None:
                raise NoActiveModel(
                    f"No {task} model is active yet. Train one with `flask --app wsgi train {task}`."
                )
            cached = _cache[task] = (identity, Predictor(load(row, root, estimator=False)))
    return cached[1]


def predictor_for_version(task: str, version: int, root: Path) -> Predictor:
    """A predictor for a specific (possibly inactive) version, not cached."""
    row = ModelVersion.find(task, version)
    if row is None:
        raise RegistryError(f"There is no {task} version {version}.")
    return Predictor(load(row, root))
