"""Learners' contact details: imported from a CSV (API and CLI) with every bad row reported by its
line, stored per enrollment, and shown only to the course's tutors and administrators."""

from __future__ import annotations

import numpy as np
import pytest

from db.courses import Enrollment
from db.models import User
from db.nudges import LearnerContact
from db.tutoring import CourseTutor
from services import enrollment_view
from services.errors import NotFound
from tests.helpers import assert_error, store_course

CSV = (
    "learner_ref,email,name,course_id\n"
    "CA-L0,ada@example.org,Ada,CA\n"  # line 2: one course
    "CA-L1,not-an-email,Bob,CA\n"  # line 3: invalid email
    "NOBODY,who@example.org,Who,\n"  # line 4: unknown learner
    "SHARED,sam@example.org,Sam,\n"  # line 5: every enrollment of SHARED (two courses)
    "CA-L2,cy@example.org,Cy,ZZ\n"  # line 6: unknown course
)


def _courses():
    counts = np.ones((3, 5, 7), dtype=int)
    first, second = store_course("CA", counts, days=5), store_course("CB", counts, days=5)
    for course in (first, second):
        Enrollment.create(course=course.id, learner_ref="SHARED")
    return first, second


def _stored() -> dict[str, str]:
    query = LearnerContact.select(LearnerContact, Enrollment).join(Enrollment)
    return {f"{row.enrollment.learner_ref}@{row.enrollment.course_id}": row.email for row in query}


def test_the_api_stores_the_good_rows_and_reports_each_bad_one_with_its_line(app, client, make_user, bearer):
    admin = make_user("admin")
    with app.app_context():
        first, second = _courses()
    response = client.post(
        "/api/v1/activity/contacts", data=CSV, headers={**bearer(admin), "Content-Type": "text/csv"}
    )
    assert response.status_code == 200, response.json
    report = response.json
    assert (report["lines_read"], report["stored"], report["rejected"]) == (5, 3, 3)
    assert report["first_rejections"] == [
        {"line": 3, "reason": "invalid email: 'not-an-email'"},
        {"line": 4, "reason": "unknown learner: 'NOBODY' is in no course"},
        {"line": 6, "reason": "unknown course: 'ZZ'"},
    ]
    with app.app_context():
        assert _stored() == {
            f"CA-L0@{first.id}": "ada@example.org",
            f"SHARED@{first.id}": "sam@example.org",
            f"SHARED@{second.id}": "sam@example.org",
        }


def test_an_import_that_stores_nothing_fails_with_every_line(app, client, make_user, bearer):
    admin = make_user("admin")
    with app.app_context():
        _courses()
    bad = "learner_ref,email\nCA-L0,nope\nGHOST,g@example.org\n"
    error = assert_error(
        client.post(
            "/api/v1/activity/contacts", data=bad, headers={**bearer(admin), "Content-Type": "text/csv"}
        ),
        422,
    )
    assert error["fields"] == {
        "line 2": "invalid email: 'nope'",
        "line 3": "unknown learner: 'GHOST' is in no course",
    }
    student = make_user()
    assert (
        client.post(
            "/api/v1/activity/contacts", data=CSV, headers={**bearer(student), "Content-Type": "text/csv"}
        ).status_code
        == 403
    )


def test_the_cli_takes_the_course_for_rows_without_one(app, tmp_path):
    with app.app_context():
        first, _second = _courses()
    path = tmp_path / "contacts.csv"
    path.write_text("learner_ref,email\nSHARED,sam@example.org\nCA-L1,bad@\n")
    result = app.test_cli_runner().invoke(args=["import-contacts", str(path), "--course", "CA"])
    assert result.exit_code == 0, result.output
    assert "2 rows read, 1 contacts stored, 1 rejected" in result.output
    assert "line 3: invalid email: 'bad@'" in result.output
    with app.app_context():
        assert _stored() == {f"SHARED@{first.id}": "sam@example.org"}


def test_contact_details_are_shown_to_the_course_staff_only(app, make_user):
    from dashboard.pages import enrollment as page

    tutor, stranger, student, admin = make_user("tutor"), make_user("tutor"), make_user(), make_user("admin")
    with app.app_context():
        first, second = _courses()
        CourseTutor.create(course=first.id, user=tutor.id)
        CourseTutor.create(course=second.id, user=stranger.id)
        learner = Enrollment.by_ref(first, "CA-L0")
        Enrollment.update(user=student.id).where(Enrollment.id == learner.id).execute()
        LearnerContact.create(enrollment=learner.id, email="ada@example.org", name="Ada")

        def shown(account) -> str:
            return str(page.render(enrollment_view.enrollment_view(User.get_by_id(account.id), learner.id)))

        assert "Ada <ada@example.org>" in shown(tutor) and "Ada <ada@example.org>" in shown(admin)
        assert "ada@example.org" not in shown(student)
        with pytest.raises(NotFound):
            shown(stranger)


def test_the_api_takes_the_file_as_multipart_with_its_course(app, client, make_user, bearer):
    import io

    admin = make_user("admin")
    with app.app_context():
        first, _second = _courses()
    body = {"file": (io.BytesIO(b"learner_ref,email\nSHARED,sam@example.org\n"), "c.csv"), "course": "CA"}
    response = client.post("/api/v1/activity/contacts", data=body, headers=bearer(admin))
    assert response.status_code == 200, response.json
    assert (response.json["file_name"], response.json["stored"]) == ("c.csv", 1)
    with app.app_context():
        assert _stored() == {f"SHARED@{first.id}": "sam@example.org"}
