"""The cross-validation loop: out-of-fold predictions of one candidate, with progress reported step by
step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from modelling.keras_model import KerasMLPRegressor
from modelling.tasks import Task

Progress = Callable[[float, str], None]


def keras_history(estimator: Any) -> dict[str, list[float]] | None:
    """The per-epoch training history of a fitted Keras regressor."""
    history = getattr(estimator, "history_", None)
    return {key: list(values) for key, values in history.items()} if history else None


class Reporter:
    """Counts finished steps and passes (fraction, message) to the caller's progress callback."""

    def __init__(self, total: int, callback: Progress | None) -> None:
        self.total = max(total, 1)
        self.done = 0
        self.callback = callback

    def __call__(self, message: str) -> None:
        """One more step is finished."""
        self.done += 1
        if self.callback is not None:
            self.callback(min(self.done / self.total, 1.0), message)


def cross_validate(
    task: Task,
    name: str,
    data: tuple[pd.DataFrame, np.ndarray],
    splits: list[tuple[np.ndarray, np.ndarray]],
    seed: int,
    report: Reporter,
    details: dict[str, Any],
) -> np.ndarray:
    """Out-of-fold predictions of one candidate (the first fold's Keras history goes into `details`)."""
    X, y = data
    oof = np.empty(len(y))
    for index, (train, test) in enumerate(splits):
        model = task.build(name, seed).fit(X.iloc[train], y[train])
        oof[test] = task.outcome.values(model, X.iloc[test])
        if index == 0 and isinstance(model, KerasMLPRegressor):
            details["keras_history"] = {"source": f"{name}, fold 1", **(keras_history(model) or {})}
        report(f"{task.name}: {name} fold {index + 1}/{len(splits)}")
    return oof
