"""A course made by a push or an import without a start date learns its window from the activity:
pushes in any order store the same activity, earlier events move the start back and later ones the
end on, and nothing acknowledged is dropped. A window that was set stays where it is."""

from __future__ import annotations

import random
import threading
from datetime import date, datetime, timedelta

import pytest

from db.courses import ActivityDay, Course, Enrollment
from services import api_keys

PUSH = "/api/v1/activity"
FIRST = datetime(2025, 3, 1, 9, 0)


def _events(code: str, count: int = 400, days: int = 45, seed: int = 3) -> list[dict]:
    rng = random.Random(seed)
    kinds = ("video", "problem", "access", "discussion", "wiki", "navigate", "page_close")
    return [
        {
            "enrollment_id": f"L{rng.randrange(25)}",
            "course_id": code,
            "time": (FIRST + timedelta(days=rng.randrange(days), seconds=i)).isoformat() + "Z",
            "event": rng.choice(kinds),
        }
        for i in range(count)
    ]


@pytest.fixture
def key(app):
    with app.app_context():
        _, secret = api_keys.create("lms", "ingest", may_create_courses=True, may_push_finished=True)
    return {"X-API-Key": secret}


def _stored(app, code: str) -> set[tuple]:
    """(learner, calendar date, the seven counts) of every stored day of the course."""
    with app.app_context():
        course = Course.by_code(code)
        rows = ActivityDay.select(ActivityDay, Enrollment.learner_ref).join(
            Enrollment, on=(ActivityDay.enrollment == Enrollment.id)
        ).where(ActivityDay.course == course.id)
        return {
            (row.enrollment.learner_ref, course.start_date + timedelta(days=row.day), row.video, row.problem,
             row.access, row.discussion, row.wiki, row.navigate, row.page_close)
            for row in rows
        }


def _push_in_batches(client, key, events: list[dict], size: int = 40) -> int:
    accepted = 0
    for start in range(0, len(events), size):
        body = client.post(PUSH, json={"events": events[start : start + size]}, headers=key).json
        assert body["rejected"] == [], body["rejected"][:3]
        accepted += body["accepted"]
    return accepted


def test_any_order_of_the_same_batches_stores_the_same_activity(app, client, key):
    stored = {}
    for order in ("oldest first", "newest first", "shuffled"):
        code = f"ORDER-{len(stored)}"
        events = sorted(_events(code), key=lambda event: event["time"], reverse=order == "newest first")
        if order == "shuffled":
            random.Random(9).shuffle(events)
        assert _push_in_batches(client, key, events) == 400
        stored[order] = _stored(app, code)
        with app.app_context():
            course = Course.by_code(code)
        first = min(event["time"] for event in events)[:10]
        last = max(event["time"] for event in events)[:10]
        assert course.start_date == date.fromisoformat(first), order
        assert course.start_date + timedelta(days=course.length_days - 1) >= date.fromisoformat(last)
        assert course.window_learned
    assert stored["oldest first"] == stored["newest first"] == stored["shuffled"]
    assert sum(sum(row[2:]) for row in stored["shuffled"]) == 400


def test_concurrent_pushes_in_any_order_lose_nothing(app, key):
    events = _events("RACE-W", count=600, days=60, seed=5)
    random.Random(1).shuffle(events)
    app.test_client().get("/api/v1/health")  # Dash sets itself up on a process's first request
    errors: list = []

    def push(part: list[dict]) -> None:
        client = app.test_client()
        for start in range(0, len(part), 30):
            body = client.post(PUSH, json={"events": part[start : start + 30]}, headers=key)
            if body.status_code != 200 or body.json["rejected"]:
                errors.append(body.get_json())

    threads = [threading.Thread(target=push, args=(events[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert sum(sum(row[2:]) for row in _stored(app, "RACE-W")) == 600


def test_a_set_window_stays_and_keeps_aside_what_falls_outside(app, client, key):
    with app.app_context():
        Course.create(code="SET-1", title="set", start_date=date(2025, 3, 10), length_days=5)
    events = _events("SET-1", count=50, days=30)
    body = client.post(PUSH, json={"events": events}, headers=key).json
    window = (date(2025, 3, 10), date(2025, 3, 15))
    inside = [e for e in events if window[0] <= date.fromisoformat(e["time"][:10]) < window[1]]
    assert (body["accepted"], body["outside_window"], body["rejected"]) == (len(inside), 50 - len(inside), [])
    with app.app_context():
        course = Course.by_code("SET-1")
    assert (course.start_date, course.length_days, course.window_learned) == (date(2025, 3, 10), 5, False)


def test_an_administrator_setting_the_window_stops_it_moving(app, client, key, make_user, bearer):
    early, late = _events("FIX-1", count=40, days=10), _events("FIX-1", count=40, days=10, seed=4)
    late = [{**event, "time": "2025-06-01T10:00:00Z"} for event in late[:3]]
    _push_in_batches(client, key, early)
    with app.app_context():
        start = Course.by_code("FIX-1").start_date
    headers = bearer(make_user("admin"))
    assert client.patch("/api/v1/courses/FIX-1", json={"title": "Fixed"}, headers=headers).status_code == 200
    body = client.post(PUSH, json={"events": late}, headers=key).json
    assert (body["accepted"], body["outside_window"], body["rejected"]) == (0, 3, [])
    with app.app_context():
        course = Course.by_code("FIX-1")
    assert course.start_date == start and not course.window_learned
