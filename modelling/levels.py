"""Turn a score into a level and a probability into a risk level, from configurable bands."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Bands = Sequence[tuple[str, float]]

EXAM_LEVELS: Bands = (
    ("Excellent", 90),
    ("Very good", 75),
    ("Average", 65),
    ("Needs improvement", 50),
    ("At risk", 0),
)
RISK_LEVELS: Bands = (("High", 0.7), ("Medium", 0.4), ("Low", 0.0))


def level_for(value: float, bands: Bands) -> str:
    """The first band (highest lower bound first) whose lower bound `value` reaches."""
    for name, lower in sorted(bands, key=lambda band: band[1], reverse=True):
        if value >= lower:
            return name
    return sorted(bands, key=lambda band: band[1])[0][0]


def level_names(bands: Bands) -> list[str]:
    """Band names from the highest to the lowest."""
    return [name for name, _ in sorted(bands, key=lambda band: band[1], reverse=True)]


def levels_for(values: np.ndarray, bands: Bands) -> np.ndarray:
    """`level_for` of many values at once."""
    ordered = sorted(bands, key=lambda band: band[1])
    bounds = np.array([lower for _, lower in ordered[1:]], dtype=float)
    names = np.array([name for name, _ in ordered], dtype=object)
    return names[np.searchsorted(bounds, np.asarray(values, dtype=float), side="right")]
