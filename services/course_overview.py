"""What the Courses and Course pages show: each visible course's
risk at a glance, a course's risk across its checkpoints, and its at-risk list with the trajectory,
change, inactivity, reasons and last action of every enrollment, filtered, sorted and exported.

A course's *checkpoints* here are its scored days, one per checkpoint model: the latest day scored
with each checkpoint's model (with daily scoring, days 7..13 all use checkpoint 7's model and the
latest of them stands for it). The at-risk list's previous day follows the same rule, the one in
modelling/early_warning/scored_days.py."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import peewee
from flask import current_app

from db.courses import Course
from db.early_warning import EnrollmentPrediction, ScoringRun
from db.ingest import ImportRun
from db.tables import User
from db.tutoring import CourseTutor, EnrollmentAction
from modelling.cells import SafeWriter
from modelling.early_warning import segments
from modelling.early_warning.scored_days import as_of_day, checkpoint_days, days_up_to
from modelling.tasks import EARLY_WARNING
from services import access_log
from services import courses as course_service
from services.bounded_cache import BoundedCache
from services.courses import require_course
from services.early_warning import course_levels
from services.early_warning.enrollments_at_risk import at_risk_items
from services.errors import InvalidInput
from services.tutoring.actions import ACTION_LABELS

STATUSES = ("running", "finished", "upcoming")
CHANGES = ("up", "down", "same", "new")
SEARCH_MAX_CHARS = 128
INACTIVE_MAX_DAYS = 10_000
SORT_COLUMNS = ("learner", "probability", "risk_level", "change", "inactive", "last_action")
# The at-risk list's columns, as the page shows them and the export writes them (same order).
EXPORT_COLUMNS = (
    ("learner", "Learner"),
    ("probability", "Probability"),
    ("rank_in_course", "Rank in course"),
    ("risk_level", "Risk level"),
    ("segment", "Segment"),
    ("trajectory", "Trajectory"),
    ("change", "Change"),
    ("inactive", "Days since last activity"),
    ("reasons", "Reasons for the risk"),
    ("in_favour", "In their favour"),
    ("last_action", "Last action"),
)
ARROWS = {"up": "▲", "down": "▼", "same": "=", "new": ""}
# At-risk lists kept per process: a tutor scrolling one list and switching sorts, and a few others. A
# kept list is found again only while its course's fingerprint is unchanged; the age bounds how long
# what the fingerprint cannot see (a renamed or removed user in a last action) stays as it was.
AT_RISK_LISTS = 4  # a kept list of 5,000 rows holds about 9 MB
AT_RISK_LIST_MAX_SECONDS = 300


@dataclass(frozen=True)
class AtRiskFilters:
    """Which rows of a course's at-risk list to show, and in which order."""

    risk_level: str | None = None
    change: str | None = None  # up, down, same (within SAME_WITHIN) or new (no previous checkpoint)
    inactive_days: int | None = None  # at least this many days since the last activity (never active too)
    no_action: bool = False  # only enrollments nobody has acted on yet
    learner: str | None = None  # part of the learner reference, any case
    segment: str | None = None  # a name of SEGMENT_NAMES
    sort: tuple[tuple[str, bool], ...] = ()  # (column of SORT_COLUMNS, descending), first key first


def risk_levels(config=None) -> list[str]:
    """The configured early-warning risk levels, highest first (`config`: the running app's by default)."""
    return EARLY_WARNING.levels(current_app.config if config is None else config).names


def flag_level(config=None) -> str:
    """The highest risk level ("High" by default): the one that flags a learner to their tutors."""
    return risk_levels(config)[0]


def _shares(counts: dict[str, int]) -> dict[str, float]:
    total = sum(counts.values())
    return {level: n / total for level, n in counts.items()} if total else {}


# --- Courses page -------------------------------------------------------------------------------


LevelCounts = dict[int, tuple[int, dict[str, int]]]  # day -> (checkpoint, risk level -> count)


def _scores(course_ids: list[int]) -> tuple[dict[int, LevelCounts], dict[int, tuple[Any, int | None]]]:
    """For each course: its level counts per scored day, and (when its newest prediction was stored,
    the latest run that stored any): the predictions aggregated once, in one query."""
    query = (
        EnrollmentPrediction.select(
            EnrollmentPrediction.course,
            EnrollmentPrediction.day,
            EnrollmentPrediction.risk_level,
            peewee.fn.MAX(EnrollmentPrediction.checkpoint),
            peewee.fn.COUNT(EnrollmentPrediction.id),
            peewee.fn.MAX(EnrollmentPrediction.created_at),
            peewee.fn.MAX(EnrollmentPrediction.run),
        )
        .where(EnrollmentPrediction.course.in_(course_ids))
        .group_by(EnrollmentPrediction.course, EnrollmentPrediction.day, EnrollmentPrediction.risk_level)
        .tuples()
    )
    counts: dict[int, LevelCounts] = {}
    latest: dict[int, tuple[Any, int | None]] = {}
    for course_id, day, level, checkpoint, count, scored_at, run_id in query:
        days = counts.setdefault(course_id, {})
        previous, levels = days.get(day, (checkpoint, {}))
        levels[level] = count
        days[day] = (max(previous, checkpoint), levels)
        was_at, was_run = latest.get(course_id, (scored_at, run_id))
        # A run id is missing where the run was removed: the newest of those present.
        latest[course_id] = (max(was_at, scored_at), max(filter(None, (was_run, run_id)), default=None))
    return counts, latest


def _last_runs(latest: dict[int, tuple[Any, int | None]]) -> dict[int, dict[str, Any]]:
    """Course id -> its latest scoring: when its newest prediction was stored and that run (one query)."""
    run_ids = [run_id for _, run_id in latest.values() if run_id is not None]
    runs = {run.id: run for run in ScoringRun.select().where(ScoringRun.id.in_(run_ids))} if run_ids else {}
    out = {}
    for course_id, (scored_at, run_id) in latest.items():
        run = runs.get(run_id)
        out[course_id] = {
            "scored_at": scored_at,
            "run": run_id,
            "run_status": run.status if run else None,
            "run_finished_at": run.finished_at if run else None,
            "trigger": run.trigger if run else None,
        }
    return out


def _high_at(days: LevelCounts, high: str) -> dict[str, Any]:
    """The share at `high` at the latest checkpoint (with its counts) and its change from the previous one."""
    if not days:
        return {
            "checkpoint_day": None,
            "checkpoint": None,
            "scored": 0,
            "high": 0,
            "high_share": None,
            "previous_high_share": None,
            "high_change": None,
        }
    order = checkpoint_days({day: checkpoint for day, (checkpoint, _) in days.items()})
    counts = days[order[-1]][1]
    now = _shares(counts).get(high, 0.0)
    before = _shares(days[order[-2]][1]).get(high, 0.0) if len(order) > 1 else None
    return {
        "checkpoint_day": order[-1],
        "checkpoint": days[order[-1]][0],
        "scored": sum(counts.values()),
        "high": counts.get(high, 0),
        "high_share": now,
        "previous_high_share": before,
        "high_change": None if before is None else now - before,
    }


def _matches(row: dict[str, Any], search: str | None, status: str | None) -> bool:
    if status and row["status"] != status:
        return False
    text = f"{row['code']} {row['title']}".casefold()
    return not search or search.casefold() in text


def courses_overview(viewer: User, search: str | None = None, status: str | None = None) -> list[dict]:
    """Every course `viewer` may see (matching `search` in its code or title, and `status`), by code:
    enrollments, where it stands today, the share at the highest risk level at its latest checkpoint
    and the change from the previous one, and its last scoring. A few queries for all courses."""
    search = (search or "").strip() or None
    if search and len(search) > SEARCH_MAX_CHARS:
        raise InvalidInput("The search is too long.", {"search": f"At most {SEARCH_MAX_CHARS} characters."})
    if status and status not in STATUSES:
        raise InvalidInput("Unknown course status.", {"status": f"One of {', '.join(STATUSES)}."})
    listed = [pair for pair in course_service.courses_by_id(viewer) if _matches(pair[1], search, status)]
    if not listed:
        return []
    counts, latest = _scores([key for key, _ in listed])
    runs = _last_runs(latest)
    high = flag_level()
    return [
        {**row, "high_level": high, **_high_at(counts.get(key, {}), high), "last_scoring": runs.get(key)}
        for key, row in listed
    ]


# --- Course page --------------------------------------------------------------------------------


def course_page(viewer: User, code: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A visible course's page: its header facts and its risk trend (the course looked up once)."""
    found = require_course(viewer, code)
    counts, latest = _scores([found.id])
    days = counts.get(found.id, {})
    return _facts(found, _last_runs(latest).get(found.id), days), _risk_trend(found, days)


def _facts(found: Course, last_scoring: dict[str, Any] | None, days: LevelCounts) -> dict[str, Any]:
    """The header of a course's page: the course, its tutors, its last scoring and what its levels mean
    at its latest scored day (shares, base rate, each level's expected dropout rate)."""
    order = checkpoint_days({day: checkpoint for day, (checkpoint, _) in days.items()})
    return {
        **course_service.course_summary(found),
        "tutors": [user.full_name or user.username for user in CourseTutor.tutors_of(found)],
        "last_scoring": last_scoring,
        "levels": course_levels.expected_rates(found, order[-1] if order else None)
        | {"shares": course_levels.level_shares(found), "flag_level": flag_level()},
    }


def course_risk_trend(viewer: User, code: str) -> dict[str, Any]:
    """Per checkpoint of a visible course (its scored day standing for it), how many enrollments were
    at each risk level and their share: how the cohort's risk moves."""
    found = require_course(viewer, code)
    counts, _ = _scores([found.id])
    return _risk_trend(found, counts.get(found.id, {}))


def _risk_trend(found: Course, days: LevelCounts) -> dict[str, Any]:
    levels = risk_levels()
    stored = sorted({level for _, counts in days.values() for level in counts} - set(levels))
    points = []
    for day in checkpoint_days({day: checkpoint for day, (checkpoint, _) in days.items()}):
        checkpoint, counts = days[day]
        shares = _shares(counts)
        points.append(
            {
                "day": day,
                "checkpoint": checkpoint,
                "total": sum(counts.values()),
                "counts": {level: counts.get(level, 0) for level in levels + stored},
                "shares": {level: shares.get(level, 0.0) for level in levels + stored},
            }
        )
    return {"course": found.code, "levels": levels + stored, "points": points}


def check_filters(filters: AtRiskFilters) -> None:
    """Refuse filter values the list cannot apply (422 with the field named)."""
    problems = {}
    if filters.risk_level and filters.risk_level not in risk_levels():
        problems["risk_level"] = f"One of {', '.join(risk_levels())}."
    if filters.segment and filters.segment not in segments.SEGMENT_NAMES:
        problems["segment"] = f"One of {', '.join(segments.SEGMENT_NAMES)}."
    if filters.change and filters.change not in CHANGES:
        problems["change"] = f"One of {', '.join(CHANGES)}."
    days = filters.inactive_days
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days < 0):
        problems["inactive_days"] = "A whole number of days, 0 or more."
    elif days is not None and days > INACTIVE_MAX_DAYS:
        problems["inactive_days"] = f"At most {INACTIVE_MAX_DAYS}."
    if filters.learner and len(filters.learner) > SEARCH_MAX_CHARS:
        problems["learner"] = f"At most {SEARCH_MAX_CHARS} characters."
    if any(column not in SORT_COLUMNS for column, _ in filters.sort):
        problems["sort"] = f"Sort by {', '.join(SORT_COLUMNS)}."
    if problems:
        raise InvalidInput("Please correct the filters.", problems)


def _inactive(item: dict[str, Any], day: int) -> int:
    """Days since the last activity; a learner never active counts as inactive since before day 0."""
    days = item["days_since_last_activity"]
    return item.get("as_of_day", day) + 1 if days is None else days


def _keep(item: dict[str, Any], filters: AtRiskFilters, day: int) -> bool:
    if filters.risk_level and item["risk_level"] != filters.risk_level:
        return False
    if filters.segment and item["segment"] != filters.segment:
        return False
    if filters.change and item["change_direction"] != filters.change:
        return False
    if filters.inactive_days is not None and _inactive(item, day) < filters.inactive_days:
        return False
    if filters.no_action and item["last_action"] is not None:
        return False
    learner = (filters.learner or "").strip().casefold()
    return not learner or learner in item["learner_ref"].casefold()


def _sort_keys(day: int, levels: list[str]) -> dict[str, Any]:
    rank = {level: index for index, level in enumerate(reversed(levels))}  # higher risk, higher rank
    return {
        "learner": lambda item: item["learner_ref"].casefold(),
        "probability": lambda item: item["probability"],
        "risk_level": lambda item: (rank.get(item["risk_level"], -1), item["probability"]),
        "change": lambda item: item["change"],
        "inactive": lambda item: _inactive(item, day),
        "last_action": lambda item: item["last_action"]["created_at"] if item["last_action"] else None,
    }


def _sorted(items: list[dict], sort: tuple[tuple[str, bool], ...], day: int) -> list[dict]:
    """Sort by each key, the first one winning; rows without a value come last in either direction."""
    keys = _sort_keys(day, risk_levels())
    for column, descending in reversed(sort):
        key = keys[column]
        present = [item for item in items if key(item) is not None]
        missing = [item for item in items if key(item) is None]
        items = sorted(present, key=key, reverse=descending) + missing  # stable both ways
    return items


def course_at_risk_rows(viewer: User, code: str, filters: AtRiskFilters | None = None) -> dict[str, Any]:
    """The at-risk list of `at_risk_listing`, its view recorded in the access log (the page's grid)."""
    listing = at_risk_listing(viewer, code, filters)
    access_log.record(viewer, "at_risk_list", course=listing["course"])
    return listing


def at_risk_listing(viewer: User, code: str, filters: AtRiskFilters | None = None) -> dict[str, Any]:
    """The visible course's at-risk list at its latest scored day: one row per enrollment with its
    probability, level, trajectory over the checkpoints, change since the previous checkpoint (and its
    direction), days since last activity, top reasons and last action; then `filters` applied (all
    rows first: `total` counts them, `items` are those kept, in order; read them, never change them).
    The grid asks for the list once per block of rows it shows: the list is kept (AT_RISK_LISTS of
    them per process) under the course, its fingerprint, the filters and the levels, so the blocks
    after the first cost the visibility check and the fingerprint's three small queries."""
    filters = filters or AtRiskFilters()
    check_filters(filters)
    found = require_course(viewer, code)
    # The window is in the key: moving a course's start re-keys its days without restamping them.
    key = (found.id, found.code, found.start_date, found.length_days, _fingerprint(found), filters,
           tuple(risk_levels()))
    return {**_at_risk_lists().get(key, lambda: _at_risk_listing(found, filters))}


def _at_risk_lists() -> BoundedCache:
    """The running app's kept at-risk lists (each process its own)."""
    return current_app.extensions.setdefault(
        "course_at_risk_lists", BoundedCache(AT_RISK_LISTS, AT_RISK_LIST_MAX_SECONDS)
    )


def _fingerprint(found: Course) -> tuple:
    """What a course's at-risk list is made of, in three small queries: its predictions (a scoring run
    adds or restamps them), its actions, and the activity stored (every import or push)."""
    predictions, actions = EnrollmentPrediction.changed_at(found), EnrollmentAction.fingerprint(found)
    return predictions, actions, ImportRun.fingerprint()


def _at_risk_listing(found: Course, filters: AtRiskFilters) -> dict[str, Any]:
    """The at-risk list of `course_at_risk_rows`, read from the store (a handful of queries: the rows
    are those of services.early_warning.enrollments_at_risk, read without building a model per row)."""
    checkpoints = EnrollmentPrediction.checkpoints_by_day(found)
    listing = {"course": found.code, "day": None, "checkpoint": None, "previous_day": None, "message": ""}
    if not checkpoints:
        message = "This course has not been scored yet."
        return {**listing, "items": [], "message": message, "checkpoint_days": [], "total": 0}
    day = max(checkpoints)
    days = days_up_to(checkpoints, day)
    items = at_risk_items(found, day, days, checkpoints[day])
    kept = [item for item in items if _keep(item, filters, day)]
    return {
        **listing,
        "day": day,
        "checkpoint": checkpoints[day],
        "previous_day": days[-2] if len(days) > 1 else None,
        "as_of_day": as_of_day(found.length_days, day, checkpoints[day]),
        "checkpoint_days": days,
        "total": len(items),
        "items": _sorted(kept, filters.sort, day),
    }


# --- How a row reads (the page and the export use the same words) -------------------------------


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def action_text(action: dict[str, Any] | None) -> str:
    """A last action in words: what, by whom, when."""
    if not action:
        return ""
    what = ACTION_LABELS.get(action["kind"], action["kind"])
    if action.get("channel"):
        what += f" ({action['channel']})"
    who = action.get("username") or "a removed user"
    when = action["created_at"].strftime("%Y-%m-%d %H:%M") if action.get("created_at") else ""
    return f"{what} by {who}, {when} UTC" if when else f"{what} by {who}"


def shown_row(item: dict[str, Any]) -> dict[str, str]:
    """An at-risk row as the page shows it and the export writes it (EXPORT_COLUMNS' fields)."""
    change, direction = item["change"], item["change_direction"]
    days = item["days_since_last_activity"]
    return {
        "learner": item["learner_ref"],
        "probability": f"{item['probability']:.1%}",
        "rank_in_course": "" if item["rank_in_course"] is None else str(item["rank_in_course"]),
        "risk_level": item["risk_level"],
        "segment": segments.label_of(item["segment"]),
        "trajectory": " → ".join(_percent(p) for p in item["trajectory"]),
        "change": "new" if change is None else f"{ARROWS[direction]} {change * 100:+.1f} pp".strip(),
        "inactive": "never active" if days is None else str(days),
        "reasons": "; ".join(item["top_factors"]),
        "in_favour": "; ".join(item.get("in_favour") or []),
        "last_action": action_text(item["last_action"]),
    }


def at_risk_csv(viewer: User, code: str, filters: AtRiskFilters | None = None) -> str:
    """The rows of the at-risk list that `filters` keep, in their order, with the columns the page
    shows: exactly what is on the screen, as CSV."""
    listing = at_risk_listing(viewer, code, filters)
    access_log.record(viewer, "export", course=listing["course"], list="at-risk", rows=len(listing["items"]))
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow([header for _, header in EXPORT_COLUMNS])
    for item in listing["items"]:
        shown = shown_row(item)
        writer.writerow([shown[field] for field, _ in EXPORT_COLUMNS])
    return out.getvalue()
