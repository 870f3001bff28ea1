"""The model registry: each trained version is a database row plus its files.

Files of a version live under `<root>/<task>/v<version>/`: the model (`model.joblib`, or for a
Keras model `keras_model.keras` + `preprocessor.joblib`), `metrics.json` (every candidate's
cross-validated figures), `details.json` (curves, importance, training history), `serving.json`
(what the predictor needs besides the model), `model_card.md` and, for an additive model of
whole-number fields, `tables.npz` (see `modelling.tables`). Activation loads the files and
predicts a reference row first: a version that fails this never becomes active.
"""

from __future__ import annotations

import json
import platform
import shutil
from dataclasses import dataclass, field
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

from db.connection import database
from db.models import ModelVersion, User
from modelling.explain import is_additive, reference_row
from modelling.schemas import schema_for
from modelling.tables import TABLES_FILE, AdditiveTables, compile_tables

MODEL_FILE = "model.joblib"
KERAS_FILE = "keras_model.keras"


class RegistryError(Exception):
    """A version that cannot be registered, found or served."""


@dataclass
class LoadedModel:
    """A version's files: what serving needs, its lookup tables if any, and its estimator (read on
    first use, so a version served from its tables never imports scikit-learn)."""

    row: ModelVersion
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
            row = self.row
            raise RegistryError(f"{row.task} v{row.version}: its files cannot be loaded ({exc}).") from exc


def outcome(task: str, estimator: Any, frame: pd.DataFrame) -> np.ndarray:
    """Exam: scores clipped to 0..100. Dropout: probabilities of dropping out."""
    if task == "dropout":
        return np.asarray(estimator.predict_proba(frame))[:, 1]
    return np.clip(np.asarray(estimator.predict(frame), dtype=float).ravel(), 0.0, 100.0)


def explanation_scale(task: str, values: np.ndarray, floor: float = 1e-6) -> np.ndarray:
    """The units explanations are given in: exam points, or dropout log-odds."""
    if task == "dropout":
        p = np.clip(values, floor, 1 - floor)
        return np.log(p / (1 - p))
    return values


def _library_versions(keras: bool) -> dict[str, str]:
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


def _model_card(row: ModelVersion, result: Any, serving: dict[str, Any]) -> str:
    lines = [
        f"# {row.task} v{row.version}: {row.algorithm}",
        "",
        f"Trained {row.created_at:%Y-%m-%d %H:%M} UTC on {row.rows} rows of `{row.data_source}` "
        f"(fingerprint `{row.data_fingerprint[:16]}`).",
        "",
        "## Cross-validated figures of every candidate",
        "",
        "| candidate | " + " | ".join(result.candidates[0].metrics) + " |",
        "|---|" + "---|" * len(result.candidates[0].metrics),
    ]
    for candidate in result.candidates:
        mark = " (chosen)" if candidate.name == row.algorithm else ""
        cells = " | ".join(f"{v:.4f}" for v in candidate.metrics.values())
        lines.append(f"| {candidate.name}{mark} | {cells} |")
    lines += [
        "",
        "## Use and limits",
        "",
        "Predictions describe students like the one entered. Explanations are baseline Shapley values "
        f"({'exact, the model is additive' if serving['additive'] else 'sampled over field orders'}). "
        "Values outside the training range are flagged as extrapolation.",
    ]
    return "\n".join(lines) + "\n"


def register(
    result: Any,
    frame: pd.DataFrame,
    *,
    root: Path,
    data_source: str,
    data_fingerprint: str,
    created_by: User | None = None,
) -> ModelVersion:
    """Store a TrainingResult as the next version of its task (files + row), not yet active."""
    schema = schema_for(result.task)
    reference = reference_row(frame, schema)

    def score(batch: pd.DataFrame) -> np.ndarray:
        return explanation_scale(result.task, outcome(result.task, result.estimator, batch))

    def exact_score(batch: pd.DataFrame) -> np.ndarray:
        return explanation_scale(result.task, outcome(result.task, result.estimator, batch), floor=1e-15)

    sample = frame.sample(min(8, len(frame)), random_state=0)
    serving = {
        "reference": reference,
        "additive": is_additive(score, schema, sample, reference),
        "interval_halfwidth": result.details.get("interval_halfwidth"),
    }
    tables = None
    if serving["additive"]:
        tables = compile_tables(result.task, schema, exact_score, frame, reference)
    keras = hasattr(result.estimator, "save_to")
    with database.atomic():
        number = ModelVersion.next_number(result.task)
        directory = root / result.task / f"v{number}"
        if directory.exists():
            shutil.rmtree(directory)
        directory.mkdir(parents=True)
        try:
            if keras:
                result.estimator.save_to(directory)
            else:
                joblib.dump(result.estimator, directory / MODEL_FILE)
            _write_json(
                directory / "metrics.json",
                {
                    "winner": result.algorithm,
                    "metrics": result.metrics,
                    "candidates": [{"name": c.name, "metrics": c.metrics} for c in result.candidates],
                },
            )
            _write_json(directory / "details.json", result.details)
            _write_json(directory / "serving.json", serving)
            if tables is not None:
                tables.save(directory / TABLES_FILE)
            row = ModelVersion.create(
                task=result.task,
                version=number,
                algorithm=result.algorithm,
                metrics=result.metrics,
                candidates=[{"name": c.name, "metrics": c.metrics} for c in result.candidates],
                data_fingerprint=data_fingerprint,
                data_source=data_source[:255],
                rows=result.rows,
                library_versions=_library_versions(keras),
                artifact_dir=str(directory.relative_to(root)),
                created_by=created_by,
            )
            (directory / "model_card.md").write_text(_model_card(row, result, serving))
        except BaseException:
            shutil.rmtree(directory, ignore_errors=True)
            raise
    return row


def load(row: ModelVersion, root: Path, *, estimator: bool = True) -> LoadedModel:
    """Load a version's files; with `estimator=False` the model itself is read on first use."""
    directory = root / row.artifact_dir
    try:
        serving = json.loads((directory / "serving.json").read_text())
        tables_path = directory / TABLES_FILE
        tables = AdditiveTables.load(tables_path) if tables_path.exists() else None
    except Exception as exc:
        raise RegistryError(f"{row.task} v{row.version}: its files cannot be loaded ({exc}).") from exc
    model = LoadedModel(row, directory, serving, tables)
    if estimator or tables is None:
        model.estimator  # noqa: B018 - read now so that a broken file fails here
    return model


def check_serves(model: LoadedModel) -> None:
    """Predict the reference row; raise RegistryError unless a valid output comes back."""
    schema = schema_for(model.row.task)
    frame = pd.DataFrame([model.serving["reference"]], columns=schema.names)
    try:
        values = outcome(model.row.task, model.estimator, frame)
    except Exception as exc:
        raise RegistryError(f"{model.row.task} v{model.row.version} fails to predict ({exc}).") from exc
    if values.shape != (1,) or not np.isfinite(values).all():
        raise RegistryError(f"{model.row.task} v{model.row.version} predicts no valid value.")
    if model.tables is not None:
        tabled = model.tables.outcomes(frame)
        if tabled is None or not np.allclose(tabled, values, rtol=0.0, atol=1e-6):
            raise RegistryError(f"{model.row.task} v{model.row.version}: its lookup tables disagree with it.")


def activate(task: str, version: int, root: Path) -> ModelVersion:
    """Make a version serve its task; its files must load and predict first."""
    row = ModelVersion.find(task, version)
    if row is None:
        raise RegistryError(f"There is no {task} version {version}.")
    check_serves(load(row, root))
    ModelVersion.make_active(row)
    return ModelVersion.get_by_id(row.id)


def read_json(row: ModelVersion, root: Path, name: str) -> dict[str, Any]:
    """One of a version's JSON files (metrics, details, serving)."""
    return json.loads((root / row.artifact_dir / f"{name}.json").read_text())
