"""The LRS statements resource (xAPI 1.0.3 and 2.0): what Moodle's logstore_xapi and Open edX's
event-routing-backends send is stored as a push is; statements checked as an LRS checks what it receives.
The statements below are written for these tests in each platform's documented shape."""

from __future__ import annotations

import base64
import copy

import pytest

from db.courses import ActivityDay, Course
from services import api_keys
from tests.helpers import assert_error

STATEMENTS = "/api/v1/xapi/statements"
VERSION = {"X-Experience-API-Version": "1.0.3"}
MOODLE_COURSE = "https://moodle.example.org/course/view.php?id=7"
EDX_COURSE = "https://courses.example.org/course/course-v1:ExampleX+LRS101+2024_T1"
MOODLE_ID = "0b8e4a7c-2f5d-4c1e-9a6b-3d2f1e0c9b8a"

# Moodle logstore_xapi: account actor, a tincan verb, the module as object, the section and the course
# (typed cmi5 course) as parents, the site as category.
MOODLE = {
    "id": MOODLE_ID,
    "actor": {"objectType": "Agent", "name": "Ada Learner",
              "account": {"homePage": "https://moodle.example.org", "name": "42"}},
    "verb": {"id": "http://id.tincanapi.com/verb/viewed", "display": {"en": "Viewed"}},
    "object": {"id": "https://moodle.example.org/mod/page/view.php?id=3", "objectType": "Activity",
               "definition": {"type": "http://activitystrea.ms/schema/1.0/page", "name": {"en": "Week 1"}}},
    "timestamp": "2024-03-04T09:15:00+00:00",
    "context": {
        "platform": "Moodle", "language": "en",
        "contextActivities": {
            "parent": [
                {"id": "https://moodle.example.org/course/section.php?id=11", "objectType": "Activity",
                 "definition": {"type": "http://id.tincanapi.com/activitytype/section"}},
                {"id": MOODLE_COURSE, "objectType": "Activity",
                 "definition": {"type": "https://w3id.org/xapi/cmi5/activitytype/course"}},
            ],
            "category": [{"id": "https://moodle.example.org", "objectType": "Activity",
                          "definition": {"type": "http://id.tincanapi.com/activitytype/lms"}}],
        },
    },
}

# Open edX event-routing-backends: a video played, the course as an ADL course in parent, no id (the
# LRS gives one).
EDX = {
    "actor": {"objectType": "Agent", "account": {"homePage": "https://courses.example.org",
                                                  "name": "5d1b3c0a-anonymous-user-id"}},
    "verb": {"id": "https://w3id.org/xapi/video/verbs/played", "display": {"en": "played"}},
    "object": {"id": "https://courses.example.org/xblock/block-v1:ExampleX+LRS101+2024_T1+type@video",
               "objectType": "Activity",
               "definition": {"type": "https://w3id.org/xapi/video/activity-type/video"}},
    "result": {"extensions": {"https://w3id.org/xapi/video/extensions/time": 12.5}},
    "timestamp": "2024-03-04T10:00:00.123Z",
    "version": "1.0.3",
    "context": {"contextActivities": {"parent": [
        {"id": EDX_COURSE, "objectType": "Activity",
         "definition": {"type": "http://adlnet.gov/expapi/activities/course"}}]}},
}


@pytest.fixture
def key(app):
    """An ingest key that may create courses: (prefix, secret)."""
    with app.app_context():
        row, secret = api_keys.create("lms", "ingest", may_create_courses=True, may_push_finished=True)
    return row.prefix, secret


def _basic(user: str, password: str, **extra) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}", **VERSION, **extra}


def _counts(app) -> dict[str, int]:
    with app.app_context():
        query = ActivityDay.select(Course.code, ActivityDay.access, ActivityDay.video).join(
            Course, on=(ActivityDay.course == Course.id))
        found: dict[str, int] = {}
        for code, access, video in query.tuples():
            found[code] = found.get(code, 0) + access + video
        return found


def test_about_names_the_versions_spoken(client):
    response = client.get("/api/v1/xapi/about")
    assert response.status_code == 200
    assert response.json == {"version": ["1.0.3", "2.0.0"]}
    assert response.headers["X-Experience-API-Version"] == "2.0.0"


def test_moodle_and_open_edx_statements_are_stored_and_their_ids_returned(app, client, key):
    response = client.post(STATEMENTS, json=[MOODLE, EDX], headers=_basic(*key))
    assert response.status_code == 200, response.json
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    ids = response.json
    assert ids[0] == MOODLE_ID and len(ids) == 2 and ids[1] != MOODLE_ID and len(ids[1]) == 36
    assert _counts(app) == {MOODLE_COURSE: 1, EDX_COURSE: 1}
    version_2 = {"X-Experience-API-Version": "2.0.0"}
    single = client.post(STATEMENTS, json=MOODLE, headers=_basic(*key, **version_2))
    assert single.status_code == 200 and single.json == [MOODLE_ID]
    assert single.headers["X-Experience-API-Version"] == "2.0.0"
    assert _counts(app) == {MOODLE_COURSE: 1, EDX_COURSE: 1}  # the same statement is not counted twice


def test_put_stores_under_the_statement_id_and_a_conflicting_reuse_is_409(app, client, key):
    statement_id = "7a1f2e3d-4c5b-4a69-8877-665544332211"
    put = f"{STATEMENTS}?statementId={statement_id}"
    assert client.put(put, json=EDX, headers=_basic(*key)).status_code == 204
    assert client.put(put, json=EDX, headers=_basic(*key)).status_code == 204  # identical: accepted
    other = {**EDX, "timestamp": "2024-03-05T10:00:00Z"}
    assert_error(client.put(put, json=other, headers=_basic(*key)), 409)
    assert_error(client.post(STATEMENTS, json={**other, "id": statement_id}, headers=_basic(*key)), 409)
    assert _counts(app) == {EDX_COURSE: 1}
    assert_error(client.put(STATEMENTS, json=EDX, headers=_basic(*key)), 400)  # no statementId
    mismatch = {**EDX, "id": "11111111-2222-4333-8444-555555555555"}
    assert_error(client.put(put, json=mismatch, headers=_basic(*key)), 400)


@pytest.mark.parametrize("version", [None, "", "0.95", "3.0.0", "1.1.0"])
def test_the_version_header_is_required(client, key, version):
    headers = _basic(*key)
    del headers["X-Experience-API-Version"]
    if version is not None:
        headers["X-Experience-API-Version"] = version
    body = assert_error(client.post(STATEMENTS, json=MOODLE, headers=headers), 400, "invalid_statement")
    assert "X-Experience-API-Version" in body["message"]


def test_credentials_are_an_ingest_key_by_basic_auth(app, client, key):
    prefix, secret = key
    assert_error(client.post(STATEMENTS, json=MOODLE, headers=VERSION), 401)
    assert_error(client.post(STATEMENTS, json=MOODLE, headers={"X-API-Key": secret, **VERSION}), 401)
    assert_error(client.post(STATEMENTS, json=MOODLE, headers=_basic("someone", secret)), 401)
    assert_error(client.post(STATEMENTS, json=MOODLE, headers=_basic(prefix, secret + "x")), 401)
    with app.app_context():
        api_keys.revoke("lms")
    assert_error(client.post(STATEMENTS, json=MOODLE, headers=_basic(prefix, secret)), 401)


def test_a_signed_in_browser_session_does_not_make_basic_auth_need_csrf(client, key, make_user, login):
    login(make_user("admin"))  # cookies set; no CSRF header sent below
    assert client.post(STATEMENTS, json=EDX, headers=_basic(*key)).status_code == 200


def _without(statement: dict, *path: str) -> dict:
    changed = copy.deepcopy(statement)
    target = changed
    for step in path[:-1]:
        target = target[step]
    del target[path[-1]]
    return changed


def _with(statement: dict, value, *path: str) -> dict:
    changed = copy.deepcopy(statement)
    target = changed
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return changed


INVALID = [
    (_without(EDX, "actor"), "actor is required"),
    (_without(EDX, "verb"), "verb is required"),
    (_without(EDX, "object"), "object is required"),
    (_with(EDX, {"mbox": "mailto:a@example.org", "account": {"homePage": "https://x.org", "name": "a"}},
           "actor"), "exactly one of"),
    (_with(EDX, {"name": "nobody"}, "actor"), "exactly one of"),
    (_with(EDX, {"mbox": "a@example.org"}, "actor"), "mailto:"),
    (_with(EDX, {"mbox_sha1sum": "not-a-sha1"}, "actor"), "40 hexadecimal"),
    (_with(EDX, "played", "verb", "id"), "verb.id must be an IRI"),
    (_with(EDX, "not a time", "timestamp"), "timestamp must be an ISO 8601"),
    (_with(EDX, "2024-03-04T10:00:00-00:00", "timestamp"), "timestamp must be an ISO 8601"),
    (_with(EDX, "1234", "id"), "id must be a UUID"),
    (_with(EDX, True, "surprise"), "unknown statement property"),
    (_with(EDX, "0.9", "version"), "version must be"),
    (_with(EDX, "video 1", "object", "id"), "object.id must be an IRI"),
    (_with(EDX, "not-a-uuid", "context", "registration"), "registration must be a UUID"),
    (_with(EDX, [{"id": "x"}], "context", "contextActivities", "siblings"), "may only have"),
    (_with(EDX, [{"id": "course 1"}], "context", "contextActivities", "parent"), "IRI id"),
    (_with(EDX, {"score": {"scaled": 1.5}}, "result"), "scaled must be a number from -1 to 1"),
    (_with(EDX, {"score": {"raw": 12, "min": 0, "max": 10}}, "result"), "raw must lie between"),
]


@pytest.mark.parametrize(("statement", "reason"), INVALID)
def test_an_invalid_statement_refuses_the_request_with_a_clear_400(app, client, key, statement, reason):
    response = client.post(STATEMENTS, json=[MOODLE, statement], headers=_basic(*key))
    body = assert_error(response, 400, "invalid_statement")
    assert "Statement 1" in body["message"] and reason in body["message"]
    assert _counts(app) == {}  # the valid one is not stored either: an LRS takes a batch whole


def test_the_key_course_limits_apply_per_statement(app, client):
    with app.app_context():
        row, secret = api_keys.create("edx-only", "ingest", courses="https://courses.example.org/*",
                                      may_create_courses=True, may_push_finished=True)
    response = client.post(STATEMENTS, json=[MOODLE, EDX], headers=_basic(row.prefix, secret))
    assert response.status_code == 200 and len(response.json) == 2
    assert _counts(app) == {EDX_COURSE: 1}


def test_the_cli_shows_the_lrs_credentials_of_a_new_ingest_key(app, client):
    result = app.test_cli_runner().invoke(args=["create-api-key", "moodle-lrs", "--scope", "ingest",
                                                "--may-create-courses"])
    assert result.exit_code == 0, result.output
    secret = next(line.strip() for line in result.output.splitlines() if line.strip().startswith("ssa_"))
    user = next(line.split(":", 1)[1].strip() for line in result.output.splitlines() if "user name:" in line)
    assert secret.startswith(f"ssa_{user}_")
    assert client.post(STATEMENTS, json=EDX, headers=_basic(user, secret)).status_code == 200
