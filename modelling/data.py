"""Data sets: the bundled default data, labelled CSV loading in either naming, fingerprints."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from modelling.schemas import TaskSchema, schema_for

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
BUNDLED_FILES = {"exam-score": "exam_scores.csv", "dropout": "dropout_enrollments.csv"}
# Sizes of the real public data sets the generator is calibrated from.
BUNDLED_ROWS = {"exam-score": 6607, "dropout": 24013}
DEFAULT_SEED = 2015


@dataclass
class LoadedData:
    """The good rows of a labelled file, and what was wrong with the others."""

    frame: pd.DataFrame
    rejected: list[tuple[int, str]] = field(default_factory=list)
    source: str = ""


def bundled_path(task: str, data_dir: Path = DATA_DIR) -> Path:
    """Where the bundled training set of `task` lives."""
    return data_dir / BUNDLED_FILES[task]


def make_bundled_data(seed: int = DEFAULT_SEED, data_dir: Path = DATA_DIR) -> dict[str, Path]:
    """Write both bundled training sets with the project's generator (deterministic by seed)."""
    from modelling.synthetic import generate_dropout, generate_exam  # SciPy only when generating

    data_dir.mkdir(parents=True, exist_ok=True)
    frames = {
        "exam-score": generate_exam(BUNDLED_ROWS["exam-score"], seed),
        "dropout": generate_dropout(BUNDLED_ROWS["dropout"], seed),
    }
    paths = {}
    for task, frame in frames.items():
        path = bundled_path(task, data_dir)
        frame.to_csv(path, index=False)
        paths[task] = path
    return paths


def _clean_target(schema: TaskSchema, raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    values = pd.to_numeric(raw, errors="coerce")
    if schema.task == "dropout":
        valid = values.isin([0, 1]).to_numpy()
        message = f"{schema.target}: must be 0 or 1"
    else:
        valid = values.between(0, 100).to_numpy()
        message = f"{schema.target}: must be a number from 0 to 100"
    errors = np.where(valid, "", message)
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
    target, target_errors = _clean_target(schema, raw[schema.target])
    combined = [
        "; ".join(part for part in (a, b) if part)
        for a, b in zip(errors.to_numpy(), target_errors, strict=True)
    ]
    good = np.array([not text for text in combined])
    frame = clean[good].copy()
    frame[schema.target] = target[good].astype(int if task == "dropout" else float).to_numpy()
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
