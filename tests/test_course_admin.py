"""An administrator edits a course's title and window (stored activity keeps its dates) and removes a
course with everything stored about it, through the API; tutors and students cannot."""

from __future__ import annotations

from datetime import timedelta

import pytest

from db.connection import database
from db.courses import ActivityDay, Course, Enrollment
from db.early_warning import EnrollmentPrediction
from db.tables import Activity, utcnow
from db.tutoring import CourseTutor, EnrollmentAction
from tests.helpers import assert_error, scored_course

URL = "/api/v1/courses/{}"


@pytest.fixture
def course(app):
    """A running course (today its day 20): learner 0 active on days 3 and 12, learner 1 on day 5,
    scored at days 7 and 14."""
    with app.app_context():
        found, ids = scored_course("EDIT-1", {7: (1, [0.2, 0.9]), 14: (2, [0.3, 0.8])}, {0: [3, 12], 1: [5]})
    return found, ids


def _dated_activity(app, code: str) -> set[tuple[str, str, int]]:
    """(learner, calendar date, video count) of every stored activity day of the course."""
    with app.app_context():
        found = Course.by_code(code)
        rows = (
            ActivityDay.select(Enrollment.learner_ref, ActivityDay.day, ActivityDay.navigate)
            .join(Enrollment, on=(ActivityDay.enrollment == Enrollment.id))
            .where(ActivityDay.course == found.id)
            .tuples()
        )
        return {(ref, str(found.start_date + timedelta(days=day)), n) for ref, day, n in rows}


def _prediction_dates(app, code: str) -> set[tuple[int, str]]:
    with app.app_context():
        found = Course.by_code(code)
        rows = EnrollmentPrediction.select(EnrollmentPrediction.enrollment, EnrollmentPrediction.day).where(
            EnrollmentPrediction.course == found
        )
        return {(row.enrollment_id, str(found.start_date + timedelta(days=row.day))) for row in rows}


def test_an_earlier_start_keeps_every_activity_day_and_prediction_on_its_date(
    app, client, make_user, bearer, course
):
    headers = bearer(make_user("admin"))
    before, predicted = _dated_activity(app, "EDIT-1"), _prediction_dates(app, "EDIT-1")
    new_start = (course[0].start_date - timedelta(days=4)).isoformat()
    changes = {"start_date": new_start, "title": "Edited", "length_days": 40}
    response = client.patch(URL.format("EDIT-1"), json=changes, headers=headers)
    assert response.status_code == 200, response.json
    assert (response.json["start_date"], response.json["title"], response.json["length_days"]) == (
        new_start, "Edited", 40,
    )
    assert response.json["current_day"] == 24
    assert _dated_activity(app, "EDIT-1") == before
    assert _prediction_dates(app, "EDIT-1") == predicted
    with app.app_context():
        days = sorted(day for (day,) in ActivityDay.select(ActivityDay.day).tuples())
        logged = Activity.select().where(Activity.action == "course_update").get()
    assert days == [7, 9, 16]
    assert logged.detail["before"]["title"] == "EDIT-1" and logged.detail["after"]["length_days"] == 40


def test_a_window_that_would_leave_activity_out_is_refused_and_changes_nothing(
    app, client, make_user, bearer, course
):
    headers = bearer(make_user("admin"))
    before = _dated_activity(app, "EDIT-1")
    later = (course[0].start_date + timedelta(days=4)).isoformat()
    error = assert_error(client.patch(URL.format("EDIT-1"), json={"start_date": later}, headers=headers), 422)
    assert "holds activity from" in error["message"] and "start_date" in error["fields"]
    error = assert_error(client.patch(URL.format("EDIT-1"), json={"length_days": 12}, headers=headers), 422)
    assert "length_days" in error["fields"]
    assert _dated_activity(app, "EDIT-1") == before
    with app.app_context():
        assert Course.by_code("EDIT-1").length_days == 30


@pytest.mark.parametrize(
    "body",
    [{}, {"title": ""}, {"start_date": "2026-02-30"}, {"length_days": 0}, {"length_days": 4000},
     {"code": "X"}],
)
def test_bad_changes_are_422(client, make_user, bearer, course, body):
    assert_error(client.patch(URL.format("EDIT-1"), json=body, headers=bearer(make_user("admin"))), 422)


def test_only_an_administrator_edits_or_removes_a_course(app, client, make_user, bearer, course):
    tutor = make_user("tutor")
    with app.app_context():
        CourseTutor.create(course=course[0], user=tutor.id)
    for account in (tutor, make_user("student")):
        headers = bearer(account)
        assert_error(client.patch(URL.format("EDIT-1"), json={"title": "x"}, headers=headers), 403)
        assert_error(client.delete(URL.format("EDIT-1"), headers=headers), 403)
    admin = bearer(make_user("admin"))
    assert_error(client.patch(URL.format("NOPE"), json={"title": "x"}, headers=admin), 404)
    assert_error(client.delete(URL.format("NOPE"), headers=admin), 404)


def test_removing_a_course_removes_everything_stored_about_it_and_nothing_else(
    app, client, make_user, bearer, course
):
    found, ids = course
    tutor, student = make_user("tutor"), make_user("student")
    with app.app_context():
        scored_course("KEEP-1", {7: (1, [0.5])}, {0: [1]})
        CourseTutor.create(course=found, user=tutor.id)
        EnrollmentAction.create(
            enrollment=ids["EDIT-1-L1"], course=found, user=tutor.id, kind="contacted", channel="email"
        )
        Enrollment.update(user=student.id).where(Enrollment.id == ids["EDIT-1-L0"]).execute()
        kept = {table: _rows(table) for table in database.get_tables()}
    response = client.delete(URL.format("EDIT-1"), headers=bearer(make_user("admin")))
    assert response.status_code == 200, response.json
    assert response.json == {
        "code": "EDIT-1", "enrollments": 2, "activity_days": 3, "predictions": 4, "actions": 1, "tutors": 1,
        "linked_accounts": 1,
    }
    with app.app_context():
        assert Course.codes() == ["KEEP-1"]
        for model in (Enrollment, ActivityDay, EnrollmentPrediction, EnrollmentAction, CourseTutor):
            table = model._meta.table_name
            assert _rows(table) == kept[table] - _removed(table), table
        assert ActivityDay.select().count() == 1 and EnrollmentPrediction.select().count() == 1
        assert Activity.select().where(Activity.action == "course_delete").count() == 1
    login = {"username": student.username, "password": student.password}
    signed_in = client.post("/api/v1/auth/login", json=login)
    assert signed_in.status_code == 200  # the linked account is kept
    assert_error(client.delete(URL.format("EDIT-1"), headers=bearer(make_user("admin"))), 404)


def _rows(table: str) -> int:
    return database.execute_sql(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]


def _removed(table: str) -> int:
    """Rows of each table the removal of EDIT-1 takes."""
    return {"enrollments": 2, "activity_days": 3, "enrollment_predictions": 4, "enrollment_actions": 1,
            "course_tutors": 1}[table]


def test_a_finished_course_can_be_moved_to_today(app, client, make_user, bearer):
    """A course created from an old file's dates (all its activity then) can be given a new window only
    by keeping those dates; a course with no activity can move anywhere."""
    with app.app_context():
        Course.create(code="EMPTY-1", title="empty", start_date=utcnow().date() - timedelta(days=5000))
    today = utcnow().date().isoformat()
    admin = bearer(make_user("admin"))
    response = client.patch(URL.format("EMPTY-1"), json={"start_date": today}, headers=admin)
    assert response.status_code == 200 and response.json["status"] == "running"
