"""Activity and outcomes files uploaded through the API: the import runs as a job whose result
lists the rejected lines with their numbers, the good rows reach the store, every format goes through,
bad options and uploads are refused, and only administrators may import or read the import runs."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

import peewee
import pytest

from db.courses import ActivityDay, Course, Enrollment
from db.tables import utcnow
from services import api_keys
from tests.helpers import assert_error, wait_for_job

IMPORT = "/api/v1/activity/import"
OUTCOMES = "/api/v1/activity/outcomes"
RUNS = "/api/v1/activity/imports"

DAILY = (
    "enrollment_id,time,event_video,event_problem,course_id\n"
    "a1,2024-03-01,3,1,UP1\n"  # 2
    "a2,2024-03-02,2,0,UP1\n"  # 3
    "a3,2024-03-40,1,1,UP1\n"  # 4 bad date
    "a1,2024-03-03,4,2,UP1\n"  # 5
    ",2024-03-03,1,1,UP1\n"  # 6 no learner
    "a2,2024-03-04,-2,0,UP1\n"  # 7 negative count
    "a3,2024-03-05,1,5,UP1\n"  # 8
)


def _totals(app, course: str) -> dict[str, tuple[int, int]]:
    """Per learner of `course`: (video, problem) summed over the stored days."""
    with app.app_context():
        rows = (
            ActivityDay.select(
                Enrollment.learner_ref, peewee.fn.SUM(ActivityDay.video), peewee.fn.SUM(ActivityDay.problem)
            )
            .join(Enrollment, on=ActivityDay.enrollment == Enrollment.id)
            .join(Course, on=ActivityDay.course == Course.id)
            .where(Course.code == course)
            .group_by(Enrollment.learner_ref)
            .tuples()
        )
        return {learner: (int(video), int(problem)) for learner, video, problem in rows}


def _upload(client, headers, content: bytes, name: str, path: str = IMPORT, **fields):
    data = {"file": (io.BytesIO(content), name), **fields}
    return client.post(path, data=data, headers=headers, content_type="multipart/form-data")


def _finished(client, headers, response) -> dict:
    assert response.status_code == 202, response.get_data(as_text=True)[:300]
    job = response.json
    assert job["kind"] == "activity_import" and job["status"] in ("queued", "running", "succeeded")
    done = wait_for_job(client, headers, job["id"])
    assert done["status"] == "succeeded", done
    return done["result"]


@pytest.fixture
def admin_headers(make_user, bearer):
    return bearer(make_user("admin"))


def test_daily_csv_upload_stores_the_good_rows_and_reports_the_bad_lines(app, client, admin_headers):
    response = _upload(client, admin_headers, DAILY.encode(), "march.csv", start="2024-03-01", days="20")
    report = _finished(client, admin_headers, response)
    assert report["format"] == "daily" and report["status"] == "done" and report["file_name"] == "march.csv"
    assert report["lines_read"] == 7 and report["rows_imported"] == 4 and report["rejected"] == 3
    lines = {item["line"]: item["reason"] for item in report["first_rejections"]}
    assert sorted(lines) == [4, 6, 7]
    assert "2024-03-40" in lines[4] and lines[6].startswith("missing learner")
    assert lines[7].startswith("negative count")
    assert sum(report["reasons"].values()) == 3 and report["enrollments"] == 3
    assert report["courses"] == ["UP1"]
    assert _totals(app, "UP1") == {"a1": (7, 3), "a2": (2, 0), "a3": (1, 5)}
    with app.app_context():
        course = Course.by_code("UP1")
        assert (course.start_date, course.length_days) == (date(2024, 3, 1), 20)

    runs = client.get(RUNS, headers=admin_headers).json
    assert runs["meta"]["total"] == 1
    (run,) = runs["items"]
    assert run["id"] == report["run_id"] and run["file_name"] == "march.csv" and run["status"] == "done"
    assert run["rejected"] == 3 and "rejections" not in run and run["user"]
    detail = client.get(f"{RUNS}/{run['id']}", headers=admin_headers).json
    assert [item["line"] for item in detail["rejections"]] == [4, 6, 7]
    assert detail["reasons"] == report["reasons"]
    assert_error(client.get(f"{RUNS}/{run['id'] + 1000}", headers=admin_headers), 404)


def test_an_upload_rebased_onto_a_running_course_lands_in_its_window(app, client, admin_headers):
    with app.app_context():
        Course.create(code="UP1", title="now", start_date=utcnow().date() - timedelta(days=3), length_days=30)
    response = _upload(client, admin_headers, DAILY.encode(), "march.csv", rebase="true")
    report = _finished(client, admin_headers, response)
    assert (report["status"], report["rows_imported"]) == ("done", 4)
    assert _totals(app, "UP1") == {"a1": (7, 3), "a2": (2, 0), "a3": (1, 5)}


def test_a_raw_text_csv_body_with_query_options(app, client, admin_headers):
    body = "enrollment_id,time,video\nr1,2024-05-02,2\nr1,2024-05-03,5\n"
    response = client.post(
        f"{IMPORT}?course=RAW1&start=2024-05-01&filename=raw.csv",
        data=body,
        headers={**admin_headers, "Content-Type": "text/csv"},
    )
    report = _finished(client, admin_headers, response)
    assert (report["rows_imported"], report["rejected"], report["file_name"]) == (2, 0, "raw.csv")
    assert _totals(app, "RAW1") == {"r1": (7, 0)}
    with app.app_context():
        assert Course.by_code("RAW1").start_date == date(2024, 5, 1)


def test_events_csv_upload(app, client, admin_headers):
    text = (
        "enrollment_id,time,source,event,object,course_id\n"
        "e1,2024-04-01T09:00:00,server,video,o1,EV1\n"
        "e1,2024-04-01T09:05:00,browser,problem,o2,EV1\n"
        "e2,2024-04-02T10:00:00,server,dance,o3,EV1\n"  # 4 unknown type
        "e2,2024-04-03T10:00:00,server,video,o3,EV1\n"
    )
    report = _finished(client, admin_headers, _upload(client, admin_headers, text.encode(), "log.csv"))
    assert report["format"] == "events" and report["rows_imported"] == 3
    assert [item["line"] for item in report["first_rejections"]] == [4]
    assert _totals(app, "EV1") == {"e1": (1, 1), "e2": (1, 0)}


def _statement(learner: str, verb: str, when: str) -> dict:
    return {
        "actor": {"account": {"name": learner}},
        "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}"},
        "object": {"id": "http://example.org/activity/1"},
        "context": {"contextActivities": {"parent": [{"id": "XA1"}]}},
        "timestamp": when,
    }


def test_xapi_json_lines_as_a_raw_body(app, client, admin_headers):
    statements = [
        _statement("x1", "played", "2024-02-01T10:00:00Z"),
        _statement("x1", "answered", "2024-02-02T10:00:00Z"),
        {"actor": {"account": {"name": "x2"}}, "verb": {"id": "http://x/verbs/played"}},  # 4 no time
        _statement("x2", "watched", "2024-02-02T11:00:00Z"),
    ]
    body = "".join(json.dumps(item) + "\n" for item in statements) + "{not json\n"  # 5 unreadable
    response = client.post(
        f"{IMPORT}?format=xapi&filename=statements.jsonl",
        data=body,
        headers={**admin_headers, "Content-Type": "application/x-ndjson"},
    )
    report = _finished(client, admin_headers, response)
    assert report["format"] == "xapi" and report["rows_imported"] == 3
    assert [item["line"] for item in report["first_rejections"]] == [3, 5]
    assert _totals(app, "XA1") == {"x1": (1, 1), "x2": (1, 0)}


def test_edx_tracking_log_upload_is_detected(app, client, admin_headers):
    def event(kind: str, username: str = "learner", **extra) -> dict:
        return {
            "username": username,
            "event_type": kind,
            "event_source": "browser",
            "time": "2014-10-22T19:12:05.356402+00:00",
            "context": {"course_id": "course-v1:X+Y+2014"},
            **extra,
        }

    events = [event("play_video"), event("problem_check", event_source="server"), event("seq_next", "")]
    log = "".join(json.dumps(item) + "\n" for item in events).encode()
    report = _finished(client, admin_headers, _upload(client, admin_headers, log, "tracking.log"))
    assert report["format"] == "edx" and report["rows_imported"] == 2
    assert [item["line"] for item in report["first_rejections"]] == [3]
    assert _totals(app, "course-v1:X+Y+2014") == {"learner": (1, 1)}


def test_an_unreadable_file_ends_as_a_failed_run_and_a_failed_job_that_say_why(client, admin_headers):
    response = _upload(client, admin_headers, b"name,age\nbob,3\n", "people.csv")
    job = wait_for_job(client, admin_headers, response.json["id"])
    report = job["result"]
    assert job["status"] == "failed" and "cannot tell the format" in job["error"]
    assert report["status"] == "failed" and "cannot tell the format" in report["error"]
    run = client.get(f"{RUNS}/{report['run_id']}", headers=admin_headers).json
    assert run["status"] == "failed" and run["error"] == report["error"]


def test_outcomes_upload_sets_known_enrollments_and_reports_the_rest(app, client, admin_headers):
    _finished(client, admin_headers, _upload(client, admin_headers, DAILY.encode(), "march.csv"))
    text = "enrollment_id,label\na1,1\na2,0\nzz,1\na3,maybe\n"
    response = _upload(client, admin_headers, text.encode(), "outcomes.csv", path=OUTCOMES, course="UP1")
    assert response.status_code == 200, response.json
    report = response.json
    assert (report["lines_read"], report["updated"], report["rejected"]) == (4, 2, 2)
    lines = {item["line"]: item["reason"] for item in report["first_rejections"]}
    assert sorted(lines) == [4, 5] and "unknown enrollment" in lines[4] and "invalid label" in lines[5]
    with app.app_context():
        outcomes = {row.learner_ref: row.dropped_out for row in Enrollment.select()}
    assert outcomes == {"a1": True, "a2": False, "a3": None}
    raw = client.post(
        f"{OUTCOMES}?course=UP1",
        data="enrollment_id,label\na3,0\n",
        headers={**admin_headers, "Content-Type": "text/csv"},
    )
    assert raw.status_code == 200 and raw.json["updated"] == 1
    not_outcomes = _upload(client, admin_headers, DAILY.encode(), "march.csv", path=OUTCOMES)
    assert "enrollment_id and label" in assert_error(not_outcomes, 422)["message"]


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"format": "csv"}, "format"),
        ({"start": "2024-02-30"}, "start"),
        ({"start": "01/03/2024"}, "start"),
        ({"days": "0"}, "days"),
        ({"days": "99999"}, "days"),
        ({"days": "ten"}, "days"),
        ({"days": "2.5"}, "days"),
        ({"course": "x" * 256}, "course"),
        ({"rebase": "maybe"}, "rebase"),
    ],
)
def test_bad_options_are_422_with_the_field(app, client, admin_headers, fields, bad):
    error = assert_error(_upload(client, admin_headers, DAILY.encode(), "d.csv", **fields), 422)
    assert set(error["fields"]) == {bad}
    query = "&".join(f"{name}={value}" for name, value in fields.items())
    raw = client.post(f"{IMPORT}?{query}", data=DAILY, headers={**admin_headers, "Content-Type": "text/csv"})
    assert set(assert_error(raw, 422)["fields"]) == {bad}
    with app.app_context():
        assert Course.select().count() == 0


def test_bad_uploads_are_refused(app, client, admin_headers):
    assert set(assert_error(_upload(client, admin_headers, b"", "empty.csv"), 422)["fields"]) == {"file"}
    empty = client.post(IMPORT, data=b"", headers={**admin_headers, "Content-Type": "text/csv"})
    assert_error(empty, 422)
    no_file = client.post(
        IMPORT, data={"format": "daily"}, headers=admin_headers, content_type="multipart/form-data"
    )
    assert set(assert_error(no_file, 422)["fields"]) == {"file"}
    png = client.post(IMPORT, data="<x/>", headers={**admin_headers, "Content-Type": "image/png"})
    assert_error(png, 415)
    limit = app.config["MAX_UPLOAD_BYTES"]
    app.config["MAX_UPLOAD_BYTES"] = 1000
    try:
        assert_error(_upload(client, admin_headers, DAILY.encode() * 40, "big.csv"), 413)
    finally:
        app.config["MAX_UPLOAD_BYTES"] = limit
    assert client.get(RUNS, headers=admin_headers).json["meta"]["total"] == 0


def test_students_anonymous_callers_and_ingest_keys_cannot_import(app, client, make_user, bearer):
    student = bearer(make_user("student"))
    with app.app_context():
        _row, secret = api_keys.create("moodle", "ingest")
    key = {"X-API-Key": secret}
    fresh = app.test_client()  # no cookie of the student's sign-in
    for path in (IMPORT, OUTCOMES):
        assert_error(_upload(client, student, DAILY.encode(), "d.csv", path=path), 403)
        assert_error(_upload(fresh, {}, DAILY.encode(), "d.csv", path=path), 401)
        assert_error(_upload(fresh, key, DAILY.encode(), "d.csv", path=path), 401, "api_key_not_accepted")
    assert_error(client.get(RUNS, headers=student), 403)
    assert_error(fresh.get(RUNS), 401)
    assert_error(fresh.get(f"{RUNS}/1", headers=key), 401, "api_key_not_accepted")
    with app.app_context():
        assert Course.select().count() == 0
