"""What an early-warning model reads about a course as of day d: one row per enrollment.

The row holds the activity features as of d (`modelling.activity_features`, days 0..d-1) and the daily
counts of the same days for the sequence model: columns `seq_<t>_<type>` for t = 0..window-1, where
window is the checkpoint's length in days of the nominal course. The last `window` observed days are
kept (days d-window..d-1): a course whose checkpoint day is shorter than the window is padded with
empty days at the start, a longer one keeps its most recent days. Nothing of day d or later is read.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from modelling.activity_features import FEATURE_NAMES, activity_features
from modelling.event_types import EVENT_TYPES


def sequence_columns(window: int) -> list[str]:
    """The names of the daily-count columns of a window of `window` days (day-major)."""
    return [f"seq_{t:02d}_{name}" for t in range(window) for name in EVENT_TYPES]


def daily_window(counts: np.ndarray, day: int, window: int) -> np.ndarray:
    """Days day-window..day-1 of the cube (enrollments, window, types); days before 0 are empty."""
    seen = counts[:, max(day - window, 0) : day].astype(np.float32)
    missing = window - seen.shape[1]
    if missing > 0:
        pad = np.zeros((counts.shape[0], missing, counts.shape[2]), dtype=np.float32)
        seen = np.concatenate([pad, seen], axis=1)
    return seen


def model_frame(
    counts: np.ndarray, day: int, course_days: int, sources: np.ndarray | None, window: int
) -> pd.DataFrame:
    """The features as of `day` and the daily counts of the last `window` days, one row per enrollment."""
    features = activity_features(counts, day, course_days, sources).astype(float)
    flat = daily_window(counts, day, window).reshape(len(counts), -1)
    daily = pd.DataFrame(flat, columns=sequence_columns(window), index=features.index)
    return pd.concat([features, daily], axis=1)


def feature_part(frame: pd.DataFrame) -> pd.DataFrame:
    """Only the activity-feature columns of a model frame."""
    return frame[list(FEATURE_NAMES)]


def sequence_part(frame: pd.DataFrame) -> np.ndarray:
    """The daily counts of a model frame as (rows, days, types)."""
    columns = [name for name in frame.columns if name.startswith("seq_")]
    return frame[columns].to_numpy(dtype=np.float32).reshape(len(frame), -1, len(EVENT_TYPES))
