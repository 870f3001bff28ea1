"""Learners' contact details: imported from a CSV (API and CLI) with every bad row reported by its
line, stored per enrollment, and shown only to the course's tutors and administrators."""

from __future__ import annotations

import numpy as np
import pytest

from db.courses import Enrollment
from db.nudges import LearnerContact
from db.tables import User
from db.tutoring import CourseTutor
from services import enrollment_timeline
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
            return str(
                page.render(enrollment_timeline.enrollment_view(User.get_by_id(account.id), learner.id))
            )

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


def _said(actor: dict, when: str = "2024-03-01T10:00:00Z", course: str = "XC") -> dict:
    return {
        "actor": actor,
        "verb": {"id": "https://w3id.org/xapi/video/verbs/played"},
        "object": {"id": "https://lms.example.org/video/1"},
        "context": {"contextActivities": {"parent": [{"id": course}]}},
        "timestamp": when,
    }


def _account(ref: str, **more) -> dict:
    return {"account": {"homePage": "https://lms.example.org", "name": ref}, **more}


def _contacts_by_ref() -> dict[str, tuple[str, str]]:
    query = LearnerContact.select(LearnerContact, Enrollment).join(Enrollment)
    return {row.enrollment.learner_ref: (row.email, row.name) for row in query}


def test_an_xapi_actors_mailbox_becomes_the_contact_of_an_enrollment_without_one(app, tmp_path):
    import json
    from datetime import date

    from services.ingest import import_file
    from services.tutoring.contacts import import_contacts

    statements = [
        _said(_account("u1", mbox="mailto:ada@example.org", name="Ada Lovelace")),
        _said(_account("u1", mbox="mailto:ada.new@example.org"), "2024-03-02T10:00:00Z"),  # the latest wins
        _said({"mbox": "mailto:bob@example.org"}),  # the mailbox is the learner reference too
        _said(_account("u3", mbox="mailto:not-an-address")),  # unusable: the activity is kept, no contact
        _said(_account("u4", mbox="mailto:csv-wins@example.org")),
    ]
    path = tmp_path / "statements.json"
    path.write_text(json.dumps(statements))
    with app.app_context():
        course = store_course("XC", np.zeros((1, 30, 7), dtype=int), start=date(2024, 2, 26))
        Enrollment.create(course=course.id, learner_ref="u4")
        import_contacts("learner_ref,email,name\nu4,chosen@example.org,Dee\n", course="XC")
        report = import_file(path, fmt="xapi", course="XC")
        assert report.rejected == 0 and report.rows_imported == 5
        assert _contacts_by_ref() == {
            "u1": ("ada.new@example.org", ""),
            "mailto:bob@example.org": ("bob@example.org", ""),
            "u4": ("chosen@example.org", "Dee"),  # imported from a CSV: not replaced
        }
        # A later statement does not replace a contact; a CSV import does.
        path.write_text(
            json.dumps([_said(_account("u1", mbox="mailto:other@example.org"), "2024-03-03T10:00:00Z")])
        )
        import_file(path, fmt="xapi", course="XC")
        assert _contacts_by_ref()["u1"] == ("ada.new@example.org", "")
        import_contacts("learner_ref,email\nu1,fixed@example.org\n", course="XC")
        assert _contacts_by_ref()["u1"] == ("fixed@example.org", "")


def test_a_mailbox_pushed_to_the_lrs_is_the_contact_only_the_course_staff_see(app, client, make_user):
    import base64

    from services import api_keys

    with app.app_context():
        _row, secret = api_keys.create("lms", "ingest", may_create_courses=True, may_push_finished=True)
    token = base64.b64encode(f"{_row.prefix}:{secret}".encode()).decode()
    headers = {"Authorization": f"Basic {token}", "X-Experience-API-Version": "1.0.3"}
    statement = _said(
        {"objectType": "Agent", "name": "Cy", "mbox": "mailto:cy@example.org"},
        course="https://lms.example.org/course/9",
    )
    response = client.post("/api/v1/xapi/statements", json=[statement], headers=headers)
    assert response.status_code == 200, response.json
    tutor, stranger = make_user("tutor"), make_user("tutor")
    with app.app_context():
        assert _contacts_by_ref() == {"mailto:cy@example.org": ("cy@example.org", "Cy")}
        enrollment = Enrollment.get(Enrollment.learner_ref == "mailto:cy@example.org")
        CourseTutor.create(course=enrollment.course_id, user=tutor.id)
        seen = enrollment_timeline.enrollment_view(User.get_by_id(tutor.id), enrollment.id)
        assert seen["contact"]["email"] == "cy@example.org"
        with pytest.raises(NotFound):
            enrollment_timeline.enrollment_view(User.get_by_id(stranger.id), enrollment.id)
