"""Administrators' changes to accounts: sessions end for good, an active administrator remains."""

from __future__ import annotations

import threading

import requests

from tests.helpers import assert_error


def test_reactivation_does_not_revive_old_sessions(client, make_user, bearer, login):
    admin, student = make_user("admin"), make_user()
    admin_headers = bearer(admin)
    tokens = login(student)
    access = {"Authorization": f"Bearer {tokens['access_token']}"}
    refresh = {"Authorization": f"Bearer {tokens['refresh_token']}"}
    assert client.get("/api/v1/me", headers=access).status_code == 200
    client.patch(f"/api/v1/users/{student.id}", headers=admin_headers, json={"is_active": False})
    client.patch(f"/api/v1/users/{student.id}", headers=admin_headers, json={"is_active": True})
    assert_error(client.get("/api/v1/me", headers=access), 401)
    assert_error(client.post("/api/v1/auth/refresh", headers=refresh), 401)
    fresh = login(student)
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {fresh['access_token']}"}).status_code
        == 200
    )


def _remove_each_other(live_server: str, pair, headers, change: dict) -> list[int]:
    """Two administrators send their change to each other at the same moment; the statuses."""
    start = threading.Barrier(2)
    statuses: list[int] = []

    def remove(target_id: int, auth: dict) -> None:
        start.wait()
        response = requests.patch(
            f"{live_server}/api/v1/users/{target_id}", headers=auth, json=change, timeout=30
        )
        statuses.append(response.status_code)

    threads = [
        threading.Thread(target=remove, args=(pair[1].id, headers[0])),
        threading.Thread(target=remove, args=(pair[0].id, headers[1])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(statuses)


def test_two_admins_removing_each_other_at_once_leave_one(app, live_server, make_user, bearer):
    from db.tables import User

    for trial in range(6):
        change = {"role": "student"} if trial % 2 else {"is_active": False}
        pair = (make_user("admin"), make_user("admin"))
        headers = (bearer(pair[0]), bearer(pair[1]))
        with app.app_context():
            # Only this pair may be admins, so the rule is about them.
            User.update(role="student").where(User.id.not_in([pair[0].id, pair[1].id])).execute()
        statuses = _remove_each_other(live_server, pair, headers, change)
        assert statuses[0] == 200 and statuses[1] in (401, 403, 409), statuses
        with app.app_context():
            remaining = User.locked_active_admin_ids()
        assert len(remaining) == 1, (trial, statuses)
        with app.app_context():
            User.delete().where(User.id.in_([pair[0].id, pair[1].id])).execute()
