"""A course whose five learners fall in known segments at day 14, scored with a real model."""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from db.tables import utcnow
from services.early_warning import scoring
from tests.helpers import store_course

DAY = 14
# Learner -> the segment its activity before day 14 puts it in.
EXPECTED = {"L0": "not_started", "L1": "gone_quiet", "L2": "slipping", "L3": "steady", "L4": "steady"}


def segmented_counts() -> np.ndarray:
    """Five learners of a 30-day course, one per row, active as EXPECTED says by day 14."""
    counts = np.zeros((5, 30, 7), dtype=int)
    counts[1, 0:4, 0] = 3  # days 0..3, then nothing for 10 days
    counts[2, 0:7, 0] = 5  # 35 the first week, 1 the second
    counts[2, 13, 0] = 1
    counts[3, 0:14, :2] = 3  # every day alike
    counts[4, 0:14, :2] = 3  # the same as L3: the same probability, the same rank
    return counts


def segmented_course(code: str):
    """The course of `segmented_counts`, today its day 14, scored at day 14 with a real model."""
    course = store_course(code, segmented_counts(), start=utcnow().date() - timedelta(days=DAY))
    outcome = scoring.score_at_day("cli", DAY, code, keep=True)
    return course, outcome
