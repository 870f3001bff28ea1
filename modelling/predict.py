"""Serving: one loaded version of one task, for one row or many.

Which version serves a task is the registry's business (`services/model_versions.py` keeps one
`Predictor` per active version and process); this module only needs the version's files.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from modelling import recommend
from modelling.explain import field_orders, path_rows, reduce_paths, top_factors
from modelling.levels import Bands
from modelling.registry import LoadedModel


class Predictor:
    """One loaded version of one task."""

    def __init__(self, model: LoadedModel) -> None:
        self.model = model
        self.task = model.task
        self.version = model.version
        self.algorithm = model.algorithm
        self.schema = model.task.form.schema
        self.reference = model.serving["reference"]
        self.additive = bool(model.serving["additive"])
        self.halfwidth = model.serving.get("interval_halfwidth") or 0.0
        self.orders = field_orders(self.schema.names, self.additive)

    @property
    def estimator(self) -> Any:
        """The version's fitted estimator (read from its files on first use)."""
        return self.model.estimator

    def outcomes(self, columns: pd.DataFrame | Mapping[str, list[Any]]) -> np.ndarray:
        """The task's values (scores, probabilities) for rows given as columns by field name (from
        the version's lookup tables when it has them and they cover every value)."""
        if self.model.tables is not None:
            values = self.model.tables.outcomes(columns)
            if values is not None:
                return values
        frame = columns if isinstance(columns, pd.DataFrame) else pd.DataFrame(columns)
        return self.task.outcome.values(self.estimator, frame[self.schema.names])

    def predict_frame(self, frame: pd.DataFrame, bands: Bands) -> pd.DataFrame:
        """The task's output columns for many validated rows."""
        return pd.DataFrame(self.task.columns(self.outcomes(frame), self.halfwidth, bands), index=frame.index)

    def analyse(
        self, record: Mapping[str, Any], bands: Bands, with_recommendations: bool = True
    ) -> dict[str, Any]:
        """Prediction, explanation and recommendations for one validated row, in one model call."""
        names = self.schema.names
        explanation_rows = path_rows(record, self.reference, names, self.orders)
        changes = recommend.candidate_changes(self.task, record) if with_recommendations else []
        rows = [dict(record)] + explanation_rows + [{**record, **c.values} for c in changes]
        values = self.outcomes({name: [row[name] for row in rows] for name in names})
        value = float(values[0])
        scaled = self.task.outcome.explanation_scale(values[1 : 1 + len(explanation_rows)])
        explanation = reduce_paths(scaled, names, self.orders)
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
        return {
            "model_version": self.version,
            "algorithm": self.algorithm,
            "contributions": contributions,
            "contribution_base": round(explanation.base, 4),
            "contribution_unit": self.task.outcome.contribution_unit,
            "top_factors": top_factors(self.schema, record, explanation, outcome=self.task.outcome_word),
            "recommendations": recommend.recommendations(
                self.task, changes, value, values[1 + len(explanation_rows) :]
            ),
            "extrapolated": self.schema.extrapolated(record),
            **self.task.result(value, self.halfwidth, bands),
        }
