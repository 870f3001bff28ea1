"""Early-warning features: one row per enrollment of a course, as of day d.

"As of day d" means from days 0..d-1 only: nothing of day d or later is read, so a model trained on
features as of d on finished courses sees what it will see on a running course at day d.

The input is a dense cube of one course: `counts[e, t, k]` = events of type EVENT_TYPES[k] of
enrollment e on course day t (a day without a stored row is a day without activity: zeros), and,
where the platform says where events came from, `sources[e, t]` = (server, browser) with NaN where a
day's source is unknown. Features relative to the course compare each enrollment with the median of
the cube passed in, so call this once per course.

Definitions (d = the day, W = weeks of 7 days from day 0):
- a day is *active* when it has at least one event of any type;
- never-active enrollments: `days_since_last_active` = d, `first_active_day` = d, spans and streaks 0;
- `week_k_*`: days 7(k-1)..7k-1 clipped to d-1; NaN for a week that starts at or after d;
- `last_week_*` = days d-7..d-1, `previous_week_*` = days d-14..d-8 (days before 0 count as empty);
  `week_trend` = ln((1 + last week's events) / (1 + previous week's events)), NaN when d < 14;
- `early/mid/late_events`: the observed window 0..d-1 cut at d//3 and 2d//3, i.e. days [0, d//3),
  [d//3, 2d//3), [2d//3, d) (d = 30: days 0-9, 10-19, 20-29);
- `server`, `browser`: NaN unless the source is known for every observed day of the enrollment
  (always NaN when `sources` is None): the columns are always there, so the feature list is fixed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from modelling.event_types import EVENT_TYPES

SOURCE_NAMES = ("server", "browser")
WEEKS = 5  # weeks 1..5 cover the default 30-day course (week 5 = days 28 and 29)
TREND_MIN_DAY = 14  # the trend needs two whole weeks observed

# name -> what it means, in words a tutor can read (the early-warning explanations start from these).
FEATURE_DESCRIPTIONS: dict[str, str] = {
    **{name: f"{name.replace('_', ' ')} events so far" for name in EVENT_TYPES},
    "total_events": "events of any type so far",
    "active_days": "days with any activity so far",
    "active_day_share": "share of the days so far with any activity",
    **{
        key: text
        for week in range(1, WEEKS + 1)
        for key, text in (
            (f"week_{week}_events", f"events in week {week} of the course"),
            (f"week_{week}_active_days", f"active days in week {week} of the course"),
        )
    },
    "last_week_events": "events in the last 7 days",
    "last_week_active_days": "active days in the last 7 days",
    "previous_week_events": "events in the 7 days before the last 7",
    "previous_week_active_days": "active days in the 7 days before the last 7",
    "week_trend": "change of activity from the previous week to the last (log ratio; 0 = unchanged)",
    "days_since_last_active": "days without activity since the last active day",
    "first_active_day": "course day of the first activity",
    "longest_active_streak": "longest run of consecutive active days",
    "current_active_streak": "consecutive active days up to yesterday",
    "longest_idle_streak": "longest run of consecutive days without activity",
    "events_vs_course_median": "events so far compared with the course's typical learner (log ratio)",
    "active_days_vs_course_median": "active days so far minus the course's typical learner's",
    "last_week_events_vs_course_median": "events in the last 7 days compared with the course's "
    "typical learner (log ratio)",
    "active_span_days": "days between the first and the last active day",
    "study_days": "days with any activity so far (the dropout form's name for active_days)",
    "early_events": "events in the first third of the days so far",
    "mid_events": "events in the middle third of the days so far",
    "late_events": "events in the last third of the days so far",
    "server": "server-side events so far (only where the platform reports the source)",
    "browser": "browser-side events so far (only where the platform reports the source)",
}
FEATURE_NAMES: tuple[str, ...] = tuple(FEATURE_DESCRIPTIONS)
# The 14 aggregates of the dropout form's fields, as of d (a subset of FEATURE_NAMES).
SPEC_AGGREGATES: tuple[str, ...] = (
    *EVENT_TYPES,
    *SOURCE_NAMES,
    "active_span_days",
    "study_days",
    "early_events",
    "mid_events",
    "late_events",
)


def activity_features(
    counts: np.ndarray, day: int, course_days: int, sources: np.ndarray | None = None
) -> pd.DataFrame:
    """One row of FEATURE_NAMES per enrollment of `counts`, from days 0..day-1 only."""
    _check(counts, day, course_days, sources)
    observed = _window(counts, day).astype(np.int64)
    daily = observed.sum(axis=2)
    active = daily > 0
    columns: dict[str, np.ndarray] = {}
    totals = observed.sum(axis=1)
    columns.update({name: totals[:, k] for k, name in enumerate(EVENT_TYPES)})
    total = daily.sum(axis=1)
    active_days = active.sum(axis=1)
    columns.update(total_events=total, active_days=active_days)
    columns["active_day_share"] = active_days / day if day else np.full(len(total), np.nan)
    columns.update(_weeks(daily, active, day))
    columns.update(_recent(daily, active, day))
    columns.update(_timing(active, day))
    columns.update(_relative(columns))
    columns.update(_spec_aggregates(daily, columns, day))
    columns.update(_sources(sources, day, len(total)))
    return pd.DataFrame({name: columns[name] for name in FEATURE_NAMES})


def describe(name: str) -> str:
    """What a feature means, in words (KeyError for an unknown name)."""
    return FEATURE_DESCRIPTIONS[name]


def _check(counts: np.ndarray, day: int, course_days: int, sources: np.ndarray | None) -> None:
    if counts.ndim != 3 or counts.shape[2] != len(EVENT_TYPES):
        shape = f"(enrollments, days, {len(EVENT_TYPES)})"
        raise ValueError(f"counts must have shape {shape}, not {counts.shape}.")
    if not 0 <= day <= course_days:
        raise ValueError(f"day must be between 0 and the course length {course_days}, not {day}.")
    if sources is not None and sources.shape[:2] != counts.shape[:2]:
        raise ValueError(f"sources must have shape {counts.shape[:2] + (2,)}, not {sources.shape}.")


def _window(cube: np.ndarray, day: int) -> np.ndarray:
    """Days 0..day-1 of a cube; days the cube does not reach are days without activity."""
    if cube.shape[1] >= day:
        return cube[:, :day]
    missing = np.zeros((cube.shape[0], day - cube.shape[1], *cube.shape[2:]), dtype=cube.dtype)
    return np.concatenate([cube, missing], axis=1)


def _weeks(daily: np.ndarray, active: np.ndarray, day: int) -> dict[str, np.ndarray]:
    out = {}
    for week in range(1, WEEKS + 1):
        start, stop = 7 * (week - 1), min(7 * week, day)
        if start >= day:
            empty = np.full(len(daily), np.nan)
            out[f"week_{week}_events"], out[f"week_{week}_active_days"] = empty, empty
        else:
            out[f"week_{week}_events"] = daily[:, start:stop].sum(axis=1)
            out[f"week_{week}_active_days"] = active[:, start:stop].sum(axis=1)
    return out


def _recent(daily: np.ndarray, active: np.ndarray, day: int) -> dict[str, np.ndarray]:
    last, previous = slice(max(day - 7, 0), day), slice(max(day - 14, 0), max(day - 7, 0))
    out = {
        "last_week_events": daily[:, last].sum(axis=1),
        "last_week_active_days": active[:, last].sum(axis=1),
        "previous_week_events": daily[:, previous].sum(axis=1),
        "previous_week_active_days": active[:, previous].sum(axis=1),
    }
    trend = np.log1p(out["last_week_events"]) - np.log1p(out["previous_week_events"])
    out["week_trend"] = trend if day >= TREND_MIN_DAY else np.full(len(daily), np.nan)
    return out


def _runs(flags: np.ndarray) -> np.ndarray:
    """Per cell, the length of the run of True ending there (0 where False)."""
    running = np.cumsum(flags, axis=1)
    at_breaks = np.maximum.accumulate(np.where(flags, 0, running), axis=1)
    return running - at_breaks


def _timing(active: np.ndarray, day: int) -> dict[str, np.ndarray]:
    if day == 0:
        zeros = np.zeros(len(active), dtype=np.int64)
        return {name: zeros for name in _TIMING}
    ever = active.any(axis=1)
    first = np.where(ever, active.argmax(axis=1), day)
    last = np.where(ever, day - 1 - active[:, ::-1].argmax(axis=1), -1)
    active_runs = _runs(active)
    return {
        "days_since_last_active": day - 1 - last,
        "first_active_day": first,
        "longest_active_streak": active_runs.max(axis=1),
        "current_active_streak": active_runs[:, -1],
        "longest_idle_streak": _runs(~active).max(axis=1),
        "active_span_days": np.where(ever, last - first, 0),
    }


_TIMING = (
    "days_since_last_active",
    "first_active_day",
    "longest_active_streak",
    "current_active_streak",
    "longest_idle_streak",
    "active_span_days",
)


def _relative(columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each enrollment against the median enrollment of the same course as of the same day."""
    total, recent, days = columns["total_events"], columns["last_week_events"], columns["active_days"]
    if len(total) == 0:
        return {name: np.zeros(0) for name in _RELATIVE}
    return {
        "events_vs_course_median": np.log1p(total) - np.log1p(np.median(total)),
        "active_days_vs_course_median": days - np.median(days),
        "last_week_events_vs_course_median": np.log1p(recent) - np.log1p(np.median(recent)),
    }


_RELATIVE = ("events_vs_course_median", "active_days_vs_course_median", "last_week_events_vs_course_median")


def _spec_aggregates(daily: np.ndarray, columns: dict[str, np.ndarray], day: int) -> dict[str, np.ndarray]:
    first_cut, second_cut = day // 3, 2 * day // 3
    return {
        "study_days": columns["active_days"],
        "early_events": daily[:, :first_cut].sum(axis=1),
        "mid_events": daily[:, first_cut:second_cut].sum(axis=1),
        "late_events": daily[:, second_cut:day].sum(axis=1),
    }


def _sources(sources: np.ndarray | None, day: int, rows: int) -> dict[str, np.ndarray]:
    if sources is None:
        unknown = np.full(rows, np.nan)
        return {"server": unknown, "browser": unknown}
    # A NaN day (source unknown) makes the sum NaN: a partial count would read as a low one.
    sums = _window(np.asarray(sources, dtype=float), day).sum(axis=1)
    return {name: sums[:, k] for k, name in enumerate(SOURCE_NAMES)}


def cube_from_frame(
    frame: pd.DataFrame, course_days: int, enrollments: Sequence | None = None
) -> tuple[pd.Index, np.ndarray, np.ndarray | None]:
    """(enrollment ids, counts, sources or None) from a long frame of enrollment, day, the seven types and
    optional server/browser; rows with a day outside 0..course_days-1 are dropped, repeated rows add up.

    `enrollments` fixes the order and includes enrollments without rows; by default the sorted ids seen.
    """
    ids = pd.Index(enrollments if enrollments is not None else np.unique(frame["enrollment"]))
    days = frame["day"].to_numpy(dtype=np.int64)
    rows = ids.get_indexer(frame["enrollment"])
    if (rows < 0).any():
        unknown = frame["enrollment"][rows < 0].iloc[0]
        raise ValueError(f"enrollment {unknown!r} is not among the enrollments given")
    keep = (days >= 0) & (days < course_days)
    cells = rows[keep] * course_days + days[keep]
    size = len(ids) * course_days
    counts = _stack(frame, EVENT_TYPES, keep, cells, size).reshape(len(ids), course_days, len(EVENT_TYPES))
    sources = None
    if all(name in frame for name in SOURCE_NAMES) and frame[list(SOURCE_NAMES)].notna().any().any():
        sources = _stack(frame, SOURCE_NAMES, keep, cells, size, integer=False)
        sources = sources.reshape(len(ids), course_days, len(SOURCE_NAMES))
    return ids, counts, sources


def _stack(
    frame: pd.DataFrame, names: Sequence[str], keep: np.ndarray, cells: np.ndarray, size: int, integer=True
) -> np.ndarray:
    """Per name, the column summed into its cell; one (size, len(names)) array."""
    planes = []
    for name in names:
        if name not in frame:  # a type the platform does not report counts 0
            planes.append(np.zeros(size))
            continue
        values = pd.to_numeric(frame[name]).to_numpy(dtype=float, na_value=np.nan)[keep]
        planes.append(np.bincount(cells, weights=values, minlength=size))
    stacked = np.stack(planes, axis=1)
    return stacked.astype(np.int64) if integer else stacked
