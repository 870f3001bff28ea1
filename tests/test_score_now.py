"""Score now through the API: a course's tutor or an administrator scores it and follows the job; a
tutor of another course and a student are refused; an import scores its courses when the setting is on."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from tests.digests import DAY, daily_csv, running_course
from tests.helpers import assert_error, early_warning_version, wait_for_job


@pytest.fixture
def courses(app, make_user, bearer):
    """Running courses SA (tutor-a) and SB (tutor-b) at their day 16, never scored; an active
    early-warning version; headers by name."""
    from services.tutoring import tutors

    early_warning_version(app)
    accounts = {
        "admin": make_user("admin"),
        "tutor-a": make_user("tutor", "tutor-a"),
        "tutor-b": make_user("tutor", "tutor-b"),
        "student": make_user("student"),
    }
    with app.app_context():
        running_course("SA", 11, enrollments=12)
        running_course("SB", 12, enrollments=12)
        tutors.assign_tutor(None, "tutor-a", "SA")
        tutors.assign_tutor(None, "tutor-b", "SB")
    return {name: bearer(account) for name, account in accounts.items()}


def _scored_days(app, code: str) -> dict[int, int]:
    from db.courses import Course
    from db.early_warning import EnrollmentPrediction

    with app.app_context():
        return EnrollmentPrediction.counts_by_day(Course.by_code(code))


def test_a_tutor_scores_their_course_now_and_follows_the_job(app, client, courses):
    assert _scored_days(app, "SA") == {}
    response = client.post("/api/v1/courses/SA/score", headers=courses["tutor-a"])
    assert response.status_code == 202, response.json
    job = wait_for_job(client, courses["tutor-a"], response.json["id"])
    assert job["status"] == "succeeded", job
    assert job["result"]["day"] == DAY and job["result"]["enrollments"] == 12
    assert _scored_days(app, "SA") == {DAY: 12}
    at_risk = client.get("/api/v1/courses/SA/at-risk", headers=courses["tutor-a"]).json
    assert at_risk["day"] == DAY and len(at_risk["items"]) == 12
    # Another tutor cannot read the job (it is not theirs): not found.
    assert_error(client.get(f"/api/v1/jobs/{job['id']}", headers=courses["tutor-b"]), 404)
    assert client.get(f"/api/v1/jobs/{job['id']}", headers=courses["admin"]).status_code == 200


def test_a_tutor_of_another_course_and_a_student_are_refused(app, client, courses):
    for name in ("tutor-b", "student"):
        assert_error(client.post("/api/v1/courses/SA/score", headers=courses[name]), 403, "forbidden")
    assert_error(client.post("/api/v1/courses/NOPE/score", headers=courses["tutor-a"]), 404)
    assert _scored_days(app, "SA") == {}
    admin = client.post("/api/v1/courses/SB/score", headers=courses["admin"], json={"day": 14})
    assert admin.status_code == 202
    assert wait_for_job(client, courses["admin"], admin.json["id"])["status"] == "succeeded"
    assert _scored_days(app, "SB") == {14: 12}


def _import(client, headers, code: str) -> dict:
    from db.tables import utcnow

    start = (utcnow().date() - timedelta(days=DAY)).isoformat()
    data = {"file": (io.BytesIO(daily_csv(code)), f"{code}.csv"), "start": start, "days": "30"}
    response = client.post(
        "/api/v1/activity/import", data=data, headers=headers, content_type="multipart/form-data"
    )
    assert response.status_code == 202, response.json
    job = wait_for_job(client, headers, response.json["id"])
    assert job["status"] == "succeeded", job
    return job["result"]


@pytest.mark.parametrize("setting", [False, True])
def test_an_import_scores_its_running_course_when_the_setting_is_on(
    app, client, make_user, bearer, monkeypatch, setting
):
    early_warning_version(app)
    monkeypatch.setitem(app.config, "EARLY_WARNING_SCORE_AFTER_IMPORT", setting)
    headers = bearer(make_user("admin"))
    report = _import(client, headers, "IMP")
    assert report["courses"] == ["IMP"]
    if not setting:
        assert report["scoring_jobs"] == [] and _scored_days(app, "IMP") == {}
        return
    [scoring_job] = report["scoring_jobs"]
    assert wait_for_job(client, headers, scoring_job)["status"] == "succeeded"
    assert _scored_days(app, "IMP") == {DAY: 12}
