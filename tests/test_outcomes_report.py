"""The outcomes report over the API: figures worked out by hand on a small course
(tests/outcomes_data.py), the message when no outcomes are known, and who may read it."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import assert_error, store_course
from tests.outcomes_data import EXPECTED, outcomes_course


def _report(client, headers, code: str):
    return client.get(f"/api/v1/courses/{code}/outcomes-report", headers=headers)


def test_the_report_gives_the_figures_worked_out_by_hand(app, client, make_user, bearer):
    code, versions = outcomes_course(app)
    response = _report(client, bearer(make_user("admin")), code)
    assert response.status_code == 200, response.json
    report = response.json
    assert report["course"] == code and report["flag_level"] == "High"
    assert report["outcomes"] == {"dropped": 4, "stayed": 6, "unknown": 1}
    assert report["outcomes_status"] == "partial"
    assert "known for 10 of 11 enrollments" in report["message"]

    assert [row["checkpoint"] for row in report["checkpoints"]] == [7, 14]
    for row, expected in zip(report["checkpoints"], EXPECTED["checkpoints"], strict=True):
        assert row == pytest.approx(expected)

    contacts = report["contacts"]
    assert contacts["flagged"] == 9
    assert contacts["contacted"] == pytest.approx(EXPECTED["contacts"]["contacted"])
    assert contacts["not_contacted"] == pytest.approx(EXPECTED["contacts"]["not_contacted"])
    assert "observation, not a causal effect" in contacts["note"].lower()
    assert contacts["difference"] == pytest.approx(1 / 3 - 2 / 5) and contacts["verdict"] == "too_few"
    assert contacts["low"] < contacts["difference"] < contacts["high"]

    nudges = report["nudges"]  # the randomised sends only, each learner in their first group
    assert nudges["nudged"] == pytest.approx(EXPECTED["nudged"])
    assert nudges["held_back"] == pytest.approx(EXPECTED["held_back"])
    assert nudges["difference"] == pytest.approx(1 / 6) and nudges["verdict"] == "too_few"
    assert nudges["says"].startswith("Too few learners to tell: 4 against 3 with a known outcome")

    rows = report["model_versions"]
    assert [row["version"] for row in rows] == [v.version for v in versions]
    assert [row["label"] for row in rows] == [f"v{v.version}" for v in versions]
    for row, expected, share in zip(rows, EXPECTED["model_versions"], EXPECTED["marked_share"], strict=True):
        assert {key: row[key] for key in expected} == expected
        assert row["marked_share"] == pytest.approx(share)


def test_a_course_without_outcomes_says_so(app, client, make_user, bearer):
    with app.app_context():
        store_course("NONE-1", np.zeros((3, 30, 7), dtype=int))
    report = _report(client, bearer(make_user("admin")), "NONE-1").json
    assert report["outcomes_status"] == "none"
    assert report["message"].startswith("No outcomes are known for this course yet")
    assert report["checkpoints"] == [] and report["contacts"] is None and report["nudges"] is None


def test_a_course_with_outcomes_but_no_scores_says_so(app, client, make_user, bearer):
    from db.courses import Enrollment

    with app.app_context():
        course = store_course("UNSCORED", np.zeros((2, 30, 7), dtype=int))
        Enrollment.update(dropped_out=False).where(Enrollment.course == course).execute()
    report = _report(client, bearer(make_user("admin")), "UNSCORED").json
    assert report["outcomes_status"] == "complete"
    assert report["message"] == "This course has not been scored yet: no flags to judge."
    assert report["checkpoints"] == [] and report["contacts"]["flagged"] == 0


def test_a_tutor_reads_only_their_courses_report(app, client, make_user, bearer):
    from db.tutoring import CourseTutor

    code, _ = outcomes_course(app)
    tutor = make_user("tutor")
    with app.app_context():
        other = store_course("OTHER-1", np.zeros((2, 30, 7), dtype=int))
        CourseTutor.create(course=other.id, user=tutor.id)
    headers = bearer(tutor)
    assert_error(_report(client, headers, code), 404, "not_found")
    assert _report(client, headers, "OTHER-1").status_code == 200
    assert_error(_report(client, headers, "NO-SUCH"), 404, "not_found")
    assert_error(_report(client, bearer(make_user("student")), code), 403, "forbidden")


def _page_text(app, account, code: str) -> str:
    import dash
    from flask_jwt_extended import create_access_token

    entry = next(e for e in dash.page_registry.values() if e["path"] == "/course-outcomes")
    with app.app_context():
        token = create_access_token(identity=str(account.id), additional_claims={"epoch": 0, "sid": "t"})
    headers = {"Cookie": f"access_token_cookie={token}"}
    with app.test_request_context(f"/course-outcomes?code={code}", headers=headers):
        return str(entry["layout"](code=code).to_plotly_json())


def test_the_page_shows_a_tutor_only_their_courses_report(app, make_user):
    from db.tutoring import CourseTutor

    code, _ = outcomes_course(app)
    tutor = make_user("tutor")
    with app.app_context():
        other = store_course("OTHER-2", np.zeros((2, 30, 7), dtype=int))
        CourseTutor.create(course=other.id, user=tutor.id)
    hidden = _page_text(app, tutor, code)
    assert f"No course {code}." in hidden and "course-outcomes-checkpoints" not in hidden
    assert "Outcomes report: OTHER-2" in _page_text(app, tutor, "OTHER-2")
    assert "Not allowed" in _page_text(app, make_user("student"), code)
