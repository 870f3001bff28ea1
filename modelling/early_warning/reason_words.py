"""The words of a reason: one feature of one learner against the course's typical learner.

Rules a tutor can trust, each kept as data in the table below rather than as branches:
- a count reads in the singular for exactly one ("1 day", "1 discussion event");
- never a comparison with a median of 0 ("18 discussion events so far; most learners have none");
- days since the last activity count as the at-risk list counts them: the scored day minus the last
  active day (last active yesterday: 1 day), so a reason and the list's column say the same number;
- who has not started yet is said as such, not compared with the day itself;
- a feature that restates another (active days, their share, their difference from the median) speaks
  as one topic, so one cell never says the same thing twice;
- which side of the course median is worse: fewer is worse for every count but the three that grow with
  inactivity (days since the last activity, the first active day, the longest idle run). A factor is a
  reason for the risk only on the worse side, and in the learner's favour only on the better side.
"""

from __future__ import annotations

import math
import string
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from modelling.activity_features import FEATURE_DESCRIPTIONS, WEEKS
from modelling.event_types import EVENT_TYPES

MOST_NOT_STARTED = "most of the course has not been active yet"
_RATIOS = (
    (0.1, "a tenth of"),
    (0.2, "a fifth of"),
    (0.25, "a quarter of"),
    (1 / 3, "a third of"),
    (0.5, "half of"),
    (2 / 3, "two thirds of"),
    (1.0, "about the same as"),
    (1.5, "one and a half times"),
    (2.0, "twice"),
    (3.0, "three times"),
    (5.0, "five times"),
    (10.0, "ten times"),
)


@dataclass(frozen=True)
class Phrasing:
    """How one feature reads. Fields: {v} the learner's value, {m} the course median, {d} the day, {w}
    the days of the last week seen, {v1}/{m1} a day count plus one; `{x:unit}` counts x in that unit."""

    fact: str
    compare: str = "the course median is {m}"
    zero: str | None = "most learners have none"  # the comparison when the course median is 0
    worse_when: int = -1  # -1: fewer is worse; +1: more is worse
    topic: str = ""  # features sharing a topic say one thing: only the strongest is spoken
    not_started: str | None = None  # the words when the learner has not been active yet
    course_not_started: str = MOST_NOT_STARTED  # the comparison when the median learner has not
    min_day: int = 1  # the first day the feature holds anything


_ACTIVE = "active days"
_IDLE = "inactivity"
PHRASINGS: dict[str, Phrasing] = {
    **{
        name: Phrasing(f"{{v:{name.replace('_', ' ')} event}} so far", "the course median is {m}")
        for name in EVENT_TYPES
    },
    "total_events": Phrasing("{v:event} so far", topic="events"),
    "active_days": Phrasing(
        "active on {v} of {d:day}", zero="most learners have not been active yet", topic=_ACTIVE
    ),
    "active_day_share": Phrasing(
        "active on {v:%} of the days so far",
        "the course median is {m:%}",
        zero="most learners have not been active yet",
        topic=_ACTIVE,
    ),
    "last_week_events": Phrasing("{v:event} in the last {w:day}", topic="last week"),
    "last_week_active_days": Phrasing(
        "active on {v} of the last {w:day}", zero="most learners were not", topic="last week active"
    ),
    "previous_week_events": Phrasing("{v:event} in the 7 days before the last 7", min_day=8),
    "previous_week_active_days": Phrasing(
        "active on {v} of the 7 days before the last 7", zero="most learners were not", min_day=8
    ),
    "week_trend": Phrasing("{a:event} in the last {w:day}, after {b} in the 7 days before", "", min_day=8),
    "days_since_last_active": Phrasing(
        "{v1:day} since the last activity",
        "the course median is {m1:day}",
        zero="the course median is {m1:day}",
        worse_when=1,
        topic=_IDLE,
        not_started="not active yet in {d:day}",
    ),
    "first_active_day": Phrasing(
        "first active on day {v} of the course",
        "the course's typical learner was first active on day {m}",
        zero="most learners were active on day 0",
        worse_when=1,
        topic=_IDLE,
        not_started="not active yet in {d:day}",
    ),
    "longest_active_streak": Phrasing("at most {v:active day} in a row", topic="streak"),
    "current_active_streak": Phrasing("{v:active day} in a row up to yesterday", topic="current streak"),
    "longest_idle_streak": Phrasing(
        "longest run without activity: {v:day}", "the course median is {m:day}", zero=None, worse_when=1
    ),
    "active_span_days": Phrasing("{v:day} between the first and the last active day"),
    "early_events": Phrasing("{v:event} in the first third of the days so far"),
    "mid_events": Phrasing("{v:event} in the middle third of the days so far"),
    "late_events": Phrasing("{v:event} in the last third of the days so far"),
    "server": Phrasing("{v:server-side event} so far"),
    "browser": Phrasing("{v:browser-side event} so far"),
    **{
        key: Phrasing(fact, min_day=7 * (week - 1) + 1)
        for week in range(1, WEEKS + 1)
        for key, fact in (
            (f"week_{week}_events", f"{{v:event}} in week {week} of the course"),
            (f"week_{week}_active_days", f"active on {{v:day}} in week {week} of the course"),
        )
    },
}
# A feature measured against the course's typical learner speaks as the count it compares: its words and
# its side of the median are that count's (a log ratio against a median of 0 would read "five times").
SPOKEN_AS = {
    "events_vs_course_median": "total_events",
    "last_week_events_vs_course_median": "last_week_events",
    "active_days_vs_course_median": "active_days",
}
# Duplicates of another feature under a second name: never a reason of their own.
SILENT = ("study_days",)
# The features whose values a phrasing reads besides its own ({a}, {b}).
READS = {"week_trend": ("last_week_events", "previous_week_events")}
GENERIC = Phrasing("{description}: {v}")


def phrasing(name: str) -> Phrasing:
    """How a feature reads (the generic phrasing for a feature without one)."""
    return PHRASINGS.get(name, GENERIC)


def topic(name: str) -> str:
    """What a feature is about: two features of one topic are never both given."""
    return phrasing(name).topic or name


def side(name: str, value: float, median: float) -> int:
    """+1 when the learner's value is on the risky side of the course median, -1 on the better side,
    0 at the median or when either is unknown."""
    if math.isnan(value) or math.isnan(median) or value == median:
        return 0
    return phrasing(name).worse_when * (1 if value > median else -1)


def spoken(name: str, day: int) -> bool:
    """Whether a feature can be a reason at `day` (not a duplicate, its window already begun)."""
    return name not in SILENT and day >= phrasing(name).min_day


def _count(value: float) -> str:
    return "unknown" if math.isnan(value) else f"{value:.0f}" if value.is_integer() else f"{value:.1f}"


def counted(value: float, unit: str) -> str:
    """A count with its unit, singular for exactly one ("1 day", "2 days", "no days")."""
    return f"{'no' if value == 0 else _count(value)} {unit if value == 1 else unit + 's'}"


def ratio_words(log_ratio: float) -> str:
    """A ratio given as its natural log, in words ("a fifth of", "twice")."""
    ratio = float(np.exp(log_ratio))
    if ratio < 0.07:
        return "less than a tenth of"
    return min(_RATIOS, key=lambda pair: abs(np.log(pair[0]) - np.log(ratio)))[1]


class _Words(string.Formatter):
    """`{x:unit}` counts x in that unit, `{x:%}` is a percentage, `{x}` a plain count."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if not isinstance(value, float):
            return format(value, format_spec)
        if format_spec == "%":
            return "unknown" if math.isnan(value) else f"{value:.0%}"
        return counted(value, format_spec) if format_spec else _count(value)


_WORDS = _Words()


def phrase(name: str, value: float, median: float, day: int, others: tuple[float, ...] = ()) -> str:
    """One feature of one learner in words, against the course median (`others`: READS' values)."""
    return _phrase(name, float(value), float(median), int(day), tuple(float(x) for x in others))


@lru_cache(maxsize=1 << 16)  # counts repeat: most learners of a course share their phrases
def _phrase(name: str, value: float, median: float, day: int, others: tuple[float, ...]) -> str:
    words = phrasing(name)
    learner_not_started = words.not_started is not None and value >= day
    fact = words.not_started if learner_not_started else words.fact
    if words.not_started is not None and median >= day:
        compare = words.course_not_started
    elif median == 0 and words.zero is not None:
        compare = words.zero
    else:
        compare = words.compare
    fields = {
        "v": value,
        "m": median,
        "d": float(day),
        "w": float(min(7, day)),
        "v1": value + 1.0,
        "m1": median + 1.0,
        "description": FEATURE_DESCRIPTIONS.get(name, name.replace("_", " ")),
        "a": math.nan,
        "b": math.nan,
        **dict(zip("ab", others, strict=False)),
    }
    text = _WORDS.format(fact, **fields)
    # An unknown median or one worded as 0 is no comparison a tutor can use: the fact alone.
    if compare and not math.isnan(median) and not (median == 0 and words.zero is None):
        text += "; " + _WORDS.format(compare, **fields)
    return text


def recent_activity(active_days: float, days: int, never_active: bool, typical: float) -> str:
    """The learner's activity over the last `days` days, the fallback reason when no factor stands out
    (`typical`: the course's median of the same count)."""
    if never_active:
        return _WORDS.format("not active yet in {d:day}", d=float(days))
    text = _WORDS.format("active on {a} of the last {d:day}", a=float(active_days), d=float(days))
    return text + ("; like most of the course" if active_days == typical else "")
