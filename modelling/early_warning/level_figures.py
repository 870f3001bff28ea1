"""How well the levels relative to the course pick out who drops out: the High group's precision and
recall, the base rate, the lift (precision over base rate) and the share flagged.

A precision of 0.9 says little in a course where 90% drop out anyway: the lift says how much likelier a
learner at High is to drop out than any learner of the course (1.0: the flag tells nothing).
"""

from __future__ import annotations

import numpy as np

from modelling.levels import CourseShares, levels_by_group
from modelling.tasks import EARLY_WARNING

FLAG = EARLY_WARNING.course.relative_levels.names[0]
KEYS = ("flagged_precision", "flagged_recall", "flagged_share", "base_rate", "expected_rate", "lift")


def _ratio(part: float, whole: float) -> float:
    return float(part / whole) if whole else float("nan")


def flag_figures(y: np.ndarray, flagged: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """The figures of 0/1 outcomes `y` with `flagged` (True at High) and probabilities `p`."""
    y = np.asarray(y, dtype=float)
    flagged = np.asarray(flagged, dtype=bool)
    hits = float(np.sum(y[flagged]))
    precision = _ratio(hits, flagged.sum())
    base_rate = float(np.mean(y)) if len(y) else float("nan")
    return {
        "flagged_precision": precision,
        "flagged_recall": _ratio(hits, y.sum()),
        "flagged_share": _ratio(flagged.sum(), len(y)),
        "base_rate": base_rate,
        # The calibrated probabilities' mean: the dropout rate the model expects of the course.
        "expected_rate": float(np.mean(p)) if len(p) else float("nan"),
        "lift": _ratio(precision, base_rate) if not np.isnan(precision) else float("nan"),
    }


def relative_figures(
    y: np.ndarray, p: np.ndarray, groups: np.ndarray, rule: CourseShares | None = None, decimals: int = 4
) -> dict[str, float]:
    """The figures with the levels decided within each group (course) of `groups`, from the
    probabilities rounded as they are stored."""
    rule = rule or EARLY_WARNING.course.relative_levels
    rounded = np.round(np.asarray(p, dtype=float), decimals)
    levels = levels_by_group(rule, rounded, groups)
    return flag_figures(y, levels == rule.names[0], rounded)
