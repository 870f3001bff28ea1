"""The statistics both stores share: per-group sums, histogram bins and Pearson correlations."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

BINS = 20  # bars of every histogram of the analytics


@dataclass
class Sums:
    """A group of rows summed up: its rows, and per numeric field the count of values, their sum, sum
    of squares, lowest and highest; per pair of fields (a, b), a before b, the sum of products."""

    rows: int = 0
    count: dict[str, int] = field(default_factory=dict)
    total: dict[str, float] = field(default_factory=dict)
    square: dict[str, float] = field(default_factory=dict)
    low: dict[str, float | None] = field(default_factory=dict)
    high: dict[str, float | None] = field(default_factory=dict)
    product: dict[tuple[str, str], float] = field(default_factory=dict)

    def mean(self, name: str) -> float | None:
        """The average of a field (None without values)."""
        count = self.count.get(name) or 0
        return round(self.total[name] / count, 4) if count else None


def pairs(names: list) -> list[tuple]:
    """Every pair (a, b) of `names` (fields, or anything listed) with a before b."""
    return [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]


def combine(parts: list[Sums], names: list[str]) -> Sums:
    """The sums of several groups taken together."""
    lows = {n: [p.low[n] for p in parts if p.low.get(n) is not None] for n in names}
    highs = {n: [p.high[n] for p in parts if p.high.get(n) is not None] for n in names}
    return Sums(
        rows=sum(p.rows for p in parts),
        count={n: sum(p.count.get(n, 0) for p in parts) for n in names},
        total={n: sum(p.total.get(n, 0.0) for p in parts) for n in names},
        square={n: sum(p.square.get(n, 0.0) for p in parts) for n in names},
        low={n: min(lows[n]) if lows[n] else None for n in names},
        high={n: max(highs[n]) if highs[n] else None for n in names},
        product={pair: sum(p.product.get(pair, 0.0) for p in parts) for pair in pairs(names)},
    )


def bin_edges(low: float | None, high: float | None, bins: int = BINS) -> list[float]:
    """`bins` equal bins from `low` to `high` (of width 1/bins when every value is the same)."""
    if low is None or high is None:
        return []
    width = (high - low) / bins if high > low else 1.0 / bins
    return [low + i * width for i in range(bins + 1)]


def bin_index(values: np.ndarray, edges: list[float]) -> np.ndarray:
    """The bin of each value (the last bin holds the highest edge), as `stored._bucket` in SQL."""
    width = edges[1] - edges[0]
    return np.clip(np.floor((values - edges[0]) / width), 0, len(edges) - 2).astype(int)


def correlation(sums: Sums, names: list[str]) -> list[list[float]]:
    """Pearson correlations between the fields `names`, from their sums (0 where one is constant)."""
    n = sums.rows
    matrix = np.eye(len(names))
    if n > 1:
        for (i, a), (j, b) in pairs(list(enumerate(names))):
            cov = sums.product[(a, b)] - sums.total[a] * sums.total[b] / n
            va = sums.square[a] - sums.total[a] ** 2 / n
            vb = sums.square[b] - sums.total[b] ** 2 / n
            r = cov / math.sqrt(va * vb) if va > 1e-9 and vb > 1e-9 else 0.0
            matrix[i, j] = matrix[j, i] = round(max(-1.0, min(1.0, r)), 4)
    return matrix.tolist()
