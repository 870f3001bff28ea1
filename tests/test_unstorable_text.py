"""Text the database cannot store (a lone surrogate such as \\ud800, a NUL character) never makes a
500 and never sinks a whole batch: a request field holding one gets 400 with the error shape, an item
of a push or a line of an imported file is rejected with its index or line and the rest is stored."""

from __future__ import annotations

import json

import pytest

from db.courses import Course, Enrollment
from services import api_keys
from services.ingest.store import import_file
from tests.helpers import api_operations, assert_error

SURROGATE, NUL = "\ud800", "\x00"
PUSH = "/api/v1/activity"
PATH_ARGS = {"id": "1", "task": "dropout"}


def _event(learner="E1", course="C1", when="2024-03-01T10:00:00Z", event="video", **extra) -> dict:
    return {"enrollment_id": learner, "course_id": course, "time": when, "event": event, **extra}


def _key_headers(secret: str) -> dict[str, str]:
    return {"X-API-Key": secret}


@pytest.fixture
def secret(app) -> str:
    """A new ingest key's secret."""
    with app.app_context():
        return api_keys.create("moodle", "ingest", may_create_courses=True, may_push_finished=True)[1]


def _send(client, method, url, body, headers=None):
    """`body` as JSON text with its \\u escapes (a lone surrogate cannot be sent otherwise)."""
    data = json.dumps(body)
    return client.open(url, method=method, data=data, content_type="application/json", headers=headers)


def test_a_lone_surrogate_in_any_json_field_is_400(app, client, make_user, bearer):
    headers = bearer(make_user("admin"))
    checked = 0
    for method, url, op in api_operations(app, PATH_ARGS):
        if op.body is None:
            continue
        for name in op.body.model_fields:
            assert_error(_send(client, method, url, {name: "a" + SURROGATE}, headers), 400)
            assert_error(_send(client, method, url, {name: ["a" + SURROGATE]}, headers) if name not in (
                "events", "statements") else _send(client, method, url, {"x" + SURROGATE: 1}, headers), 400)
            checked += 1
    assert checked >= 10


def test_a_lone_surrogate_in_a_course_tutor_list_is_400(app, client, make_user, bearer):
    headers = bearer(make_user("admin"))
    with app.app_context():
        Course.create(code="C1", title="C1", start_date="2024-03-01", length_days=30)
    response = _send(client, "PUT", "/api/v1/courses/C1/tutors", {"tutors": ["a" + SURROGATE]}, headers)
    assert_error(response, 400)
    assert "surrogate" in response.json["error"]["message"]


@pytest.mark.parametrize("bad", [SURROGATE, NUL])
def test_a_pushed_event_with_unstorable_text_is_rejected_by_index(app, client, secret, bad):
    events = [
        _event(learner="E1"),
        _event(learner="E" + bad),
        _event(course="C" + bad),
        _event(event="video" + bad),
        _event(object="o" + bad),
        _event(learner="E2", when="2024-03-02T10:00:00Z"),
    ]
    response = _send(client, "POST", PUSH, {"events": events}, _key_headers(secret))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json["accepted"] == 2
    reasons = {item["index"]: item["reason"] for item in response.json["rejected"]}
    assert sorted(reasons) == [1, 2, 3, 4]
    assert reasons[1].startswith("learner holds") and reasons[2].startswith("course holds")
    assert all("cannot be stored" in reason for reason in reasons.values())
    with app.app_context():
        assert sorted(Enrollment.select(Enrollment.learner_ref).tuples()) == [("E1",), ("E2",)]


def _statement(learner: str, **overrides) -> dict:
    statement = {
        "actor": {"account": {"name": learner}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
        "object": {"id": "http://example.org/activity/1"},
        "context": {"contextActivities": {"parent": [{"id": "X1"}]}},
        "timestamp": "2024-03-01T10:00:00Z",
    }
    return {**statement, **overrides}


def test_a_pushed_statement_with_a_lone_surrogate_is_rejected_by_index(app, client, secret):
    statements = [_statement("L1"), _statement("L" + SURROGATE), _statement("L2", id="x" + SURROGATE)]
    response = _send(client, "POST", PUSH, {"statements": statements}, _key_headers(secret))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json["accepted"] == 1
    assert [item["index"] for item in response.json["rejected"]] == [1, 2]


@pytest.mark.parametrize("bad", [SURROGATE, NUL])
def test_an_xapi_line_with_unstorable_text_is_rejected_and_the_others_stored(app, tmp_path, bad):
    lines = [_statement("L1"), _statement("L" + bad), _statement("L2", context={
        "contextActivities": {"parent": [{"id": "X" + bad}]}}), _statement("L3")]
    path = tmp_path / "statements.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    with app.app_context():
        report = import_file(path, fmt="xapi")
        assert report.status == "done", report.error
        assert report.rows_imported == 2
        assert [rejection.line for rejection in report.first_rejections] == [2, 3]
        assert sorted(Enrollment.select(Enrollment.learner_ref).tuples()) == [("L1",), ("L3",)]


def test_an_events_csv_row_with_a_nul_is_rejected_with_its_line_and_the_others_stored(app, tmp_path):
    rows = [
        "enrollment_id,time,event,course_id",
        "E1,2024-03-01T10:00:00Z,video,C1",
        "E\x002,2024-03-01T10:00:00Z,video,C1",
        "E3,2024-03-01T10:00:00Z,video,C\x001",
        "E4,2024-03-01T10:00:00Z,video,C1",
    ]
    path = tmp_path / "events.csv"
    path.write_text("\n".join(rows) + "\n")
    with app.app_context():
        report = import_file(path, fmt="events")
        assert report.status == "done", report.error
        assert report.rows_imported == 2
        assert [rejection.line for rejection in report.first_rejections] == [3, 4]
        assert "cannot be stored" in report.first_rejections[0].reason
        assert sorted(Enrollment.select(Enrollment.learner_ref).tuples()) == [("E1",), ("E4",)]


def test_a_daily_csv_row_with_a_nul_is_rejected_with_its_line_and_the_others_stored(app, tmp_path):
    rows = [
        "enrollment_id,time,event_video,course_id",
        "E1,2024-03-01,1,C1",
        "E\x002,2024-03-01,1,C1",
        "E3,2024-03-01,1,C\x001",
        "E4,2024-03-01,2,C1",
    ]
    path = tmp_path / "daily.csv"
    path.write_text("\n".join(rows) + "\n")
    with app.app_context():
        report = import_file(path, fmt="daily")
        assert report.status == "done", report.error
        assert [rejection.line for rejection in report.first_rejections] == [3, 4]
        assert sorted(Enrollment.select(Enrollment.learner_ref).tuples()) == [("E1",), ("E4",)]
