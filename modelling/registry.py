"""A trained version's files: written once, loaded for serving, checked before activation.

`services/model_versions.py` keeps the registry's rows (which versions exist, which one is active) and
gives each version its folder `<root>/<task>/v<version>/`, holding: the model (`model.joblib`, or for a
Keras model `keras_model.keras` + `preprocessor.joblib`), `metrics.json` (every candidate's
cross-validated figures), `details.json` (curves, importance, training history), `serving.json`
(what the predictor needs besides the model), `model_card.md` and, for an additive model of
whole-number fields, `tables.npz` (see `modelling.tables`). A version is only
activated after `check_serves` has loaded its files and predicted a reference row.
"""

from __future__ import annotations

import json
import platform
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

from modelling.explain import is_additive, reference_row
from modelling.tables import TABLES_FILE, AdditiveTables, compile_tables
from modelling.tasks import Task, task_for

MODEL_FILE = "model.joblib"
KERAS_FILE = "keras_model.keras"


class RegistryError(Exception):
    """A version that cannot be registered, found or served."""


@dataclass
class LoadedModel:
    """A version's files: what serving needs, its lookup tables if any, and its estimator (read on
    first use, so a version served from its tables never imports scikit-learn)."""

    task: Task
    version: int
    algorithm: str
    directory: Path
    serving: dict[str, Any]
    tables: AdditiveTables | None = None
    preloaded: Any = field(default=None, repr=False)

    @cached_property
    def estimator(self) -> Any:
        """The fitted estimator (TensorFlow is imported only for a Keras model)."""
        if self.preloaded is not None:
            return self.preloaded
        try:
            if (self.directory / KERAS_FILE).exists():
                from modelling.keras_model import KerasMLPRegressor

                return KerasMLPRegressor.load_from(self.directory)
            return joblib.load(self.directory / MODEL_FILE)
        except Exception as exc:
            raise RegistryError(f"{self.name}: its files cannot be loaded ({exc}).") from exc

    @property
    def name(self) -> str:
        """The version as people name it: "exam-score v3"."""
        return f"{self.task.name} v{self.version}"


def library_versions(keras: bool) -> dict[str, str]:
    names = ["scikit-learn", "numpy", "pandas", "joblib"] + (["tensorflow-cpu", "keras"] if keras else [])
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _write_json(path: Path, payload: Any) -> None:
    path.write_text(json.dumps(payload, indent=2, default=_jsonable))


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


@dataclass(frozen=True)
class Provenance:
    """Where a version came from, for its model card."""

    version: int
    created_at: datetime
    rows: int
    data_source: str
    data_fingerprint: str


def _model_card(result: Any, provenance: Provenance, serving: dict[str, Any]) -> str:
    lines = [
        f"# {result.task} v{provenance.version}: {result.algorithm}",
        "",
        f"Trained {provenance.created_at:%Y-%m-%d %H:%M} UTC on {provenance.rows} rows of "
        f"`{provenance.data_source}` (fingerprint `{provenance.data_fingerprint[:16]}`).",
        "",
        "## Cross-validated figures of every candidate",
        "",
        "| candidate | " + " | ".join(result.candidates[0].metrics) + " |",
        "|---|" + "---|" * len(result.candidates[0].metrics),
    ]
    for candidate in result.candidates:
        mark = " (chosen)" if candidate.name == result.algorithm else ""
        cells = " | ".join(f"{v:.4f}" for v in candidate.metrics.values())
        lines.append(f"| {candidate.name}{mark} | {cells} |")
    if result.details.get("fairness"):
        from modelling.fairness import markdown

        lines += ["", "## Fairness by group (out-of-fold predictions)", ""]
        lines += markdown(result.details["fairness"])
    lines += [
        "",
        "## Use and limits",
        "",
        "Predictions describe students like the one entered. Explanations are baseline Shapley values "
        f"({'exact, the model is additive' if serving['additive'] else 'sampled over field orders'}). "
        "Values outside the training range are flagged as extrapolation.",
    ]
    return "\n".join(lines) + "\n"


def serving_facts(result: Any, frame: pd.DataFrame) -> tuple[dict[str, Any], AdditiveTables | None]:
    """What the predictor needs besides the model, and lookup tables when the model is additive."""
    task = task_for(result.task)
    reference = reference_row(frame, task.form.schema)

    def score(batch: pd.DataFrame, floor: float = 1e-6) -> np.ndarray:
        return task.outcome.explanation_scale(task.outcome.values(result.estimator, batch), floor)

    sample = frame.sample(min(8, len(frame)), random_state=0)
    serving = {
        "reference": reference,
        "additive": is_additive(score, task.form.schema, sample, reference),
        "interval_halfwidth": result.details.get("interval_halfwidth"),
    }
    tables = None
    if serving["additive"]:
        tables = compile_tables(task, lambda batch: score(batch, 1e-15), frame, reference)
    return serving, tables


def save(result: Any, frame: pd.DataFrame, directory: Path, provenance: Provenance) -> None:
    """Write a TrainingResult's files into `directory` (created if absent; whoever made it removes it
    if this fails, so a folder this did not make is never removed)."""
    serving, tables = serving_facts(result, frame)
    directory.mkdir(parents=True, exist_ok=True)
    if is_keras(result.estimator):
        result.estimator.save_to(directory)
    else:
        joblib.dump(result.estimator, directory / MODEL_FILE)
    _write_json(
        directory / "metrics.json",
        {"winner": result.algorithm, "metrics": result.metrics, "candidates": candidate_metrics(result)},
    )
    _write_json(directory / "details.json", result.details)
    _write_json(directory / "serving.json", serving)
    if tables is not None:
        tables.save(directory / TABLES_FILE)
    (directory / "model_card.md").write_text(_model_card(result, provenance, serving))


def is_keras(estimator: Any) -> bool:
    """Whether the estimator is saved by Keras rather than joblib."""
    return hasattr(estimator, "save_to")


def candidate_metrics(result: Any) -> list[dict[str, Any]]:
    """Every candidate's cross-validated figures, as stored."""
    return [{"name": c.name, "metrics": c.metrics} for c in result.candidates]


def load(task: str, version: int, algorithm: str, directory: Path, *, estimator: bool = True) -> LoadedModel:
    """Load a version's files; with `estimator=False` the model itself is read on first use."""
    try:
        serving = json.loads((directory / "serving.json").read_text())
        tables_path = directory / TABLES_FILE
        tables = AdditiveTables.load(tables_path) if tables_path.exists() else None
    except Exception as exc:
        raise RegistryError(f"{task} v{version}: its files cannot be loaded ({exc}).") from exc
    model = LoadedModel(task_for(task), version, algorithm, directory, serving, tables)
    if estimator or tables is None:
        model.estimator  # noqa: B018 - read now so that a broken file fails here
    return model


def check_serves(model: LoadedModel) -> None:
    """Predict the reference row; raise RegistryError unless a valid output comes back."""
    frame = pd.DataFrame([model.serving["reference"]], columns=model.task.form.schema.names)
    try:
        values = model.task.outcome.values(model.estimator, frame)
    except Exception as exc:
        raise RegistryError(f"{model.name} fails to predict ({exc}).") from exc
    if values.shape != (1,) or not np.isfinite(values).all():
        raise RegistryError(f"{model.name} predicts no valid value.")
    if model.tables is not None:
        tabled = model.tables.outcomes(frame)
        if tabled is None or not np.allclose(tabled, values, rtol=0.0, atol=1e-6):
            raise RegistryError(f"{model.name}: its lookup tables disagree with it.")


def read_json(directory: Path, name: str) -> dict[str, Any]:
    """One of a version's JSON files (metrics, details, serving)."""
    return json.loads((directory / f"{name}.json").read_text())
