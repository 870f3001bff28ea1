"""Tutors see and act on their own courses only: every course endpoint for an
anonymous caller, a student, the tutor of course A (allowed on A, 404 on B) and an administrator; the
action loop; a linked student's own enrollment; the tutor commands."""

from __future__ import annotations

import re

import numpy as np
import pytest

from tests.helpers import assert_error, store_course

FACTORS = [
    {"feature": "active_days", "contribution": 0.41, "direction": "raises", "text": "Active on 1 of 7 days"},
    {"feature": "video", "contribution": 0.12, "direction": "raises", "text": "Watched no video"},
]


def _predict(course, day: int, checkpoint: int, probabilities: list[float], version) -> None:
    from db.courses import Enrollment
    from db.early_warning import EnrollmentPrediction

    enrollments = Enrollment.select().where(Enrollment.course == course).order_by(Enrollment.learner_ref)
    for enrollment, probability in zip(enrollments, probabilities, strict=True):
        EnrollmentPrediction.create(
            enrollment=enrollment,
            course=course,
            day=day,
            checkpoint=checkpoint,
            probability=probability,
            risk_level="High" if probability >= 0.7 else "Low",
            top_factors=FACTORS,
            model_version=version,
        )


@pytest.fixture
def scope(app, make_user, bearer):
    """Courses A and B (3 learners each, scored at days 7 and 14), tutor-a on A, tutor-b on B, an
    administrator, and a student linked to A's first enrollment; headers and ids by name."""
    from db.courses import Enrollment
    from db.tables import ModelVersion
    from services.tutoring import tutors

    accounts = {
        "admin": make_user("admin"),
        "tutor-a": make_user("tutor", "tutor-a"),
        "tutor-b": make_user("tutor", "tutor-b"),
        "student": make_user("student", "linked"),
        "other": make_user("student", "unlinked"),
    }
    counts = np.zeros((3, 30, 7), dtype=int)
    counts[:, :5, 0] = 2
    with app.app_context():
        version = ModelVersion.create(
            task="early-warning",
            version=4,
            algorithm="spline_logistic",
            data_fingerprint="test",
            data_source="test",
            rows=1,
            artifact_dir="early-warning/v4",
        )
        ids = {}
        for code in ("A", "B"):
            course = store_course(code, counts)
            _predict(course, 7, 7, [0.5, 0.3, 0.2], version)
            _predict(course, 14, 14, [0.9, 0.4, 0.1], version)
            ids[code] = [
                e.id for e in Enrollment.select().where(Enrollment.course == course).order_by(Enrollment.id)
            ]
        Enrollment.update(user=accounts["student"].id).where(Enrollment.id == ids["A"][0]).execute()
        tutors.assign_tutor(None, "tutor-a", "A")
        tutors.assign_tutor(None, "tutor-b", "B")
    headers = {name: bearer(account) for name, account in accounts.items()}
    return {"headers": headers, "ids": ids, "accounts": accounts}


def _course_paths(code: str, enrollment: int) -> list[tuple[str, str, dict | None]]:
    """Every course-scoped section-6 endpoint a tutor may use, on one course."""
    return [
        ("GET", f"/api/v1/courses/{code}", None),
        ("GET", f"/api/v1/courses/{code}/enrollments", None),
        ("GET", f"/api/v1/courses/{code}/at-risk", None),
        ("GET", f"/api/v1/enrollments/{enrollment}", None),
        ("GET", f"/api/v1/enrollments/{enrollment}/actions", None),
        ("POST", f"/api/v1/enrollments/{enrollment}/actions", {"kind": "useful"}),
    ]


ADMIN_ONLY = [
    ("GET", "/api/v1/courses/A/tutors", None),
    ("PUT", "/api/v1/courses/A/tutors", {"tutors": ["tutor-a"]}),
    ("PUT", "/api/v1/courses/A/level-shares", {"high": 0.1, "medium": 0.2}),
    (
        "POST",
        "/api/v1/activity",
        {"events": [{"enrollment_id": "x", "course_id": "A", "time": "2024-03-05"}]},
    ),
    ("POST", "/api/v1/activity/import", None),
    ("POST", "/api/v1/activity/outcomes", None),
    ("GET", "/api/v1/activity/imports", None),
    ("POST", "/api/v1/models/early-warning/train", {}),
]


def _call(client, method: str, path: str, body: dict | None, headers: dict | None = None):
    return client.open(path, method=method, json=body, headers=headers or {})


def test_a_tutor_reaches_their_course_and_not_another(app, client, scope):
    headers, ids = scope["headers"], scope["ids"]
    for (method, path, body), (_, other, _) in zip(
        _course_paths("A", ids["A"][1]), _course_paths("B", ids["B"][1]), strict=True
    ):
        assert _call(client, method, path, body, headers["tutor-a"]).status_code in (200, 201), path
        error = assert_error(_call(client, method, other, body, headers["tutor-a"]), 404)
        assert "tutor-b" not in str(error)
        for code_path in (path, other):
            assert _call(client, method, code_path, body, headers["admin"]).status_code in (200, 201)
            assert_error(_call(app.test_client(), method, code_path, body), 401)
    listed = client.get("/api/v1/courses", headers=headers["tutor-a"]).json["items"]
    assert [course["code"] for course in listed] == ["A"]
    everything = client.get("/api/v1/courses", headers=headers["admin"]).json["items"]
    assert [course["code"] for course in everything] == ["A", "B"]


def test_students_are_refused_every_staff_endpoint(client, scope):
    headers, ids = scope["headers"], scope["ids"]
    for name in ("student", "other"):
        assert_error(client.get("/api/v1/courses", headers=headers[name]), 403, "forbidden")
        for method, path, body in _course_paths("A", ids["A"][1]) + _course_paths("B", ids["B"][0]):
            response = _call(client, method, path, body, headers[name])
            if method == "GET" and re.fullmatch(r"/api/v1/enrollments/\d+", path):
                assert_error(response, 404)  # anyone may ask for an enrollment; not theirs is not found
            else:
                assert_error(response, 403, "forbidden")


def test_administrator_endpoints_refuse_tutors(app, client, scope):
    for method, path, body in ADMIN_ONLY:
        for name in ("tutor-a", "student"):
            assert_error(_call(client, method, path, body, scope["headers"][name]), 403, "forbidden")
        assert_error(_call(app.test_client(), method, path, body), 401)


def test_an_action_on_the_own_course_is_logged_and_shown_at_risk(client, scope):
    headers, ids = scope["headers"], scope["ids"]
    target = ids["A"][0]
    body = {"kind": "contacted", "channel": "email", "note": "Sent the week-2 reminder."}
    refused = client.post(f"/api/v1/enrollments/{ids['B'][0]}/actions", json=body, headers=headers["tutor-a"])
    assert_error(refused, 404)
    created = client.post(f"/api/v1/enrollments/{target}/actions", json=body, headers=headers["tutor-a"])
    assert created.status_code == 201, created.json
    action = created.json
    assert (action["kind"], action["channel"], action["note"]) == ("contacted", "email", body["note"])
    assert action["username"] == "tutor-a" and action["enrollment"] == target
    assert action["prediction"] is not None  # the day-14 prediction it answered
    log = client.get(f"/api/v1/enrollments/{target}/actions", headers=headers["tutor-a"]).json["items"]
    assert [item["id"] for item in log] == [action["id"]]
    assert_error(client.get(f"/api/v1/enrollments/{target}/actions", headers=headers["tutor-b"]), 404)
    at_risk = client.get("/api/v1/courses/A/at-risk", headers=headers["tutor-a"]).json
    assert at_risk["day"] == 14
    rows = {row["enrollment"]: row for row in at_risk["items"]}
    assert rows[target]["last_action"]["kind"] == "contacted"
    assert rows[target]["last_action"]["username"] == "tutor-a"
    assert all(rows[other]["last_action"] is None for other in ids["A"][1:])
    admin_view = client.get(f"/api/v1/enrollments/{target}", headers=headers["admin"]).json
    assert [item["id"] for item in admin_view["actions"]] == [action["id"]]


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "kind"),
        ({"kind": "phoned"}, "kind"),
        ({"kind": "contacted", "channel": "fax"}, "channel"),
        ({"kind": "useful", "channel": "phone"}, "channel"),
        ({"kind": "resolved", "note": "x" * 2001}, "note"),
        ({"kind": "resolved", "notes": "typo"}, "notes"),
        ({"kind": 3}, "kind"),
    ],
)
def test_bad_action_bodies_name_the_field(client, scope, body, field):
    response = client.post(
        f"/api/v1/enrollments/{scope['ids']['A'][0]}/actions", json=body, headers=scope["headers"]["tutor-a"]
    )
    error = assert_error(response, 422, "invalid")
    assert field in error["fields"], error


def test_an_action_body_must_be_json(client, scope):
    url = f"/api/v1/enrollments/{scope['ids']['A'][0]}/actions"
    response = client.post(url, data="kind=useful", headers=scope["headers"]["tutor-a"])
    assert_error(response, 415)
    assert client.get(url, headers=scope["headers"]["tutor-a"]).json["items"] == []


def test_staff_see_the_risk_history_with_its_reasons(client, scope):
    detail = client.get(f"/api/v1/enrollments/{scope['ids']['A'][0]}", headers=scope["headers"]["tutor-a"])
    assert detail.status_code == 200, detail.json
    risk = detail.json["risk"]
    assert [(p["day"], p["checkpoint"], p["probability"], p["risk_level"]) for p in risk] == [
        (7, 7, 0.5, "Low"),
        (14, 14, 0.9, "High"),
    ]
    assert [f["text"] for f in risk[-1]["top_factors"]] == [f["text"] for f in FACTORS]
    assert risk[-1]["model_version"] == 4
    assert detail.json["actions"] == [] and detail.json["days"]


def test_a_linked_student_sees_their_own_enrollment_and_risk_only_when_allowed(app, client, scope):
    headers, ids = scope["headers"], scope["ids"]
    own = client.get(f"/api/v1/enrollments/{ids['A'][0]}", headers=headers["student"])
    assert own.status_code == 200, own.json
    assert own.json["learner_ref"] == "A-L0" and own.json["days"]
    assert own.json["risk"] is None and own.json["actions"] is None
    text = own.get_data(as_text=True)
    assert "probability" not in text and "0.9" not in text and "High" not in text
    for other in (ids["A"][1], ids["B"][0]):
        assert_error(client.get(f"/api/v1/enrollments/{other}", headers=headers["student"]), 404)
    assert_error(client.get(f"/api/v1/enrollments/{ids['A'][0]}", headers=headers["other"]), 404)
    assert_error(client.get(f"/api/v1/enrollments/{ids['A'][0]}/actions", headers=headers["student"]), 403)
    app.config["STUDENT_SEES_OWN_RISK"] = True
    try:
        allowed = client.get(f"/api/v1/enrollments/{ids['A'][0]}", headers=headers["student"]).json
    finally:
        app.config["STUDENT_SEES_OWN_RISK"] = False
    assert [p["probability"] for p in allowed["risk"]] == [0.5, 0.9]
    assert allowed["risk"][-1]["top_factors"][0]["text"] == FACTORS[0]["text"]
    assert allowed["actions"] is None


def test_the_setting_is_off_by_default(app):
    from server.config import load_config

    assert load_config("testing").STUDENT_SEES_OWN_RISK is False


def test_an_administrator_sets_a_course_s_tutors(client, scope):
    headers = scope["headers"]
    assert client.get("/api/v1/courses/A/tutors", headers=headers["admin"]).json == {
        "course": "A",
        "tutors": ["tutor-a"],
    }
    put = client.put(
        "/api/v1/courses/A/tutors", json={"tutors": ["tutor-b", "tutor-a"]}, headers=headers["admin"]
    )
    assert put.status_code == 200 and put.json["tutors"] == ["tutor-a", "tutor-b"]
    codes = [c["code"] for c in client.get("/api/v1/courses", headers=headers["tutor-b"]).json["items"]]
    assert codes == ["A", "B"]
    bad = client.put(
        "/api/v1/courses/A/tutors", json={"tutors": ["tutor-a", "linked", "nobody"]}, headers=headers["admin"]
    )
    error = assert_error(bad, 422, "invalid")
    assert set(error["fields"]) == {"tutors.1", "tutors.2"}
    assert client.get("/api/v1/courses/A/tutors", headers=headers["admin"]).json["tutors"] == [
        "tutor-a",
        "tutor-b",
    ]
    assert_error(
        client.put("/api/v1/courses/NOPE/tutors", json={"tutors": []}, headers=headers["admin"]), 404
    )
    cleared = client.put("/api/v1/courses/A/tutors", json={"tutors": []}, headers=headers["admin"])
    assert cleared.json["tutors"] == []
    assert_error(client.get("/api/v1/courses/A", headers=headers["tutor-a"]), 404)


def test_assign_and_unassign_from_the_command_line(app, client, scope):
    runner = app.test_cli_runner()
    headers = scope["headers"]
    first = runner.invoke(args=["assign-tutor", "tutor-a", "B"])
    assert first.exit_code == 0 and "tutor-a now tutors B" in first.output, first.output
    again = runner.invoke(args=["assign-tutor", "tutor-a", "B"])
    assert again.exit_code == 0 and "already" in again.output
    assert client.get("/api/v1/courses/B", headers=headers["tutor-a"]).status_code == 200
    removed = runner.invoke(args=["unassign-tutor", "tutor-a", "B"])
    assert removed.exit_code == 0 and "no longer tutors B" in removed.output
    assert runner.invoke(args=["unassign-tutor", "tutor-a", "B"]).exit_code == 0
    assert_error(client.get("/api/v1/courses/B", headers=headers["tutor-a"]), 404)
    # An administrator may tutor a course too.
    assert runner.invoke(args=["assign-tutor", scope["accounts"]["admin"].username, "A"]).exit_code == 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["assign-tutor", "linked", "A"], "only tutors and administrators"),
        (["assign-tutor", "nobody", "A"], "No user nobody"),
        (["assign-tutor", "tutor-a", "NOPE"], "No course NOPE"),
        (["unassign-tutor", "nobody", "A"], "No user nobody"),
        (["unassign-tutor", "tutor-a", "NOPE"], "No course NOPE"),
        (["assign-tutor", "tutor-a"], "Missing argument"),
    ],
)
def test_the_tutor_commands_refuse_bad_input(app, scope, args, message):
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code != 0 and message in result.output, result.output


def test_create_user_makes_a_tutor(app, client):
    runner = app.test_cli_runner()
    made = runner.invoke(
        args=[
            "create-user",
            "tina",
            "--email",
            "tina@example.org",
            "--password",
            "good-password-1",
            "--role",
            "tutor",
        ]
    )
    assert made.exit_code == 0 and "Created tutor tina" in made.output, made.output
    login = client.post("/api/v1/auth/login", json={"username": "tina", "password": "good-password-1"})
    assert login.status_code == 200 and login.json["user"]["role"] == "tutor"
    headers = {"Authorization": f"Bearer {login.json['access_token']}"}
    assert client.get("/api/v1/courses", headers=headers).json["items"] == []
    bad = runner.invoke(
        args=[
            "create-user",
            "tim",
            "--email",
            "tim@example.org",
            "--password",
            "good-password-1",
            "--role",
            "teacher",
        ]
    )
    assert bad.exit_code != 0 and "tutor" in bad.output


def test_seed_demo_makes_a_tutor_of_every_demo_course_and_the_student_a_learner(app, client):
    from services.demo_setup import DEMO_USERS

    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo", "--courses-only"]).exit_code == 0
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    (username, _, password, _, role) = next(user for user in DEMO_USERS if user[4] == "tutor")
    login = client.post("/api/v1/auth/login", json={"username": username, "password": password}).json
    codes = [
        c["code"]
        for c in client.get(
            "/api/v1/courses", headers={"Authorization": f"Bearer {login['access_token']}"}
        ).json["items"]
    ]
    assert codes and all(code.startswith("DEMO-") for code in codes)
    from db.courses import Course

    with app.app_context():
        assert len(codes) == Course.select().where(Course.code.startswith("DEMO-")).count()
    (username, _, password, _, _) = next(user for user in DEMO_USERS if user[4] == "student")
    student = client.post("/api/v1/auth/login", json={"username": username, "password": password}).json
    headers = {"Authorization": f"Bearer {student['access_token']}"}
    (taken,) = client.get("/api/v1/me/enrollments", headers=headers).json["items"]
    assert taken["course"].startswith("DEMO-") and taken["current_day"] is not None
    assert client.get(f"/api/v1/enrollments/{taken['enrollment']}", headers=headers).json["days"]


def test_an_administrator_makes_a_tutor_over_the_api_but_not_of_themself(client, scope):
    headers, accounts = scope["headers"], scope["accounts"]
    changed = client.patch(
        f"/api/v1/users/{accounts['other'].id}", json={"role": "tutor"}, headers=headers["admin"]
    )
    assert changed.status_code == 200 and changed.json["role"] == "tutor"
    listed = client.get("/api/v1/users", query_string={"role": "tutor"}, headers=headers["admin"]).json
    assert [user["username"] for user in listed["items"]] == ["tutor-a", "tutor-b", "unlinked"]
    me = client.patch(
        f"/api/v1/users/{accounts['admin'].id}", json={"role": "tutor"}, headers=headers["admin"]
    )
    assert_error(me, 409)
    assert client.get("/api/v1/me", headers=headers["tutor-a"]).json["role"] == "tutor"
