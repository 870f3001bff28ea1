"""Activity pushed over the API (SPEC.md 6.3): `accept` checks each item and adds it to the daily counts.

A minimal store for POST /activity until the importer (with its dedupe of events already counted)
takes over: pushing the same event twice counts it twice here. `accept` is the one entry point.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from db.api_keys import ApiKey
from db.connection import write_transaction
from db.courses import EVENT_TYPES, SOURCES, ActivityDay, Course, Enrollment
from db.models import User

MAX_ITEMS = 5000
MAX_LEARNER = 128
MAX_COURSE = 64
# The last part of an xAPI verb id -> event type (SPEC.md 6.1).
VERB_TYPES = {
    **dict.fromkeys(("played", "paused", "seeked", "watched"), "video"),
    **dict.fromkeys(("answered", "attempted", "submitted"), "problem"),
    **dict.fromkeys(("commented", "posted", "replied", "responded"), "discussion"),
    **dict.fromkeys(("experienced", "viewed", "accessed", "launched", "initialized"), "access"),
    "navigated": "navigate",
    **dict.fromkeys(("terminated", "exited"), "page_close"),
    "edited": "wiki",
}


@dataclass(frozen=True)
class Event:
    """One event, checked: who, in which course, when (naive UTC), what type, from which source."""

    learner: str
    course: str
    when: datetime
    type: str
    source: str | None


def accept(payload: dict[str, Any], actor: ApiKey | User) -> dict[str, Any]:
    """Count every good item of `{"events": [...]}` or `{"statements": [...]}` per enrollment and day;
    `{accepted, rejected: [{index, reason}]}`. `actor` (the key or administrator pushing) is kept for
    the importer that replaces this; the minimal store does not record it."""
    read = _from_event if "events" in payload else _from_statement
    items = payload.get("events", payload.get("statements")) or []
    events: list[tuple[int, Event]] = []
    rejected: list[dict[str, Any]] = []
    for index, item in enumerate(items[:MAX_ITEMS]):
        try:
            events.append((index, read(item)))
        except ValueError as exc:
            rejected.append({"index": index, "reason": str(exc)})
    outside = _store(events)
    rejected = sorted(rejected + outside, key=lambda r: r["index"])
    return {"accepted": len(events) - len(outside), "rejected": rejected}


def _text(value: Any, name: str, longest: int) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"{name}: give a text or a number.")
    text = str(value).strip()
    if not text or len(text) > longest:
        raise ValueError(f"{name}: give 1 to {longest} characters.")
    return text


def _time(value: Any, name: str = "time") -> datetime:
    problem = f"{name}: give an ISO 8601 date and time, e.g. 2014-06-14T09:38:29Z."
    if not isinstance(value, str):
        raise ValueError(problem)
    try:
        when = datetime.fromisoformat(value.strip())
        return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when
    except (ValueError, OverflowError):
        raise ValueError(problem) from None


def _from_event(item: Any) -> Event:
    if not isinstance(item, dict):
        raise ValueError("An event is a JSON object.")
    kind = item.get("event")
    if kind not in EVENT_TYPES:
        raise ValueError(f"event: unknown type {str(kind)[:40]!r}; one of {', '.join(EVENT_TYPES)}.")
    source = item.get("source")
    if source is not None and source not in SOURCES:
        raise ValueError(f"source: {str(source)[:40]!r} is neither server nor browser.")
    return Event(
        _text(item.get("enrollment_id"), "enrollment_id", MAX_LEARNER),
        _text(item.get("course_id"), "course_id", MAX_COURSE),
        _time(item.get("time")),
        kind,
        source,
    )


def _member(value: Any, *path: str | int) -> Any:
    """value[path[0]][path[1]]... or None where a step is missing or of another kind (xAPI allows an
    object where a list is expected)."""
    for step in path:
        if isinstance(step, int) and isinstance(value, dict):
            continue  # a single activity given as an object instead of a list
        if isinstance(step, int) and isinstance(value, list) and len(value) > step:
            value = value[step]
        elif isinstance(step, str) and isinstance(value, dict):
            value = value.get(step)
        else:
            return None
    return value


def _from_statement(item: Any) -> Event:
    if not isinstance(item, dict):
        raise ValueError("A statement is a JSON object.")
    learner = (
        _member(item, "actor", "account", "name")
        or _member(item, "actor", "mbox")
        or _member(item, "actor", "openid")
    )
    if learner is None:
        raise ValueError("actor: no account.name, mbox or openid.")
    activities = _member(item, "context", "contextActivities")
    course = _member(activities, "parent", 0, "id") or _member(activities, "grouping", 0, "id")
    if course is None:
        raise ValueError("context: no contextActivities parent or grouping id to name the course.")
    verb = _member(item, "verb", "id")
    last = re.split(r"[/#:]", verb.rstrip("/"))[-1].lower() if isinstance(verb, str) else ""
    if last not in VERB_TYPES:
        raise ValueError(f"verb: {str(verb)[:80]!r} is not a verb the map knows.")
    stamp = item.get("timestamp") or item.get("stored")
    return Event(
        _text(learner, "actor", MAX_LEARNER),
        _text(course, "course", MAX_COURSE),
        _time(stamp, "timestamp"),
        VERB_TYPES[last],
        None,
    )


def _store(events: list[tuple[int, Event]]) -> list[dict[str, Any]]:
    """Add the events to the daily counts; return those outside their course's window as rejections."""
    if not events:
        return []
    starts: dict[str, date] = {}
    for _, event in events:
        starts[event.course] = min(starts.get(event.course, event.when.date()), event.when.date())
    outside: list[dict[str, Any]] = []
    counts: dict[tuple[int, str, int], dict[str, Any]] = {}
    with write_transaction():
        courses = Course.ensure(dict(sorted(starts.items())))
        inside: dict[str, list[tuple[Event, int]]] = defaultdict(list)
        for index, event in events:
            course = courses[event.course]
            day = course.day_of(event.when.date())
            if 0 <= day < course.length_days:
                inside[course.code].append((event, day))
            else:
                outside.append({"index": index, "reason": _outside(course, day)})
        for code, found in sorted(inside.items()):
            ids = Enrollment.ensure(courses[code], {event.learner for event, _ in found})
            for event, day in found:
                _count(counts, courses[code].id, ids[event.learner], day, event)
        # Rows in key order: concurrent pushes then lock the same rows in the same order (no deadlock).
        ActivityDay.add_counts([counts[key] for key in sorted(counts)])
    return outside


def _outside(course: Course, day: int) -> str:
    return (
        f"day {day} is outside course {course.code} (days 0..{course.length_days - 1} from"
        f" {course.start_date.isoformat()}): not counted."
    )


def _count(counts: dict, course_id: int, enrollment_id: int, day: int, event: Event) -> None:
    row = counts.setdefault(
        (course_id, enrollment_id, day),
        {
            "course": course_id,
            "enrollment": enrollment_id,
            "day": day,
            **dict.fromkeys(EVENT_TYPES, 0),
            **dict.fromkeys(SOURCES),
        },
    )
    row[event.type] += 1
    if event.source is not None:
        row[event.source] = (row[event.source] or 0) + 1
