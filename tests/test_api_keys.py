"""API keys for platforms: created with the secret shown once and only its hash kept, listed, revoked;
a key pushes activity (POST /api/v1/activity) and is refused by every other endpoint."""

from __future__ import annotations

import hashlib
import random
import re
import threading
from datetime import date, timedelta

import pytest

from db.api_keys import ApiKey
from db.courses import ActivityDay, Course, Enrollment
from db.tables import User, utcnow
from services import activity_push, api_keys
from services.errors import Conflict, InvalidInput
from tests.helpers import assert_error

PUSH = "/api/v1/activity"
PATH_ARGS = {"id": "1", "task": "dropout", "code": "C1"}


def _event(learner="E1", course="C1", when="2024-03-01T10:00:00Z", event="video", **extra) -> dict:
    return {"enrollment_id": learner, "course_id": course, "time": when, "event": event, **extra}


@pytest.fixture
def new_key(app):
    """Create a key through the service; returns (name, secret)."""

    def make(name: str = "moodle", scope: str = "ingest", **limits) -> tuple[str, str]:
        # Most tests push dated events into courses they create: such a key may do both.
        limits = {"may_create_courses": True, "may_push_finished": True, **limits}
        with app.app_context():
            row, secret = api_keys.create(name, scope, **limits)
        return row.name, secret

    return make


def _key_headers(secret: str) -> dict[str, str]:
    return {"X-API-Key": secret}


def _day(app, learner: str, course: str, day: int) -> ActivityDay:
    with app.app_context():
        enrollment = Enrollment.get(
            (Enrollment.learner_ref == learner) & (Enrollment.course == Course.by_code(course))
        )
        return ActivityDay.get((ActivityDay.enrollment == enrollment) & (ActivityDay.day == day))


def test_only_the_hash_of_the_secret_is_stored_and_the_list_never_shows_it(app, new_key):
    name, secret = new_key("moodle")
    assert secret.startswith("ssa_") and len(secret) > 40
    with app.app_context():
        row = ApiKey.by_name(name)
        stored = [str(value) for value in ApiKey.select().where(ApiKey.name == name).dicts().get().values()]
        listed = api_keys.keys()
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert all(secret not in value and secret.split("_")[-1] not in value for value in stored)
    assert secret.startswith(f"ssa_{row.prefix}_")
    assert [entry["name"] for entry in listed] == ["moodle"]
    assert listed[0]["prefix"] == row.prefix and listed[0]["last_used_at"] is None
    assert all(secret.split("_")[-1] not in str(value) for value in listed[0].values())


def test_two_keys_get_different_secrets_and_a_name_is_used_once(app, new_key):
    _, first = new_key("moodle")
    _, second = new_key("edx")
    assert first != second
    with app.app_context(), pytest.raises(Conflict):
        api_keys.create("moodle", "ingest")
    with app.app_context(), pytest.raises(InvalidInput) as bad:
        api_keys.create("a b", "ingest")
    assert "name" in bad.value.fields
    with app.app_context(), pytest.raises(InvalidInput) as bad:
        api_keys.create("other", "admin")
    assert "scope" in bad.value.fields


def test_the_key_pushes_activity_counted_per_day(app, client, new_key):
    _, secret = new_key()
    events = [
        _event(when="2024-03-01T10:00:00Z", event="video", source="browser"),
        _event(when="2024-03-01T11:00:00", event="video", source="server"),
        _event(when="2024-03-01T12:00:00+00:00", event="problem"),
        _event(when="2024-03-03T08:00:00Z", event="wiki", source="server"),
        _event(learner="E2", when="2024-03-02T23:30:00-02:00", event="access", source="browser"),
    ]
    response = client.post(PUSH, json={"events": events}, headers=_key_headers(secret))
    assert response.status_code == 200, response.json
    assert response.json == {"accepted": 5, "new": 5, "outside_window": 0, "rejected": []}
    with app.app_context():
        course = Course.by_code("C1")
    assert course.start_date == date(2024, 3, 1) and course.length_days == 30
    first = _day(app, "E1", "C1", 0)
    assert (first.video, first.problem, first.server, first.browser) == (2, 1, 1, 1)
    assert _day(app, "E1", "C1", 2).wiki == 1
    # 23:30 at UTC-2 is 01:30 UTC on the 3rd: day 2.
    assert _day(app, "E2", "C1", 2).access == 1
    # The same event pushed again (a platform retrying) is accepted but not counted twice.
    again = client.post(PUSH, json={"events": events[3:4]}, headers=_key_headers(secret))
    assert (again.json["accepted"], again.json["new"]) == (1, 0)
    assert _day(app, "E1", "C1", 2).wiki == 1


def test_a_day_without_known_sources_keeps_them_unknown_until_one_is_known(app, client, new_key):
    _, secret = new_key()
    client.post(PUSH, json={"events": [_event(event="navigate")]}, headers=_key_headers(secret))
    row = _day(app, "E1", "C1", 0)
    assert (row.navigate, row.server, row.browser) == (1, None, None)
    client.post(
        PUSH, json={"events": [_event(event="navigate", source="server")]}, headers=_key_headers(secret)
    )
    row = _day(app, "E1", "C1", 0)
    assert (row.navigate, row.server, row.browser) == (2, 1, 0)


def test_bad_events_are_rejected_by_index_and_the_good_ones_still_count(app, client, new_key):
    _, secret = new_key()
    events = [
        _event(),
        _event(when="yesterday"),
        _event(event="dance"),
        _event(source="phone"),
        {"course_id": "C1", "time": "2024-03-01", "event": "video"},
        "not an object",
        _event(learner="x" * 200),
        _event(learner=True),
        _event(when="2024-03-05"),
    ]
    response = client.post(PUSH, json={"events": events}, headers=_key_headers(secret))
    assert response.status_code == 200, response.json
    body = response.json
    assert body["accepted"] == 2
    reasons = {item["index"]: item["reason"] for item in body["rejected"]}
    assert sorted(reasons) == [1, 2, 3, 4, 5, 6, 7]
    assert "time" in reasons[1] and "dance" in reasons[2] and "phone" in reasons[3]
    assert "learner" in reasons[4] and "learner" in reasons[6]
    assert _day(app, "E1", "C1", 4).video == 1


def test_events_outside_the_course_window_are_kept_aside_not_counted(app, client, new_key):
    _, secret = new_key()
    with app.app_context():
        Course.create(code="SHORT", start_date=date(2024, 1, 10), length_days=5)
    events = [
        _event(course="SHORT", when="2024-01-09T23:59:59Z"),
        _event(course="SHORT", when="2024-01-10T00:00:00Z"),
        _event(course="SHORT", when="2024-01-14T12:00:00Z"),
        _event(course="SHORT", when="2024-01-15T00:00:00Z"),
    ]
    body = client.post(PUSH, json={"events": events}, headers=_key_headers(secret)).json
    assert (body["accepted"], body["outside_window"], body["rejected"]) == (2, 2, [])
    with app.app_context():
        assert Course.by_code("SHORT").start_date == date(2024, 1, 10)
        assert ActivityDay.select().count() == 2


def test_xapi_statements_are_mapped_to_event_types(app, client, new_key):
    _, secret = new_key()
    parent = {"contextActivities": {"parent": [{"id": "https://lms.example.org/course/42"}]}}
    statements = [
        {
            "actor": {"account": {"name": "learner-7"}},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
            "context": parent,
            "timestamp": "2024-05-01T09:00:00Z",
        },
        {
            "actor": {"mbox": "mailto:l7@example.org"},
            "verb": {"id": "https://w3id.org/xapi/video/verbs/played"},
            "context": {"contextActivities": {"grouping": {"id": "https://lms.example.org/course/42"}}},
            "stored": "2024-05-02T09:00:00Z",
        },
        {
            "actor": {"account": {"name": "learner-7"}},
            "verb": {"id": "x/danced"},
            "context": parent,
            "timestamp": "2024-05-01T09:00:00Z",
        },
        {"actor": {}, "verb": {"id": "x/played"}, "context": parent, "timestamp": "2024-05-01T09:00:00Z"},
        {
            "actor": {"account": {"name": "a"}},
            "verb": {"id": "x/played"},
            "timestamp": "2024-05-01T09:00:00Z",
        },
    ]
    body = client.post(PUSH, json={"statements": statements}, headers=_key_headers(secret)).json
    assert body["accepted"] == 2
    reasons = {item["index"]: item["reason"] for item in body["rejected"]}
    assert sorted(reasons) == [2, 3, 4]
    assert "danced" in reasons[2] and "actor" in reasons[3] and "course" in reasons[4]
    assert _day(app, "learner-7", "https://lms.example.org/course/42", 0).problem == 1
    assert _day(app, "mailto:l7@example.org", "https://lms.example.org/course/42", 1).video == 1


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "body"),
        ({"events": [], "statements": []}, "events"),
        ({"events": [_event()], "statements": [{}]}, "body"),
        ({"events": "all of them"}, "events"),
        ({"events": [_event()], "extra": 1}, "extra"),
        ({"events": [{}] * (activity_push.MAX_ITEMS + 1)}, "events"),
    ],
)
def test_a_wrong_shape_is_422_with_fields(client, new_key, body, field):
    _, secret = new_key()
    error = assert_error(client.post(PUSH, json=body, headers=_key_headers(secret)), 422)
    assert any(name == field or name.startswith(field) for name in error["fields"]), error


def test_push_answers_415_for_a_non_json_body(client, new_key):
    _, secret = new_key()
    response = client.post(PUSH, data="a,b", headers={**_key_headers(secret), "Content-Type": "text/csv"})
    assert_error(response, 415)


def test_concurrent_pushes_of_the_same_days_lose_no_count(app, new_key):
    """Four platforms' jobs push events of the same days in different orders at once: every event counts
    (each job's events are its own: a repeated event would count once)."""
    _, secret = new_key()
    learners = [f"L{i:02d}" for i in range(15)]
    days = ["2024-03-01", "2024-03-02", "2024-03-03"]
    errors: list = []

    def push(seed: int) -> None:
        batch = [
            _event(learner, "RACE", f"{day}T10:0{seed}:00Z", source="server")
            for learner in learners
            for day in days
        ]
        random.Random(seed).shuffle(batch)
        response = app.test_client().post(PUSH, json={"events": batch}, headers=_key_headers(secret))
        if response.status_code != 200 or response.json["accepted"] != len(batch):
            errors.append(response.get_json())

    # One request first: Dash sets itself up on the first request of a process, and that setup is not
    # safe against concurrent first requests (a Dash matter, reported separately).
    app.test_client().get("/api/v1/health")
    threads = [threading.Thread(target=push, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with app.app_context():
        rows = list(ActivityDay.select())
        assert Enrollment.select().count() == len(learners)
    assert len(rows) == len(learners) * len(days)
    assert {(row.video, row.server) for row in rows} == {(4, 4)}


def test_a_wrong_or_revoked_key_gets_401(app, client, new_key):
    name, secret = new_key()
    good = {"events": [_event()]}
    forged = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")
    for bad in (forged, "ssa_00000000_" + "x" * 43, "nonsense", "", secret + "x"):
        assert_error(client.post(PUSH, json=good, headers=_key_headers(bad)), 401, "invalid_api_key")
    assert client.post(PUSH, json=good, headers=_key_headers(secret)).status_code == 200
    with app.app_context():
        api_keys.revoke(name)
        listed = api_keys.keys()
    assert listed[0]["revoked_at"] is not None
    assert_error(client.post(PUSH, json=good, headers=_key_headers(secret)), 401, "invalid_api_key")


def test_last_used_is_noted_at_most_once_a_minute(app, client, new_key):
    name, secret = new_key()
    body = {"events": [_event()]}
    client.post(PUSH, json=body, headers=_key_headers(secret))
    with app.app_context():
        first = ApiKey.by_name(name).last_used_at
    assert first is not None and abs(utcnow() - first) < timedelta(seconds=30)
    client.post(PUSH, json=body, headers=_key_headers(secret))
    with app.app_context():
        assert ApiKey.by_name(name).last_used_at == first
        earlier = first - timedelta(minutes=5)
        ApiKey.update(last_used_at=earlier).where(ApiKey.name == name).execute()
    client.post(PUSH, json=body, headers=_key_headers(secret))
    with app.app_context():
        assert ApiKey.by_name(name).last_used_at > first


def _routes(app):
    """(method, url, auth or None) for every rule of the URL map (None: not an API operation)."""
    for rule in app.url_map.iter_rules():
        if "static" in rule.endpoint:
            continue
        view = app.view_functions[rule.endpoint]
        op = getattr(view, "openapi_operation", None)
        url = re.sub(
            r"<(?:(\w+):)?(\w+)>", lambda m: PATH_ARGS.get(m.group(1) or m.group(2), "dropout"), rule.rule
        )
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, url, op.auth if op else None


def test_the_key_opens_nothing_but_the_push(app, client, new_key, make_user, bearer):
    """Protected endpoints answer 401; public ones and the dashboard answer the key exactly as they
    answer an anonymous caller (the key adds nothing)."""
    _, secret = new_key()
    with app.app_context():
        Course.create(code="C1", start_date=date(2024, 3, 1))
    checked = 0
    for method, url, auth in _routes(app):
        if auth in ("ingest", "sensor"):  # the pushes: activity, and Caliper envelopes
            continue
        kwargs = {"json": {}} if method in {"POST", "PATCH", "PUT"} else {}
        with_key = client.open(url, method=method, headers=_key_headers(secret), **kwargs)
        assert with_key.status_code != 500, (method, url)
        if auth is None or auth == "public":
            anonymous = client.open(url, method=method, **kwargs)
            assert with_key.status_code == anonymous.status_code, (method, url)
        else:
            assert_error(with_key, 401)
            checked += 1
    assert checked >= 20


def test_an_admin_can_push_and_a_student_or_anonymous_caller_cannot(app, client, make_user, bearer):
    body = {"events": [_event()]}
    response = client.post(PUSH, json=body, headers=bearer(make_user("admin")))
    assert response.status_code == 200 and response.json["accepted"] == 1
    assert_error(client.post(PUSH, json=body, headers=bearer(make_user("student"))), 403, "forbidden")
    assert_error(app.test_client().post(PUSH, json=body), 401)  # a client without the sign-in cookies


def test_a_key_with_an_admin_token_is_still_only_a_key(app, client, new_key, make_user, bearer):
    """An invalid key is not rescued by a valid admin token beside it: the key decides."""
    admin = bearer(make_user("admin"))
    response = client.post(PUSH, json={"events": [_event()]}, headers={**admin, "X-API-Key": "wrong"})
    assert_error(response, 401, "invalid_api_key")
    assert client.get("/api/v1/users", headers={**admin, "X-API-Key": "wrong"}).status_code == 200


def test_cli_creates_prints_once_and_revokes(app, client):
    runner = app.test_cli_runner()
    created = runner.invoke(args=["create-api-key", "canvas", "--scope", "ingest"])
    assert created.exit_code == 0, created.output
    (secret,) = re.findall(r"ssa_[0-9a-f]{8}_[\w-]+", created.output)
    assert "X-API-Key" in created.output
    assert client.post(PUSH, json={"events": [_event()]}, headers=_key_headers(secret)).status_code == 200
    duplicate = runner.invoke(args=["create-api-key", "canvas", "--scope", "ingest"])
    assert duplicate.exit_code != 0 and "canvas" in duplicate.output and "ssa_" not in duplicate.output
    wrong_scope = runner.invoke(args=["create-api-key", "other", "--scope", "admin"])
    assert wrong_scope.exit_code != 0
    revoked = runner.invoke(args=["revoke-api-key", "canvas"])
    assert revoked.exit_code == 0 and "revoked" in revoked.output, revoked.output
    assert_error(client.post(PUSH, json={"events": [_event()]}, headers=_key_headers(secret)), 401)
    unknown = runner.invoke(args=["revoke-api-key", "nobody"])
    assert unknown.exit_code != 0 and "nobody" in unknown.output


def test_revoking_is_logged_with_who_did_it(app, new_key, make_user):
    from db.tables import Activity

    admin = make_user("admin")
    name, _ = new_key()
    with app.app_context():
        api_keys.revoke(name, by=User.get_by_id(admin.id))
        entry = Activity.select().where(Activity.action == "api_key_revoke").get()
    assert entry.user_id == admin.id and entry.detail["name"] == name


def _running_course(app, code: str) -> str:
    """Create a course that started five days ago; returns today's time for an event in it."""
    with app.app_context():
        Course.create(code=code, title=code, start_date=utcnow().date() - timedelta(days=5), length_days=30)
    return utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_key_limited_to_courses_pushes_only_there_and_the_rest_still_counts(app, client, new_key):
    now = _running_course(app, "MOOC-A1")
    _running_course(app, "OTHER-9")
    _, secret = new_key(courses="MOOC-*", may_create_courses=False, may_push_finished=False)
    events = [_event(course="MOOC-A1", when=now), _event(course="OTHER-9", when=now)]
    response = client.post(PUSH, json={"events": events}, headers=_key_headers(secret))
    assert response.json["accepted"] == 1
    assert response.json["rejected"] == [
        {"index": 1, "reason": "the key moodle may not push into course OTHER-9"}
    ]
    with app.app_context():
        assert Enrollment.select().join(Course).where(Course.code == "OTHER-9").count() == 0


def test_a_key_creates_courses_and_pushes_into_finished_ones_only_when_allowed(app, client, new_key):
    now = _running_course(app, "RUN-1")
    with app.app_context():
        Course.create(code="DONE-1", title="done", start_date=date(2024, 1, 1), length_days=30)
    _, secret = new_key()
    _, strict = new_key("strict", may_create_courses=False, may_push_finished=False)
    events = [
        _event(course="RUN-1", when=now),
        _event(course="NEW-1", when=now),
        _event(course="DONE-1", when="2024-01-05T10:00:00Z"),
    ]
    response = client.post(PUSH, json={"events": events}, headers=_key_headers(strict))
    assert response.json["accepted"] == 1
    reasons = [item["reason"] for item in response.json["rejected"]]
    assert reasons == [
        "no course NEW-1, and the key strict may not create courses",
        "course DONE-1 has finished; the key strict may not push into finished courses",
    ]
    with app.app_context():
        assert Course.by_code("NEW-1") is None
    allowed = client.post(PUSH, json={"events": events}, headers=_key_headers(secret))
    assert (allowed.json["accepted"], allowed.json["rejected"]) == (3, [])


@pytest.mark.parametrize(
    "code, reason",
    [
        ("DEMO-CS105\u200b", "course code has invisible or control characters: U+200B"),
        ("\u202eDEMO-CS105", "course code has invisible or control characters: U+202E"),
        ("DEMO..CS105", "course code contains '..'"),
        ("demo_cs1O5", "course code 'demo_cs1O5' looks like the existing course 'DEMO-CS105'"),
        ("ＤＥＭＯ-CS105", "course code 'ＤＥＭＯ-CS105' looks like the existing course 'DEMO-CS105'"),
    ],
)
def test_lookalike_and_hidden_course_codes_are_refused(app, client, new_key, code, reason):
    now = _running_course(app, "DEMO-CS105")
    _, secret = new_key()
    pushed = {"events": [_event(course=code, when=now)]}
    response = client.post(PUSH, json=pushed, headers=_key_headers(secret))
    assert response.json["rejected"] == [{"index": 0, "reason": reason}]
    with app.app_context():
        assert Course.codes() == ["DEMO-CS105"]


def test_a_code_in_another_unicode_form_is_the_same_course(app, client, new_key):
    decomposed = "CAFE\u0301-1"
    _, secret = new_key()
    client.post(PUSH, json={"events": [_event(course=decomposed)]}, headers=_key_headers(secret))
    composed = {"events": [_event(course="CAF\u00c9-1", learner="E2")]}
    client.post(PUSH, json=composed, headers=_key_headers(secret))
    with app.app_context():
        assert Course.codes() == ["CAF\u00c9-1"]
        assert Enrollment.select().count() == 2


def test_a_keys_limits_are_validated_and_listed(app):
    with app.app_context():
        with pytest.raises(InvalidInput) as error:
            api_keys.create("bad", "ingest", courses="MOOC A; DROP")
        assert "courses" in error.value.fields
        api_keys.create("lms", "ingest", courses="MOOC-*, BIO-101\nMOOC-*", may_create_courses=True)
        entries = api_keys.keys()
    listed = next(entry for entry in entries if entry["name"] == "lms")
    assert listed["courses"] == ["MOOC-*", "BIO-101"]
    assert (listed["may_create_courses"], listed["may_push_finished"]) == (True, False)
