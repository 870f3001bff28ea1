"""xAPI statements as a platform sends them (Moodle's shape: account actors, the course typed in the
parents), made up for tests and benchmarks, and the stored activity of a course as comparable data."""

from __future__ import annotations

import hashlib
import random
import uuid
from datetime import datetime, timedelta

COURSE_TYPE = "https://w3id.org/xapi/cmi5/activitytype/course"
# Verbs that each map to one event type: (verb, the object type it comes with, the type given).
ADL, TINCAN = "http://adlnet.gov/expapi/", "http://id.tincanapi.com/"
VERBS = (
    (f"{TINCAN}verb/viewed", "http://activitystrea.ms/schema/1.0/page", "access"),
    (f"{ADL}verbs/answered", f"{ADL}activities/cmi.interaction", "problem"),
    ("https://w3id.org/xapi/video/verbs/played", "https://w3id.org/xapi/video/activity-type/video", "video"),
    (f"{ADL}verbs/commented", f"{TINCAN}activitytype/discussion", "discussion"),
    (f"{TINCAN}verb/replied", f"{TINCAN}activitytype/forum-reply", "discussion"),
)
FIRST = datetime(2025, 3, 1, 8, 0)


def statements(course: str, count: int, *, days: int = 40, learners: int = 50, seed: int = 7) -> list[dict]:
    """`count` statements of `learners` learners over `days` days of `course`, each with its own id."""
    rng = random.Random(seed)
    made = []
    for i in range(count):
        verb, kind, _ = VERBS[rng.randrange(len(VERBS))]
        when = FIRST + timedelta(days=rng.randrange(days), seconds=rng.randrange(36_000))
        made.append({
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "actor": {"objectType": "Agent", "account": {"homePage": "https://lms.example.org",
                                                         "name": f"learner-{rng.randrange(learners)}"}},
            "verb": {"id": verb},
            "object": {"id": f"https://lms.example.org/mod/{i % 37}", "objectType": "Activity",
                       "definition": {"type": kind}},
            "timestamp": when.isoformat() + "Z",
            "context": {"contextActivities": {"parent": [
                {"id": course, "objectType": "Activity", "definition": {"type": COURSE_TYPE}}]}},
        })
    return made


def expected_activity(items: list[dict], first: str = "0000", last: str = "9999") -> set[tuple]:
    """(learner, date, type, count) of the statements dated `first`..`last` (ISO dates), as
    `stored_by_type` gives a course's stored days."""
    given = {verb: event_type for verb, _, event_type in VERBS}
    counted: dict[tuple, int] = {}
    for item in items:
        when = item["timestamp"][:10]
        if first <= when <= last:
            key = (item["actor"]["account"]["name"], when, given[item["verb"]["id"]])
            counted[key] = counted.get(key, 0) + 1
    return {(*key, n) for key, n in counted.items()}


def stored_by_type(code: str) -> set[tuple]:
    """(learner, date, type, count) of every type counted on each stored day of the course."""
    from db.courses import EVENT_TYPES, ActivityDay, Course, Enrollment

    course = Course.by_code(code)
    query = (ActivityDay.select(ActivityDay, Enrollment.learner_ref)
             .join(Enrollment, on=(ActivityDay.enrollment == Enrollment.id))
             .where(ActivityDay.course == course.id))
    return {(row.enrollment.learner_ref, str(course.start_date + timedelta(days=row.day)), name,
             getattr(row, name)) for row in query for name in EVENT_TYPES if getattr(row, name)}


def in_order(items: list[dict], order: str, seed: int = 11) -> list[dict]:
    """The statements oldest-first, newest-first or shuffled."""
    if order == "shuffled":
        shuffled = list(items)
        random.Random(seed).shuffle(shuffled)
        return shuffled
    return sorted(items, key=lambda item: item["timestamp"], reverse=order == "newest first")


def batches(items: list[dict], size: int) -> list[list[dict]]:
    """The statements in consecutive batches of `size`."""
    return [items[start : start + size] for start in range(0, len(items), size)]


def stored_activity(code: str) -> tuple[int, int, str]:
    """(rows, events, checksum) of the course's stored days: each learner's seven counts on each
    calendar date, so two courses whose windows start on other days compare equal."""
    from db.courses import EVENT_TYPES, ActivityDay, Course, Enrollment

    course = Course.by_code(code)
    counts = [getattr(ActivityDay, name) for name in EVENT_TYPES]
    query = (ActivityDay.select(Enrollment.learner_ref, ActivityDay.day, *counts)
             .join(Enrollment, on=(ActivityDay.enrollment == Enrollment.id))
             .where(ActivityDay.course == course.id).tuples())
    rows = sorted((ref, str(course.start_date + timedelta(days=day)), *values) for ref, day, *values in query)
    digest = hashlib.sha256(repr(rows).encode()).hexdigest()[:16]
    return len(rows), sum(sum(row[2:]) for row in rows), digest
