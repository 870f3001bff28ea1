"""A tutor's worklist ("This week"): at most their capacity of learners, the ones a contact can still
reach first at equal level, recently acted-on learners left out, only their running courses' latest
scored day; the same list over the API (tutor, administrator naming a tutor, student refused)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from db.tables import User, utcnow
from db.tutoring import EnrollmentAction
from services import accounts
from services.errors import InvalidInput
from services.tutoring import worklist
from tests.helpers import assert_error
from tests.worklist_data import tutored_course


def refs(result: dict) -> list[str]:
    return [item["learner_ref"] for item in result["items"]]


def test_the_list_holds_at_most_the_tutors_capacity(app, make_user):
    tutor = make_user("tutor")
    with app.app_context():
        tutored_course("WL-CAP", [(0.9 - i / 100, "gone_quiet") for i in range(8)], tutor.id)
        user = User.get_by_id(tutor.id)
        assert len(worklist.worklist(user)["items"]) == 8  # the default capacity, 25, holds them all
        accounts.update_profile(user, worklist_capacity=3)
        result = worklist.worklist(User.get_by_id(tutor.id))
    assert result["capacity"] == 3
    assert refs(result) == ["WL-CAP-L0", "WL-CAP-L1", "WL-CAP-L2"]


@pytest.mark.parametrize("bad", [0, 201, "ten", True])
def test_a_capacity_outside_1_to_200_is_refused(app, make_user, bad):
    tutor = make_user("tutor")
    with app.app_context(), pytest.raises(InvalidInput) as refused:
        accounts.update_profile(User.get_by_id(tutor.id), worklist_capacity=bad)
    assert "worklist_capacity" in refused.value.fields


def test_learners_acted_on_in_the_recent_days_are_left_out_and_counted_done(app, make_user):
    tutor, other = make_user("tutor"), make_user("tutor")
    with app.app_context():
        days = worklist.recent_action_days()
        ids = tutored_course(
            "WL-RECENT", [(0.9, "gone_quiet"), (0.85, "gone_quiet"), (0.8, "slipping")], tutor.id
        )
        now = utcnow()
        for ref, age, who in (("L0", days - 1, tutor.id), ("L1", days + 1, tutor.id), ("L2", 1, other.id)):
            EnrollmentAction.create(
                enrollment=ids[f"WL-RECENT-{ref}"],
                course=_course_of(ids[f"WL-RECENT-{ref}"]),
                user=who,
                kind="contacted",
                created_at=now - timedelta(days=age),
            )
        result = worklist.worklist(User.get_by_id(tutor.id))
    assert days == 7
    # L0 (contacted K-1 days ago) and L2 (by another tutor yesterday) are left out; L1 (K+1 days) is back.
    assert refs(result) == ["WL-RECENT-L1"]
    assert result["done"] == 1  # the tutor's own action of the last K days, not the older one


def _course_of(enrollment_id: int) -> int:
    from db.courses import Enrollment

    return Enrollment.get_by_id(enrollment_id).course_id


def test_at_equal_level_learners_a_contact_can_reach_come_first(app, make_user):
    tutor = make_user("tutor")
    learners = [
        (0.99, "steady"),  # L0 High
        (0.95, "not_started"),  # L1 High
        (0.80, "gone_quiet"),  # L2 High
        (0.85, "slipping"),  # L3 High
        (0.60, "gone_quiet"),  # L4 Medium
        (0.20, "slipping"),  # L5 Low
    ]
    with app.app_context():
        tutored_course("WL-ORDER", learners, tutor.id)
        result = worklist.worklist(User.get_by_id(tutor.id))
    assert refs(result) == [f"WL-ORDER-L{i}" for i in (3, 2, 1, 0, 4, 5)]
    first = result["items"][0]
    assert (first["risk_level"], first["segment_label"], first["reason"]) == (
        "High",
        "Slipping",
        "reason 3 at 14",
    )
    assert first["suggested_action"] == "Contact personally: check in before they stop."
    assert "gone quiet and slipping before not started before steady" in result["order"]


def test_only_the_tutors_running_courses_at_their_latest_scored_day(app, make_user):
    tutor, other = make_user("tutor"), make_user("tutor")
    with app.app_context():
        tutored_course("WL-MINE", [(0.5, "steady"), (0.9, "steady")], tutor.id, days={7: [0.99, 0.1]})
        tutored_course("WL-THEIRS", [(0.99, "gone_quiet")], other.id)
        tutored_course("WL-DONE", [(0.99, "gone_quiet")], tutor.id, today=40)  # finished
        result = worklist.worklist(User.get_by_id(tutor.id))
    assert refs(result) == ["WL-MINE-L1", "WL-MINE-L0"]
    assert {item["day"] for item in result["items"]} == {14}


@pytest.fixture
def api_scene(app, make_user, bearer):
    tutor, other, admin, student = (make_user(r) for r in ("tutor", "tutor", "admin", "student"))
    with app.app_context():
        tutored_course("WL-API", [(0.9, "gone_quiet"), (0.95, "not_started")], tutor.id)
        tutored_course("WL-OTHER", [(0.9, "gone_quiet")], other.id)
    return {
        name: (account, bearer(account))
        for name, account in (("tutor", tutor), ("other", other), ("admin", admin), ("student", student))
    }


def test_the_api_gives_a_tutor_their_list(client, api_scene):
    response = client.get("/api/v1/worklist", headers=api_scene["tutor"][1])
    assert response.status_code == 200, response.json
    body = response.json
    assert [item["learner_ref"] for item in body["items"]] == ["WL-API-L0", "WL-API-L1"]
    assert (body["capacity"], body["recent_action_days"], body["done"]) == (25, 7, 0)
    assert body["items"][0]["segment"] == "gone_quiet"


def test_an_administrator_names_the_tutor(client, api_scene):
    headers = api_scene["admin"][1]
    other = api_scene["other"][0].username
    response = client.get(f"/api/v1/worklist?tutor={other}", headers=headers)
    assert response.status_code == 200, response.json
    assert [item["learner_ref"] for item in response.json["items"]] == ["WL-OTHER-L0"]
    assert response.json["tutor"] == other
    assert_error(client.get("/api/v1/worklist?tutor=nobody", headers=headers), 404)
    student = api_scene["student"][0].username
    assert_error(client.get(f"/api/v1/worklist?tutor={student}", headers=headers), 422)


def test_students_are_refused_and_tutors_see_only_their_own(client, api_scene):
    assert_error(client.get("/api/v1/worklist", headers=api_scene["student"][1]), 403)
    other = api_scene["other"][0].username
    assert_error(client.get(f"/api/v1/worklist?tutor={other}", headers=api_scene["tutor"][1]), 403)


def test_the_capacity_is_set_over_the_api_and_validated(client, api_scene):
    headers = api_scene["tutor"][1]
    assert_error(client.patch("/api/v1/me", json={"worklist_capacity": 0}, headers=headers), 422)
    response = client.patch("/api/v1/me", json={"worklist_capacity": 1}, headers=headers)
    assert response.status_code == 200 and response.json["worklist_capacity"] == 1
    body = client.get("/api/v1/worklist", headers=headers).json
    assert [item["learner_ref"] for item in body["items"]] == ["WL-API-L0"]
