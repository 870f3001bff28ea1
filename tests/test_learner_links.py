"""Linking a student's account to their enrollment: only an administrator links, on the
command line or over the API; the linked student then finds the course and opens their own activity."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from db.courses import Enrollment
from db.tables import User
from services import learner_links
from services.errors import Conflict
from tests.helpers import TEST_DATABASE_URL, assert_error, store_course

LEARNERS = 3


@pytest.fixture
def course(app):
    counts = np.zeros((LEARNERS, 30, 7), dtype=np.int64)
    counts[:, 2, 0] = [4, 0, 1]
    with app.app_context():
        store_course("LNK-1", counts, title="Linked course")
        return {e.learner_ref: e.id for e in Enrollment.select()}


def test_the_command_line_links_and_unlinks_and_explains_bad_input(app, make_user, course):
    student, other = make_user(), make_user()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["link-learner", student.username, "LNK-1", "LNK-1-L0"])
    assert first.exit_code == 0 and "now linked to LNK-1-L0 in LNK-1" in first.output
    again = runner.invoke(args=["link-learner", student.username, "LNK-1", "LNK-1-L0"])
    assert again.exit_code == 0 and "already linked" in again.output
    taken = runner.invoke(args=["link-learner", other.username, "LNK-1", "LNK-1-L0"])
    assert taken.exit_code != 0 and "linked to another account" in taken.output
    for args, reason in (
        (["link-learner", "nobody", "LNK-1", "LNK-1-L0"], "No user nobody"),
        (["link-learner", student.username, "NOPE", "LNK-1-L0"], "No course NOPE"),
        (["link-learner", student.username, "LNK-1", "ghost"], "No learner ghost in LNK-1"),
    ):
        result = runner.invoke(args=args)
        assert result.exit_code != 0 and reason in result.output
    removed = runner.invoke(args=["unlink-learner", "LNK-1", "LNK-1-L0"])
    assert removed.exit_code == 0 and "unlinked" in removed.output
    assert "was not linked" in runner.invoke(args=["unlink-learner", "LNK-1", "LNK-1-L0"]).output


def test_a_linked_student_finds_their_course_and_opens_only_their_own_enrollment(
    client, make_user, bearer, course
):
    admin, student = make_user("admin"), make_user()
    mine, theirs = course["LNK-1-L0"], course["LNK-1-L1"]
    assert client.get(f"/api/v1/enrollments/{mine}", headers=bearer(student)).status_code == 404
    assert client.get("/api/v1/me/enrollments", headers=bearer(student)).json["items"] == []

    linked = client.put(
        f"/api/v1/enrollments/{mine}/account", json={"username": student.username}, headers=bearer(admin)
    )
    assert linked.status_code == 200
    assert linked.json == {
        "enrollment": mine,
        "course": "LNK-1",
        "learner_ref": "LNK-1-L0",
        "username": student.username,
        "changed": True,
    }
    items = client.get("/api/v1/me/enrollments", headers=bearer(student)).json["items"]
    assert [(i["enrollment"], i["course"], i["title"]) for i in items] == [(mine, "LNK-1", "Linked course")]
    own = client.get(f"/api/v1/enrollments/{mine}", headers=bearer(student))
    assert own.status_code == 200 and own.json["days"][0]["total"] == 4
    assert own.json["risk"] is None and own.json["actions"] is None
    assert client.get(f"/api/v1/enrollments/{theirs}", headers=bearer(student)).status_code == 404

    unlinked = client.put(
        f"/api/v1/enrollments/{mine}/account", json={"username": None}, headers=bearer(admin)
    )
    assert unlinked.json["username"] is None and unlinked.json["changed"] is True
    assert client.get(f"/api/v1/enrollments/{mine}", headers=bearer(student)).status_code == 404


def test_only_an_administrator_links_and_bad_bodies_say_why(app, client, make_user, bearer, course):
    admin, tutor, student = make_user("admin"), make_user("tutor"), make_user()
    url = f"/api/v1/enrollments/{course['LNK-1-L0']}/account"
    for account in (tutor, student):
        assert_error(client.put(url, json={"username": student.username}, headers=bearer(account)), 403)
    assert_error(app.test_client().put(url, json={"username": student.username}), 401)  # no cookies
    assert_error(client.put(url, json={}, headers=bearer(admin)), 422)
    assert_error(client.put(url, json={"username": "nobody"}, headers=bearer(admin)), 404)
    assert_error(
        client.put("/api/v1/enrollments/999999/account", json={"username": None}, headers=bearer(admin)), 404
    )
    client.put(url, json={"username": student.username}, headers=bearer(admin))
    assert_error(client.put(url, json={"username": tutor.username}, headers=bearer(admin)), 409)


def _waiting_on_locks(cursor) -> int:
    """How many sessions of this database wait for a lock."""
    cursor.execute(
        "SELECT COUNT(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    return cursor.fetchone()[0]


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="two sessions blocked on one row lock: PostgreSQL")
def test_two_admins_linking_two_accounts_to_one_enrollment_at_once_only_one_wins(app, make_user, course):
    import psycopg2

    admin, students = make_user("admin"), (make_user(), make_user())
    outcomes: dict[str, object] = {}

    def link(username: str) -> None:
        with app.app_context():
            try:
                outcomes[username] = learner_links.link_learner(
                    User.get_by_id(admin.id), username, "LNK-1", "LNK-1-L0"
                )
            except Conflict as error:
                outcomes[username] = error

    # A third session holds the enrollment's row, so both admins read it unlinked and then wait to
    # write: the moment the race needs, caused for real.
    holder = psycopg2.connect(TEST_DATABASE_URL)
    try:
        cursor = holder.cursor()
        cursor.execute("SELECT id FROM enrollments WHERE id = %s FOR UPDATE", (course["LNK-1-L0"],))
        threads = [threading.Thread(target=link, args=(student.username,)) for student in students]
        for thread in threads:
            thread.start()
        watcher = psycopg2.connect(TEST_DATABASE_URL)
        watcher.autocommit = True
        deadline = time.monotonic() + 30
        while _waiting_on_locks(watcher.cursor()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        both_waited = _waiting_on_locks(watcher.cursor()) >= 2
        watcher.close()
        holder.commit()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        holder.close()
    assert both_waited
    winners = [name for name, outcome in outcomes.items() if isinstance(outcome, learner_links.Link)]
    losers = [outcome for outcome in outcomes.values() if isinstance(outcome, Conflict)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert "linked to another account; unlink it first" in str(losers[0])
    with app.app_context():
        linked = Enrollment.get_by_id(course["LNK-1-L0"]).user_id
        assert linked == User.get(User.username == winners[0]).id
