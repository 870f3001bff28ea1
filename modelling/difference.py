"""The difference between two proportions with a 95% confidence interval, for comparing the dropout
rate of two groups of learners.

One group against another (one course): Newcombe's hybrid score interval (Newcombe 1998, method 10),
built from the two groups' Wilson intervals. Unlike the textbook Wald interval (difference +- 1.96
standard errors) it keeps close to its 95% coverage with small groups and with rates near 0 or 1, as
MOOC dropout rates are (0.7 to 0.95), and never runs past -1 or 1.

Several strata (courses) together: the Mantel-Haenszel weighted difference (each course weighted by
n1 * n0 / (n1 + n0)) with Sato's (1989) variance, which stays valid with many small strata. Comparing
within each course first keeps a difference between courses (one course dropping out more than another,
or nudged with a larger share) from passing for an effect.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Arm:
    """One group's outcomes: how many learners (with a known outcome), how many dropped out."""

    learners: int
    dropped_out: int

    @property
    def rate(self) -> float | None:
        """The group's dropout rate (None without learners)."""
        return self.dropped_out / self.learners if self.learners else None


@dataclass(frozen=True)
class Difference:
    """Rate of the first group minus rate of the second, and its 95% interval."""

    difference: float
    low: float
    high: float

    @property
    def width(self) -> float:
        """The interval's width (in proportion, 0.1 = 10 points)."""
        return self.high - self.low


def wilson(arm: Arm, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of one group's rate."""
    n, p = arm.learners, arm.dropped_out / arm.learners
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe(first: Arm, second: Arm, z: float = Z95) -> Difference | None:
    """first's rate minus second's, with Newcombe's hybrid score interval (None if a group is empty)."""
    if not first.learners or not second.learners:
        return None
    p1, p2 = first.dropped_out / first.learners, second.dropped_out / second.learners
    (l1, u1), (l2, u2) = wilson(first, z), wilson(second, z)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return Difference(d, max(-1.0, low), min(1.0, high))


def mantel_haenszel(strata: Iterable[tuple[Arm, Arm]], z: float = Z95) -> Difference | None:
    """The common difference (first minus second) over strata with Sato's variance (None when no
    stratum has both groups)."""
    weight = numerator = p_sum = q_sum = 0.0
    for first, second in strata:
        n1, n0 = first.learners, second.learners
        if not n1 or not n0:
            continue  # a stratum with one group only compares nothing
        a, b, total = first.dropped_out, second.dropped_out, n1 + n0
        weight += n1 * n0 / total
        numerator += (a * n0 - b * n1) / total
        p_sum += (n1 * n1 * b - n0 * n0 * a + n1 * n0 * (n0 - n1) / 2) / (total * total)
        q_sum += (a * (n0 - b) + b * (n1 - a)) / (2 * total)
    if not weight:
        return None
    d = numerator / weight
    half = z * math.sqrt(max(0.0, d * p_sum + q_sum)) / weight
    return Difference(d, max(-1.0, d - half), min(1.0, d + half))
