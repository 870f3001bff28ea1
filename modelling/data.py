"""Data sets: the bundled default data, labelled CSV loading in either naming, fingerprints."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from modelling.cells import frame_csv
from modelling.schemas import NumericField
from modelling.tasks import TASKS, Task, schema_for, task_for

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DEFAULT_SEED = 2015


@dataclass
class LoadedData:
    """The good rows of a labelled file, and what was wrong with the others."""

    frame: pd.DataFrame
    rejected: list[tuple[int, str]] = field(default_factory=list)
    source: str = ""


def bundled_path(task: str, data_dir: Path = DATA_DIR) -> Path:
    """Where the bundled training set of `task` lives."""
    return data_dir / task_for(task).form.bundled_file


def make_bundled_data(seed: int = DEFAULT_SEED, data_dir: Path = DATA_DIR) -> dict[str, Path]:
    """Write both bundled training sets with the project's generator (deterministic by seed)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for task in TASKS.values():
        frame = task.form.generate(task.form.bundled_rows, seed)
        path = bundled_path(task.name, data_dir)
        frame_csv(frame, path, index=False)
        paths[task.name] = path
    return paths


def _clean_target(task: Task, raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    values = pd.to_numeric(raw, errors="coerce")
    valid = task.outcome.valid_target(values)
    errors = np.where(valid, "", f"{task.form.schema.target}: {task.outcome.target_text}")
    return values, errors


def load_labelled(task: str, source: str | Path | IO, name: str | None = None) -> LoadedData:
    """Read a labelled CSV (inputs in either naming plus the target); bad rows are reported."""
    schema = schema_for(task)
    raw = pd.read_csv(source, dtype=str, keep_default_na=False, na_values=[""])
    raw = raw.rename(columns=schema.rename_columns(list(raw.columns), with_target=True))
    if schema.target not in raw.columns:
        headers = " or ".join(f"'{h}'" for h in schema.target_headers)
        raise ValueError(f"The file has no target column ({headers}).")
    missing = [n for n in schema.names if n not in raw.columns]
    if missing:
        raise ValueError(f"The file lacks the column(s): {', '.join(missing)}.")
    clean, errors = schema.validate_frame(raw)
    target, target_errors = _clean_target(task_for(task), raw[schema.target])
    combined = [
        "; ".join(part for part in (a, b) if part)
        for a, b in zip(errors.to_numpy(), target_errors, strict=True)
    ]
    good = np.array([not text for text in combined])
    frame = clean[good].copy()
    frame[schema.target] = task_for(task).outcome.target_array(target[good].to_numpy())
    rejected = [(int(i) + 2, text) for i, text in enumerate(combined) if text]
    label = name or (str(source) if isinstance(source, str | Path) else "upload")
    return LoadedData(frame.reset_index(drop=True), rejected, label)


def load_bundled(task: str, data_dir: Path = DATA_DIR) -> LoadedData:
    """The bundled training set of `task`, generated first if it is not there."""
    path = bundled_path(task, data_dir)
    if not path.exists():
        make_bundled_data(data_dir=data_dir)
    return load_labelled(task, path, name=str(path))


def fingerprint(frame: pd.DataFrame) -> str:
    """A SHA-256 of the frame's values and columns (row order matters)."""
    digest = hashlib.sha256()
    digest.update(",".join(frame.columns).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def typical_row(task: str, data_dir: Path = DATA_DIR) -> dict[str, Any]:
    """A real, typical row of the bundled data: the one nearest to every field's median or mode."""
    return dict(_typical(task, data_dir))


@lru_cache(maxsize=4)
def _typical(task: str, data_dir: Path) -> tuple[tuple[str, Any], ...]:
    schema = schema_for(task)
    frame = load_bundled(task, data_dir).frame
    distance = np.zeros(len(frame))
    for f in schema.numeric:
        column = frame[f.name].astype(float)
        spread = float(column.quantile(0.75) - column.quantile(0.25)) or float(column.std()) or 1.0
        distance += ((column - column.median()).abs() / spread).fillna(10).to_numpy()
    for f in schema.categorical:
        mode = frame[f.name].mode(dropna=True)
        if len(mode):
            distance += (frame[f.name] != mode.iloc[0]).to_numpy(dtype=float)
    row = frame.iloc[int(np.argmin(distance))]
    values = []
    for f in schema.fields:
        value = row[f.name]
        if isinstance(f, NumericField):
            number = float(value)
            values.append((f.name, int(number) if number.is_integer() else number))
        else:
            values.append((f.name, None if value is None or value != value else str(value)))
    return tuple(values)
