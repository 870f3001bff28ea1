"""Caliper into the store (SQLite or PostgreSQL, whichever the tests run on): files imported from the
command line and the Data page's upload with the format detected, and the Caliper endpoint platforms send
envelopes to (an ingest key as a bearer token), checked as a whole, counted per event, never a 500."""

from __future__ import annotations

import io
import json

import pytest

from db.courses import ActivityDay, Course, Enrollment
from services import api_keys
from tests import caliper_data as data
from tests.helpers import assert_error, wait_for_job

ENDPOINT = "/api/v1/caliper"
KEPT = {data.CANVAS_COURSE: {"access": 1, "problem": 1, "discussion": 1, "wiki": 1},
        data.EDX_COURSE: {"video": 3, "problem": 1, "navigate": 1}}


def _stored(app) -> dict[str, dict[str, int]]:
    """Per course code, the stored counts of each event type (types with none left out)."""
    kinds = ("navigate", "access", "problem", "video", "discussion", "wiki", "page_close")
    with app.app_context():
        query = (ActivityDay.select(Course.code, *(getattr(ActivityDay, kind) for kind in kinds))
                 .join(Course, on=ActivityDay.course == Course.id).tuples())
        found: dict[str, dict[str, int]] = {}
        for code, *values in query:
            for kind, value in zip(kinds, values, strict=True):
                if value:
                    found.setdefault(code, {}).setdefault(kind, 0)
                    found[code][kind] += value
        return found


def _learners(app) -> set[str]:
    with app.app_context():
        return {row.learner_ref for row in Enrollment.select(Enrollment.learner_ref)}


@pytest.fixture
def key(app) -> str:
    with app.app_context():
        return api_keys.create("sensor", "ingest", may_create_courses=True, may_push_finished=True)[1]


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_a_file_of_every_platform_is_imported_from_the_command_line(app, tmp_path):
    path = tmp_path / "caliper.jsonl"
    path.write_text("".join(json.dumps(envelope) + "\n" for envelope in data.CANVAS + data.EDX))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-activity", str(path)])
    assert result.exit_code == 0, result.output
    assert _stored(app) == KEPT
    assert _learners(app) == {data.CANVAS_LEARNER, data.EDX_LEARNER}
    with app.app_context():
        from db.ingest import ImportRun

        run = ImportRun.select().order_by(ImportRun.id.desc()).get()
        assert run.format == "caliper" and run.status == "done"
        assert (run.lines_read, run.rejected, run.reasons) == (14, 5, {"not learner activity": 5})
    again = runner.invoke(args=["import-activity", str(path), "--format", "caliper"])
    assert again.exit_code == 0 and _stored(app) == KEPT  # the events' ids: nothing counted twice


def test_a_file_of_nothing_a_learner_did_fails_and_creates_no_course(app, tmp_path):
    from services.ingest import import_file

    path = tmp_path / "staff.json"
    path.write_text(json.dumps(data.CANVAS[4:8], indent=2))
    with app.app_context():
        report = import_file(path)
        assert report.status == "failed" and report.rows_imported == 0 and report.format == "caliper"
        assert report.reasons == {"not learner activity": 4} and report.error
        assert Course.select().count() == 0


def test_an_upload_on_the_data_page_is_detected_as_caliper(app, client, make_user, bearer):
    admin = bearer(make_user("admin"))
    pretty = "\n".join(json.dumps(envelope, indent=2) for envelope in data.EDX)  # as Canvas documents them
    response = client.post("/api/v1/activity/import", headers=admin, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(pretty.encode()), "edx-caliper.json")})
    assert response.status_code == 202, response.json
    job = wait_for_job(client, admin, response.json["id"])
    assert job["status"] == "succeeded", job
    report = job["result"]
    assert report["format"] == "caliper" and report["rows_imported"] == 5 and report["rejected"] == 1
    assert report["first_rejections"] == [{"line": 6, "reason": "event 6: not learner activity: "
                                           "'event.activated'"}]
    assert _stored(app) == {data.EDX_COURSE: KEPT[data.EDX_COURSE]}


def test_the_endpoint_stores_envelopes_and_reports_each_event_not_counted(app, client, key):
    one = client.post(ENDPOINT, json=data.CANVAS[0], headers=_bearer(key))
    assert one.status_code == 200, one.json
    assert one.json == {"accepted": 1, "new": 1, "outside_window": 0, "rejected": []}
    batch = client.post(ENDPOINT, json=data.CANVAS + data.EDX, headers={"X-API-Key": key})
    assert batch.status_code == 200, batch.json
    assert batch.json["accepted"] == 9 and batch.json["new"] == 8  # the first event was stored before
    assert [item["index"] for item in batch.json["rejected"]] == [4, 5, 6, 7, 13]
    assert batch.json["rejected"][0]["reason"] == "not learner activity: 'sessionevent.loggedin'"
    assert _stored(app) == KEPT
    again = client.post(ENDPOINT, json=data.EDX, headers=_bearer(key))
    assert again.json["new"] == 0 and _stored(app) == KEPT


def test_a_bad_event_is_reported_and_the_rest_of_the_envelope_is_stored(app, client, key):
    good = data.EDX[1]["data"][0]
    envelope = {**data.EDX[1], "data": [{**good, "action": "Juggled"}, good, {**good, "actor": None}]}
    response = client.post(ENDPOINT, json=envelope, headers=_bearer(key))
    assert response.status_code == 200
    assert response.json["rejected"] == [
        {"index": 0, "reason": "unknown event type 'mediaevent.juggled'"},
        {"index": 2, "reason": "missing learner (actor.id)"},
    ]
    assert _stored(app) == {data.EDX_COURSE: {"video": 1}}


ENVELOPE = data.EDX[1]
MALFORMED = [
    ("not an envelope", {"hello": "world"}, ("envelope.sensor", "envelope.data")),
    ("a bare event", ENVELOPE["data"][0], ("envelope.sensor", "envelope.dataVersion")),
    ("no data", {**ENVELOPE, "data": []}, ("envelope.data",)),
    ("data not a list", {**ENVELOPE, "data": "events"}, ("envelope.data",)),
    ("bad send time", {**ENVELOPE, "sendTime": "now"}, ("envelope.sendTime",)),
    ("not caliper", {**ENVELOPE, "dataVersion": "http://example.org/v2"}, ("envelope.dataVersion",)),
    ("one bad of two", [ENVELOPE, {**ENVELOPE, "sensor": ""}], ("envelopes[1].sensor",)),
    ("a string", "envelope", ("envelope",)),
    ("a number", 42, ("envelope",)),
    ("null", None, ("envelope",)),
    ("an empty list", [], ("body",)),
    ("a list of strings", ["a", "b"], ("envelopes[0]", "envelopes[1]")),
    ("too many events", {**ENVELOPE, "data": [ENVELOPE["data"][0]] * 5001}, ("data",)),
]


@pytest.mark.parametrize(("case", "body", "fields"), MALFORMED, ids=[case for case, _, _ in MALFORMED])
def test_a_malformed_envelope_is_a_400_naming_its_problems_and_stores_nothing(app, client, key, case, body,
                                                                              fields):
    response = client.post(ENDPOINT, data=json.dumps(body), content_type="application/json",
                           headers=_bearer(key))
    error = assert_error(response, 400, "invalid_envelope")
    assert set(fields) <= set(error["fields"]), error
    assert _stored(app) == {}


def test_the_endpoint_wants_json_and_a_live_ingest_key_however_it_is_sent(app, client, key, make_user,
                                                                          bearer, login):
    assert_error(client.post(ENDPOINT, data="x", content_type="text/plain", headers=_bearer(key)), 415)
    assert_error(client.post(ENDPOINT, data="{", content_type="application/json", headers=_bearer(key)), 400)
    assert_error(client.post(ENDPOINT, json=ENVELOPE), 401)
    assert_error(client.post(ENDPOINT, json=ENVELOPE, headers=_bearer(key + "x")), 401)
    assert_error(client.post(f"{ENDPOINT}?key={key}x", json=ENVELOPE), 401)
    # a sign-in token is not a sensor's key, not even an administrator's (an admin uploads files)
    assert_error(client.post(ENDPOINT, json=ENVELOPE, headers=bearer(make_user("admin"))), 401)
    login(make_user("admin"))  # cookies set, no CSRF header below: the endpoint reads no cookie
    assert client.post(f"{ENDPOINT}?key={key}", json=ENVELOPE).status_code == 200  # Canvas's webhook
    assert client.post(ENDPOINT, json=ENVELOPE, headers={"X-API-Key": key}).status_code == 200
    with app.app_context():
        api_keys.revoke("sensor")
    assert_error(client.post(ENDPOINT, json=ENVELOPE, headers=_bearer(key)), 401)
    assert _stored(app) == {data.EDX_COURSE: {"video": 1}}


def test_the_key_course_limits_apply_per_event(app, client):
    with app.app_context():
        secret = api_keys.create("canvas-only", "ingest", courses="urn:instructure:canvas:course:*",
                                 may_create_courses=True, may_push_finished=True)[1]
    response = client.post(ENDPOINT, json=data.CANVAS[:1] + data.EDX[1:2], headers=_bearer(secret))
    assert response.status_code == 200 and response.json["accepted"] == 1
    assert "may not push into course" in response.json["rejected"][0]["reason"]
    assert set(_stored(app)) == {data.CANVAS_COURSE}
