"""The read API of courses and enrollments: what an administrator sees, paging and
filters, 404s, and refusals for students and anonymous callers."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from db.courses import Course, Enrollment
from db.tables import User, utcnow
from services import courses
from services.errors import NotFound
from tests.helpers import assert_error, store_course

EDX_CODE = "MITx/6.002x/2012_Fall"


def _push(client, headers, events) -> dict:
    response = client.post("/api/v1/activity", json={"events": events}, headers=headers)
    assert response.status_code == 200 and not response.json["rejected"], response.json
    return response.json


def _event(learner: str, course: str, day: date, event: str = "video", source: str | None = None) -> dict:
    row = {
        "enrollment_id": learner,
        "course_id": course,
        "time": f"{day.isoformat()}T12:00:00Z",
        "event": event,
    }
    return row if source is None else {**row, "source": source}


@pytest.fixture
def cohort(app, client, make_user, bearer):
    """An administrator's headers and three courses: one running (started 3 days ago, 25 learners, some
    outcomes), one finished (an edX code with slashes), one not started yet."""
    headers = bearer(make_user("admin"))
    today = utcnow().date()
    start = today - timedelta(days=3)
    events = [_event(f"learner-{i:02d}", "RUN", start) for i in range(25)]
    events += [_event("learner-03", "RUN", start + timedelta(days=2), "problem", "server")] * 2
    events += [_event("learner-03", "RUN", start + timedelta(days=2), "wiki", "browser")]
    events += [_event("learner-07", "RUN", start + timedelta(days=3), "access")]
    events += [_event("old-1", EDX_CODE, date(2020, 1, 6)), _event("old-2", EDX_CODE, date(2020, 1, 8))]
    _push(client, headers, events)
    with app.app_context():
        run = Course.by_code("RUN")
        Enrollment.update(dropped_out=True).where(
            (Enrollment.course == run) & Enrollment.learner_ref.in_(["learner-01", "learner-02"])
        ).execute()
        Enrollment.update(dropped_out=False).where(
            (Enrollment.course == run) & (Enrollment.learner_ref == "learner-03")
        ).execute()
        Course.create(code="SOON", title="Later", start_date=today + timedelta(days=10), length_days=14)
    return headers


def test_courses_list_counts_and_where_each_course_stands(client, cohort):
    response = client.get("/api/v1/courses", headers=cohort)
    assert response.status_code == 200, response.json
    by_code = {item["code"]: item for item in response.json["items"]}
    assert list(by_code) == sorted(by_code) == [EDX_CODE, "RUN", "SOON"]
    assert by_code["RUN"]["enrollments"] == 25
    assert (by_code["RUN"]["status"], by_code["RUN"]["current_day"]) == ("running", 3)
    assert by_code["RUN"]["length_days"] == 30
    assert by_code[EDX_CODE]["enrollments"] == 2 and by_code[EDX_CODE]["start_date"] == "2020-01-06"
    assert (by_code[EDX_CODE]["status"], by_code[EDX_CODE]["current_day"]) == ("finished", None)
    assert by_code[EDX_CODE]["end_date"] == "2020-02-04"
    assert (by_code["SOON"]["status"], by_code["SOON"]["enrollments"]) == ("upcoming", 0)


def test_one_course_with_its_outcomes_even_with_slashes_in_its_code(client, cohort):
    course = client.get("/api/v1/courses/RUN", headers=cohort).json
    assert course["enrollments"] == 25
    assert course["outcomes"] == {"dropped": 2, "stayed": 1, "unknown": 22}
    edx = client.get(f"/api/v1/courses/{EDX_CODE}", headers=cohort)
    assert edx.status_code == 200 and edx.json["code"] == EDX_CODE
    page = client.get(f"/api/v1/courses/{EDX_CODE}/enrollments", headers=cohort).json
    assert [item["learner_ref"] for item in page["items"]] == ["old-1", "old-2"]


def test_enrollments_are_paged_by_learner_reference(client, cohort):
    url = "/api/v1/courses/RUN/enrollments"
    seen = []
    for number in (1, 2, 3):
        page = client.get(url, query_string={"page": number, "per_page": 10}, headers=cohort).json
        assert page["meta"] == {"page": number, "per_page": 10, "total": 25, "pages": 3}
        seen += [item["learner_ref"] for item in page["items"]]
    assert seen == sorted(seen) == [f"learner-{i:02d}" for i in range(25)]
    empty = client.get(url, query_string={"page": 4, "per_page": 10}, headers=cohort).json
    assert empty["items"] == [] and empty["meta"]["total"] == 25


def test_enrollment_rows_carry_activity_totals_and_outcome(client, cohort):
    page = client.get(
        "/api/v1/courses/RUN/enrollments", query_string={"learner": "learner-03"}, headers=cohort
    )
    (row,) = page.json["items"]
    assert row["outcome"] == "stayed"
    assert (row["active_days"], row["events"], row["last_active_day"]) == (2, 4, 2)


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"learner": "ARNER-0"}, [f"learner-{i:02d}" for i in range(10)]),
        ({"learner": "learner-1", "per_page": 200}, [f"learner-{i:02d}" for i in range(10, 20)]),
        ({"outcome": "dropped"}, ["learner-01", "learner-02"]),
        ({"outcome": "stayed"}, ["learner-03"]),
        ({"outcome": "known"}, ["learner-01", "learner-02", "learner-03"]),
        ({"active_since": 2}, ["learner-03", "learner-07"]),
        ({"active_since": 3}, ["learner-07"]),
        ({"active_since": 3, "outcome": "known"}, []),
        ({"learner": "%"}, []),
    ],
)
def test_enrollment_filters(client, cohort, query, expected):
    page = client.get("/api/v1/courses/RUN/enrollments", query_string=query, headers=cohort).json
    assert [item["learner_ref"] for item in page["items"]] == expected
    assert page["meta"]["total"] == len(expected)


def test_unknown_outcome_filter(client, cohort):
    page = client.get(
        "/api/v1/courses/RUN/enrollments", query_string={"outcome": "unknown"}, headers=cohort
    ).json
    assert page["meta"]["total"] == 22


@pytest.mark.parametrize(
    "query", [{"outcome": "maybe"}, {"active_since": -1}, {"per_page": 0}, {"page": "x"}, {"colour": "red"}]
)
def test_bad_enrollment_queries_are_422(client, cohort, query):
    response = client.get("/api/v1/courses/RUN/enrollments", query_string=query, headers=cohort)
    error = assert_error(response, 422)
    assert set(query) & set(error["fields"]), error


def test_one_enrollment_with_its_activity_by_day(app, client, cohort):
    with app.app_context():
        enrollment_id = Enrollment.get(Enrollment.learner_ref == "learner-03").id
    body = client.get(f"/api/v1/enrollments/{enrollment_id}", headers=cohort).json
    assert body["learner_ref"] == "learner-03" and body["outcome"] == "stayed"
    assert body["course"]["code"] == "RUN" and body["course"]["status"] == "running"
    assert [day["day"] for day in body["days"]] == [0, 2]
    first, third = body["days"]
    assert (first["video"], first["total"], first["server"], first["browser"]) == (1, 1, None, None)
    assert (third["problem"], third["wiki"], third["total"]) == (2, 1, 3)
    assert (third["server"], third["browser"]) == (2, 1)
    start = date.fromisoformat(body["course"]["start_date"])
    assert third["date"] == (start + timedelta(days=2)).isoformat()


def test_unknown_course_or_enrollment_is_404(client, cohort):
    for path in (
        "/api/v1/courses/NOPE",
        "/api/v1/courses/NOPE/enrollments",
        "/api/v1/courses/RUN/x",
        "/api/v1/enrollments/999999",
    ):
        assert_error(client.get(path, headers=cohort), 404)


def test_students_and_anonymous_callers_are_refused(app, client, cohort, make_user, bearer):
    with app.app_context():
        enrollment_id = Enrollment.select().first().id
    paths = (
        "/api/v1/courses",
        "/api/v1/courses/RUN",
        "/api/v1/courses/RUN/enrollments",
    )
    student = bearer(make_user("student"))
    anonymous = app.test_client()
    for path in paths:
        error = assert_error(client.get(path, headers=student), 403, "forbidden")
        assert "RUN" not in str(error)
        assert_error(anonymous.get(path), 401)
    # Any signed-in user may ask for an enrollment; one not linked to them does not exist for them.
    error = assert_error(client.get(f"/api/v1/enrollments/{enrollment_id}", headers=student), 404)
    assert "RUN" not in str(error)
    assert_error(anonymous.get(f"/api/v1/enrollments/{enrollment_id}"), 401)


def test_the_visibility_rule_hides_every_course_from_a_non_administrator(app, cohort, make_user):
    """One rule decides (services.courses.visible_courses): a course someone may not see is not found."""
    student = make_user("student")
    with app.app_context():
        viewer = User.get_by_id(student.id)
        enrollment_id = Enrollment.select().first().id
        assert list(courses.visible_courses(viewer)) == []
        assert courses.courses(viewer) == []
        with pytest.raises(NotFound):
            courses.require_course(viewer, "RUN")
        with pytest.raises(NotFound):
            courses.require_enrollment(viewer, enrollment_id)


def test_an_admin_sets_and_clears_a_courses_level_shares_over_the_api(app, client, make_user, bearer):
    with app.app_context():
        store_course("SHARES-API", np.zeros((2, 30, 7), dtype=int))
    admin = bearer(make_user("admin"))
    path = "/api/v1/courses/SHARES-API/level-shares"
    response = client.put(path, json={"high": 0.1, "medium": 0.4}, headers=admin)
    assert response.status_code == 200, response.json
    assert response.json == {"course": "SHARES-API", "high": 0.1, "medium": 0.4, "source": "course"}
    with app.app_context():
        assert Course.by_code("SHARES-API").level_shares == [0.1, 0.4]
    # Refused with the API's error shape, the course's shares unchanged.
    for body in ({"high": 0.7, "medium": 0.4}, {"high": 1.2, "medium": 0.1}, {"high": 0.1, "medium": None}):
        assert_error(client.put(path, json=body, headers=admin), 422)
    fine = {"high": 0.2, "medium": 0.2}
    assert_error(client.put(path, json=fine, headers=bearer(make_user("tutor"))), 403)
    assert_error(client.put("/api/v1/courses/NOPE/level-shares", json=fine, headers=admin), 404)
    with app.app_context():
        assert Course.by_code("SHARES-API").level_shares == [0.1, 0.4]
    cleared = client.put(path, json={"high": None, "medium": None}, headers=admin)
    assert cleared.json == {"course": "SHARES-API", "high": 0.2, "medium": 0.3, "source": "deployment"}
