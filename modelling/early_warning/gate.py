"""The evaluation gate: whether a newly trained early-warning version may become the active one.

A version passes when, at every checkpoint, its course-grouped ROC AUC reaches the floor and is not
below the active version's at the same checkpoint by more than the margin. The service layer reads
the floor and margin from the settings (EARLY_WARNING_MIN_AUC, EARLY_WARNING_MAX_AUC_DROP).
"""

from __future__ import annotations

import math
from collections.abc import Mapping


def gate(
    candidate: Mapping[int, float],
    active: Mapping[int, float] | None,
    floor: float,
    margin: float,
) -> tuple[bool, list[str]]:
    """(passed, reasons in words) for a version's ROC AUC by checkpoint against the active version's."""
    reasons = []
    if not candidate:
        return False, ["the new version has no checkpoint models"]
    for day in sorted(candidate):
        auc = candidate[day]
        if auc is None or math.isnan(auc):
            reasons.append(f"day {day}: ROC AUC could not be measured")
            continue
        if auc < floor:
            reasons.append(f"day {day}: ROC AUC {auc:.2f} is below the floor {floor:.2f}")
        before = (active or {}).get(day)
        if before is not None and not math.isnan(before) and auc < before - margin:
            reasons.append(
                f"day {day}: ROC AUC {auc:.3f} is {before - auc:.3f} below the active version's {before:.3f} "
                f"(the largest drop allowed is {margin:.3f})"
            )
    missing = sorted(set(active or {}) - set(candidate))
    reasons += [f"day {day}: the active version has a model and the new one has none" for day in missing]
    return not reasons, reasons
