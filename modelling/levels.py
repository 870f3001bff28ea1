"""Turn a score into a level and a probability into a risk level: from configurable fixed bands (the form
tasks), or relative to the course (early warning: shares of a course's enrollments, riskiest first)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

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


Shares = tuple[float, float]  # (High, Medium): parts of a course's enrollments, the riskiest first
DEFAULT_SHARES: Shares = (0.2, 0.3)
_EPSILON = 1e-9  # 0.2 * 5 is 1.0000000000000002 in floating point: a whole learner still fits


def check_shares(shares: Any) -> Shares:
    """`shares` as (High, Medium) floats; ValueError saying what is wrong unless both are in (0, 1) and
    they add up to at most 1."""
    try:
        high, medium = (float(share) for share in shares)
    except (TypeError, ValueError):
        raise ValueError("Level shares are two numbers: the High share and the Medium share.") from None
    if not (0 < high < 1 and 0 < medium < 1):
        raise ValueError(f"Each level share must be above 0 and below 1, not {high:g} and {medium:g}.")
    if high + medium > 1 + _EPSILON:
        raise ValueError(f"The High and Medium shares add up to {high + medium:g}: at most 1.")
    return (high, medium)


@dataclass(frozen=True)
class FixedBands:
    """Levels from fixed lower bounds of the value (the form tasks' bands)."""

    bands: Bands

    @property
    def names(self) -> list[str]:
        """Level names from the highest to the lowest."""
        return level_names(self.bands)

    def assign(self, values: np.ndarray) -> np.ndarray:
        """The level of every value."""
        return levels_for(values, self.bands)


@dataclass(frozen=True)
class CourseShares:
    """Levels relative to the course: among one course's enrollments scored on one day, the riskiest
    `high` share is High, the next `medium` share Medium, the rest Low.

    Equal probabilities are never split: learners are taken in tied groups, riskiest first, and a group
    enters a level only when the level, with the whole group, stays within its share (High within
    `high`, High and Medium together within `high + medium`); otherwise the group goes to the next level
    down. So a level never holds more than its share, a course where every learner has the same
    probability is all Low (the model tells no one apart from the others), and a course of fewer than
    1 / `high` enrollments has no High (a fifth of four learners is less than one learner).
    """

    high: float = DEFAULT_SHARES[0]
    medium: float = DEFAULT_SHARES[1]
    level_names: tuple[str, str, str] = ("High", "Medium", "Low")

    def __post_init__(self) -> None:
        check_shares((self.high, self.medium))

    @property
    def names(self) -> list[str]:
        """Level names from the highest to the lowest."""
        return list(self.level_names)

    @property
    def shares(self) -> Shares:
        """(High, Medium)."""
        return (self.high, self.medium)

    def with_shares(self, shares: Any) -> CourseShares:
        """The same rule with other (High, Medium) shares (validated)."""
        high, medium = check_shares(shares)
        return CourseShares(high, medium, self.level_names)

    def assign(self, values: np.ndarray) -> np.ndarray:
        """The level of every value of ONE course and day (a higher value is riskier)."""
        values = np.asarray(values, dtype=float)
        n = len(values)
        out = np.full(n, self.level_names[-1], dtype=object)
        if n == 0:
            return out
        # Per value: how many of the course are at least as risky (its tied group included).
        ordered = np.sort(values)
        at_least = n - np.searchsorted(ordered, values, side="left")
        limits = (self.high * n, (self.high + self.medium) * n)
        # Lowest level first, so that the higher level overwrites where both fit.
        for name, limit in reversed(list(zip(self.level_names[:2], limits, strict=True))):
            out[at_least <= limit + _EPSILON] = name
        return out


def levels_by_group(rule: CourseShares | FixedBands, values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """`rule.assign` within each group (a course, or a course and day) of `values`."""
    values = np.asarray(values, dtype=float)
    groups = np.asarray(groups)
    out = np.empty(len(values), dtype=object)
    for group in np.unique(groups):
        members = groups == group
        out[members] = rule.assign(values[members])
    return out
