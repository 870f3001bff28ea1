"""Activity outside a set course window is kept aside, counted (the push, the import run, Course settings)
and brought in when an administrator's change of the window covers it; what stays outside stays aside.
Pushes of the same statements in any order store the same activity."""

from __future__ import annotations

import random
from datetime import date, timedelta
from urllib.parse import quote

import pytest

from db.courses import ActivityDay, Course
from db.outside import OutsideDay, OutsideEvent
from db.tables import User
from services import api_keys, course_admin
from tests.xapi_statements import (
    batches,
    expected_activity,
    in_order,
    statements,
    stored_activity,
    stored_by_type,
)

PUSH = "/api/v1/activity"
COURSE = "https://lms.example.org/course/view.php?id={}"


@pytest.fixture
def key(app):
    with app.app_context():
        _, secret = api_keys.create("lms", "ingest", may_create_courses=True, may_push_finished=True)
    return {"X-API-Key": secret}


def _push(client, key, items: list[dict], size: int) -> dict[str, int]:
    """Push in batches; the totals of accepted and kept-aside statements (no statement is rejected)."""
    totals = {"accepted": 0, "outside_window": 0}
    for batch in batches(items, size):
        body = client.post(PUSH, json={"statements": batch}, headers=key).json
        assert body["rejected"] == [], body["rejected"][:3]
        for name in totals:
            totals[name] += body[name]
    return totals


@pytest.mark.parametrize(("order", "seed"), [("oldest first", 1), ("newest first", 1), ("shuffled", 1),
                                             ("shuffled", 2)])
def test_pushes_in_any_order_store_the_statements_activity(app, client, key, order, seed):
    code = COURSE.format("ORDER")
    items = statements(code, 300, days=40, seed=seed)
    totals = _push(client, key, in_order(items, order, seed=seed), 30)
    assert totals == {"accepted": 300, "outside_window": 0}
    with app.app_context():
        assert stored_by_type(code) == expected_activity(items)
        rows, events, _ = stored_activity(code)
        course = Course.by_code(code)
    learner_days = {(item["actor"]["account"]["name"], item["timestamp"][:10]) for item in items}
    assert (events, rows) == (300, len(learner_days))
    first = min(item["timestamp"] for item in items)[:10]
    assert (course.start_date.isoformat(), course.window_learned) == (first, True)


def _window(start: date, length: int) -> tuple[str, str]:
    return start.isoformat(), (start + timedelta(days=length - 1)).isoformat()


@pytest.mark.parametrize("seed", [3, 4])
def test_a_window_change_counts_what_it_now_covers_and_keeps_the_rest_aside(
    app, client, key, make_user, bearer, seed
):
    code = COURSE.format(f"SET-{seed}")
    start = date(2025, 3, 15)
    with app.app_context():
        Course.create(code=code, title="set", start_date=start, length_days=5)
    items = statements(code, 120, days=40, seed=seed)
    totals = _push(client, key, in_order(items, "shuffled", seed), 25)
    inside = expected_activity(items, *_window(start, 5))
    assert totals["accepted"] == sum(n for *_, n in inside) and sum(totals.values()) == 120
    with app.app_context():
        assert course_admin.settings_of(code)["outside_window"] == totals["outside_window"] > 0
        assert stored_by_type(code) == inside
    runs = client.get(f"{PUSH}/imports", headers=bearer(make_user("admin"))).json["items"]
    assert sum(run["outside_window"] for run in runs) == totals["outside_window"]

    # Windows that grow in random steps, each covering the last (a window leaving stored activity out is
    # refused): each change counts what it now covers, what stays outside stays aside.
    headers = bearer(make_user("admin"))
    rng, length, aside = random.Random(seed), 5, totals["outside_window"]
    for _ in range(3):
        earlier = rng.randrange(0, 10)
        start, length = start - timedelta(days=earlier), length + earlier + rng.randrange(0, 12)
        body = client.patch(f"/api/v1/courses/{quote(code)}", json={"start_date": start.isoformat(),
                                                             "length_days": length}, headers=headers).json
        covered = expected_activity(items, *_window(start, length))
        assert body["outside_window"] == 120 - sum(n for *_, n in covered)
        assert body["brought_in"] == aside - body["outside_window"]
        aside = body["outside_window"]
        with app.app_context():
            assert stored_by_type(code) == covered
            assert course_admin.settings_of(code)["outside_window"] == aside
    everything = {"start_date": "2025-03-01", "length_days": 60}
    body = client.patch(f"/api/v1/courses/{quote(code)}", json=everything, headers=headers).json
    assert (body["outside_window"], body["brought_in"]) == (0, aside)
    with app.app_context():
        assert stored_by_type(code) == expected_activity(items)


def test_kept_aside_statements_count_once_and_their_ids_are_taken(app, client, key):
    code = COURSE.format("ONCE")
    with app.app_context():
        Course.create(code=code, title="once", start_date=date(2026, 1, 1), length_days=5)
    items = statements(code, 20, days=5)
    assert _push(client, key, items, 20)["outside_window"] == 20
    assert _push(client, key, items, 20)["outside_window"] == 20  # acknowledged again, kept once
    with app.app_context():
        assert OutsideEvent.select().count() == 20
    changed = {**items[0], "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"}}
    body = client.post(PUSH, json={"statements": [changed]}, headers=key).json
    assert "conflicting statement id" in body["rejected"][0]["reason"]


def _daily_file(tmp_path, rows: list[str]):
    path = tmp_path / "daily.csv"
    path.write_text("enrollment_id,time,event_video,event_problem\n" + "\n".join(rows) + "\n")
    return path


def test_a_daily_file_outside_the_window_is_counted_when_the_window_covers_it(app, tmp_path, make_user):
    from services.ingest import import_file

    rows = [f"u{i % 3},2014-05-{20 + i:02d},{i + 1},1" for i in range(10)]  # 2014-05-20 .. 05-29
    with app.app_context():
        report = import_file(_daily_file(tmp_path, rows), course="DAILY", start=date(2014, 5, 25), days=3)
        assert (report.rows_imported, report.outside_window, report.rejected) == (3, 7, 0)
        admin = User.get_by_id(make_user("admin").id)
        moved = course_admin.update_course("DAILY", admin, start_date="2014-05-21", length_days=8)
        assert (moved["brought_in"], moved["outside_window"]) == (5, 2)
        course = Course.by_code("DAILY")
        stored = {str(course.start_date + timedelta(days=row.day)): row.video for row in ActivityDay.select()}
        assert stored == {f"2014-05-{20 + i:02d}": i + 1 for i in range(1, 9)}
        assert sorted(row.date for row in OutsideDay.select()) == [16210, 16219]  # 05-20 and 05-29
        course_admin.delete_course("DAILY", admin)
        assert OutsideDay.select().count() == 0


def test_a_day_row_kept_aside_has_the_count_columns_of_a_stored_day_in_their_order():
    from db.courses import EVENT_TYPES, SOURCES

    counts = [*EVENT_TYPES, *SOURCES]
    for model in (ActivityDay, OutsideDay):
        names = [field.name for field in model._meta.sorted_fields if field.name in counts]
        assert names == counts
        assert [model._meta.fields[name].null for name in counts] == [False] * len(EVENT_TYPES) + [True] * 2
