"""The notifications API: a user lists and marks read only their own notifications (another user's id is
404), pages through them, filters the unread ones, and bad parameters or no sign-in answer in the API's
error shape."""

from __future__ import annotations

from datetime import timedelta

import pytest

from db.tables import User, utcnow
from db.tutoring import Notification
from services.tutoring import notifications
from tests.digests import scored_with_tutors
from tests.helpers import assert_error

API = "/api/v1/notifications"


def notify(app, account, count: int, start=None) -> list[int]:
    """`count` notifications for `account`, a minute apart (the last one newest); their ids."""
    start = start or utcnow() - timedelta(days=1)
    with app.app_context():
        return [
            Notification.create(
                user=account.id,
                kind="digest",
                title=f"{account.username} note {i}",
                body="C1: 1",
                link="/course?code=C1",
                payload={"run": i, "level": "High", "total": 1, "courses": []},
                created_at=start + timedelta(minutes=i),
            ).id
            for i in range(count)
        ]


def titles_of(payload: dict) -> list[str]:
    return [item["title"] for item in payload["items"]]


def test_a_tutor_lists_the_digest_of_their_courses_and_only_that(app, client, make_user, bearer):
    _, (_, a), (_, b) = scored_with_tutors(app, make_user)
    answer = client.get(API, headers=bearer(a))
    assert answer.status_code == 200, answer.json
    (item,) = answer.json["items"]
    assert answer.json["unread"] == 1 and answer.json["meta"]["total"] == 1
    assert item["kind"] == "digest" and item["read_at"] is None and item["link"] == "/course?code=NA"
    assert [course["code"] for course in item["payload"]["courses"]] == ["NA"]
    assert item["payload"]["courses"][0]["learners"][0]["reasons"]
    assert item["created_at"].endswith("Z")  # UTC, said so

    # b cannot read a's digest, nor mark it read: the same answer as an id that does not exist.
    assert_error(client.post(f"{API}/{item['id']}/read", headers=bearer(b)), 404, "not_found")
    assert_error(client.post(f"{API}/999999/read", headers=bearer(b)), 404, "not_found")
    assert client.get(API, headers=bearer(a)).json["unread"] == 1


def test_each_user_sees_and_marks_only_their_own(app, client, make_user, bearer):
    me, other = make_user("tutor"), make_user("tutor")
    mine, theirs = notify(app, me, 3), notify(app, other, 2)
    headers = bearer(me)

    listing = client.get(API, headers=headers).json
    assert titles_of(listing) == [f"{me.username} note {i}" for i in (2, 1, 0)]  # newest first
    assert listing["unread"] == 3

    marked = client.post(f"{API}/{mine[0]}/read", headers=headers)
    assert marked.status_code == 200 and marked.json["id"] == mine[0] and marked.json["read_at"]
    again = client.post(f"{API}/{mine[0]}/read", headers=headers)
    assert again.json["read_at"] == marked.json["read_at"]  # already read: keeps its time
    assert client.get(API, headers=headers).json["unread"] == 2

    assert_error(client.post(f"{API}/{theirs[0]}/read", headers=headers), 404, "not_found")
    everything = client.post(f"{API}/read-all", headers=headers)
    assert everything.status_code == 200 and everything.json == {"marked": 2, "unread": 0}
    assert client.post(f"{API}/read-all", headers=headers).json == {"marked": 0, "unread": 0}

    # The other user's notifications are untouched, and the bell (the same service) agrees.
    assert client.get(API, headers=bearer(other)).json["unread"] == 2
    with app.app_context():
        assert notifications.unread_count(User.get_by_id(other.id)) == 2
        assert notifications.unread_count(User.get_by_id(me.id)) == 0


def test_pages_and_the_unread_filter(app, client, make_user, bearer):
    student = make_user("student")
    ids = notify(app, student, 25)
    headers = bearer(student)
    for read in ids[:7]:  # the seven oldest are read
        client.post(f"{API}/{read}/read", headers=headers)

    seen = []
    for page in (1, 2, 3):
        answer = client.get(f"{API}?page={page}&per_page=10", headers=headers).json
        assert answer["meta"] == {"page": page, "per_page": 10, "total": 25, "pages": 3}
        assert answer["unread"] == 18
        seen += [item["id"] for item in answer["items"]]
    assert seen == ids[::-1]  # every one once, newest first
    assert client.get(f"{API}?page=4&per_page=10", headers=headers).json["items"] == []

    unread = client.get(f"{API}?unread=true&per_page=200", headers=headers).json
    assert [item["id"] for item in unread["items"]] == ids[7:][::-1]
    assert unread["meta"]["total"] == 18 and all(item["read_at"] is None for item in unread["items"])
    read = client.get(f"{API}?unread=false", headers=headers).json
    assert [item["id"] for item in read["items"]] == ids[:7][::-1] and read["unread"] == 18


@pytest.mark.parametrize(
    "query, field",
    [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page=1.5", "page"),
        ("page=99999999999999999999", "page"),
        ("per_page=0", "per_page"),
        ("per_page=201", "per_page"),
        ("per_page=", "per_page"),
        ("unread=maybe", "unread"),
        ("unread=", "unread"),
        ("unred=true", "unred"),
    ],
)
def test_bad_parameters_are_refused_with_the_field_named(client, make_user, bearer, query, field):
    error = assert_error(client.get(f"{API}?{query}", headers=bearer(make_user())), 422, "invalid")
    assert set(error["fields"]) == {field}


def test_ids_that_cannot_exist_are_not_found(client, make_user, bearer):
    headers = bearer(make_user())
    assert_error(client.post(f"{API}/1234567890123/read", headers=headers), 404)
    assert_error(client.post(f"{API}/abc/read", headers=headers), 404)
    assert_error(client.get(f"{API}/1", headers=headers), 404)
    assert_error(client.get(f"{API}/read-all", headers=headers), 405)


def test_without_signing_in_nothing_is_listed_or_marked(app, client, make_user):
    account = make_user("tutor")
    (note,) = notify(app, account, 1)
    for method, path in (("GET", API), ("POST", f"{API}/{note}/read"), ("POST", f"{API}/read-all")):
        assert_error(client.open(path, method=method), 401)
        assert_error(client.open(path, method=method, headers={"X-API-Key": "ssa_not-a-key"}), 401)
    with app.app_context():
        assert Notification.get_by_id(note).read_at is None


def test_the_openapi_document_describes_the_notifications(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    listing = paths[API]["get"]
    assert {p["name"] for p in listing["parameters"]} == {"page", "per_page", "unread"}
    assert "404" in paths[API + "/{notification_id}/read"]["post"]["responses"]
    assert "post" in paths[API + "/read-all"]
