"""Segments a tutor understands: where a learner stands from their own daily activity as of a scored day
(days 0..day-1), and what to do about it; and each enrollment's rank by risk within its course.

The segments are data: SEGMENTS lists them in order, each with the conditions that put a learner in
it (a measure compared with a threshold, all of them true); the first segment whose conditions hold
wins, and the last one has none (everyone else). The measures are computed for every learner of a
course at once. Pure: no database, no model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# The thresholds, in one place (the descriptions below quote them).
RECENT_DAYS = 7  # "recent": the last 7 days before the scored day
QUIET_DAYS = 7  # gone quiet: active before, no activity in at least this many days up to the scored day
SLIPPING_SHARE = 0.5  # slipping: the recent days' events below this share of the earlier weeks' average
MIN_EARLIER_DAYS = 7  # an earlier average needs at least a week from the first active day

OPERATORS = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}


@dataclass(frozen=True)
class Condition:
    """A measure of MEASURES compared with a threshold (a missing measure, NaN, never matches)."""

    measure: str
    operator: str
    threshold: float


@dataclass(frozen=True)
class Segment:
    """A group of learners: its stored name, the words a tutor reads, and when a learner is in it."""

    name: str
    label: str
    description: str
    action: str
    when: tuple[Condition, ...] = ()
    # How much a tutor's contact can still do (a tutor's worklist puts higher first at equal level):
    # learners who were active can be reached back; those who never started need a bulk nudge first.
    priority: int = 0


SEGMENTS: tuple[Segment, ...] = (
    Segment(
        "not_started",
        "Not started",
        "No activity in the course yet.",
        "Send a bulk nudge: a welcome reminder of how to start.",
        (Condition("active_days", "<=", 0),),
        priority=1,
    ),
    Segment(
        "gone_quiet",
        "Gone quiet",
        f"Active before, but no activity in the last {QUIET_DAYS} days or more.",
        "Contact personally: ask what stopped them.",
        (Condition("quiet_days", ">=", QUIET_DAYS),),
        priority=2,
    ),
    Segment(
        "slipping",
        "Slipping",
        f"Activity in the last {RECENT_DAYS} days under {SLIPPING_SHARE:.0%} of their own earlier "
        "weekly average.",
        "Contact personally: check in before they stop.",
        (
            Condition("earlier_days", ">=", MIN_EARLIER_DAYS),
            Condition("recent_share", "<", SLIPPING_SHARE),
        ),
        priority=2,
    ),
    Segment(
        "steady",
        "Steady",
        f"Active in the last {QUIET_DAYS} days, not far below their own earlier pace (or too new to "
        "compare).",
        "No action: keep an eye on them.",
    ),
)
SEGMENT_NAMES = tuple(segment.name for segment in SEGMENTS)
BY_NAME = {segment.name: segment for segment in SEGMENTS}
PRIORITIES = {segment.name: segment.priority for segment in SEGMENTS}


def label_of(name: str | None) -> str:
    """A stored segment name as a tutor reads it ("" for none, as on predictions stored before)."""
    return BY_NAME[name].label if name in BY_NAME else ""


def action_of(name: str | None) -> str:
    """What a stored segment suggests doing ("" for none)."""
    return BY_NAME[name].action if name in BY_NAME else ""


def measures(counts: np.ndarray, day: int) -> pd.DataFrame:
    """Per learner (rows of `counts`: learners x course days x event types), from days 0..day-1:
    `active_days`; `quiet_days` (days since the last active one, not counting it; `day` when never
    active); `earlier_days` (from the first active day to the recent window); `recent_share` (the
    recent window's events over the earlier days' average per window of the same length; NaN without
    earlier days)."""
    daily = np.nansum(np.asarray(counts, dtype=float)[:, :day], axis=2) if day else np.zeros((len(counts), 0))
    active = daily > 0
    ever = active.any(axis=1)
    days = np.arange(daily.shape[1])
    last = np.where(active, days, -1).max(axis=1, initial=-1)
    first = np.where(active, days, day).min(axis=1, initial=day)
    recent_start = max(0, day - RECENT_DAYS)
    earlier_days = np.where(ever, np.maximum(0, recent_start - first), 0)
    earlier = daily[:, :recent_start].sum(axis=1)
    recent = daily[:, recent_start:].sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        average = earlier / earlier_days * RECENT_DAYS
        share = np.where((earlier_days > 0) & (average > 0), recent / average, np.nan)
    return pd.DataFrame(
        {
            "active_days": active.sum(axis=1),
            "quiet_days": day - 1 - last,
            "earlier_days": earlier_days,
            "recent_share": share,
        }
    )


def _matches(segment: Segment, values: pd.DataFrame) -> np.ndarray:
    matched = np.ones(len(values), dtype=bool)
    for condition in segment.when:
        measure = values[condition.measure].to_numpy(dtype=float)
        matched &= OPERATORS[condition.operator](measure, condition.threshold)
    return matched


def segments_for(counts: np.ndarray, day: int) -> np.ndarray:
    """Each learner's segment name as of `day`: the first segment of SEGMENTS whose conditions hold."""
    values = measures(counts, day)
    names = np.full(len(values), SEGMENTS[-1].name, dtype=object)
    open_ = np.ones(len(values), dtype=bool)
    for segment in SEGMENTS:
        matched = open_ & _matches(segment, values)
        names[matched] = segment.name
        open_ &= ~matched
    return names


def ranks_in_course(probability: np.ndarray) -> np.ndarray:
    """1 for the riskiest enrollment, counting down; equal probabilities share the smaller rank
    (0.9, 0.8, 0.8, 0.1 rank 1, 2, 2, 4)."""
    return pd.Series(np.asarray(probability, dtype=float)).rank(method="min", ascending=False).to_numpy(int)


def with_segments(frame: pd.DataFrame, counts: np.ndarray, day: int) -> pd.DataFrame:
    """A scored course's frame (a row per row of `counts`) with `segment` and `rank_in_course`."""
    return frame.assign(
        segment=segments_for(counts, day) if len(frame) else [],
        rank_in_course=ranks_in_course(frame["probability"]) if len(frame) else [],
    )
