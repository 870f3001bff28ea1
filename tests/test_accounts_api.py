"""The accounts API: register, sign-in, tokens, profile, users."""

from __future__ import annotations

from db.tables import Activity, User
from tests.helpers import PASSWORD, assert_error


def _actions(app, username: str) -> list[str]:
    with app.app_context():
        user = User.by_login(username)
        return [a.action for a in Activity.select().where(Activity.user == user).order_by(Activity.id)]


def test_register_creates_a_student_and_logs_it(client, app):
    response = client.post(
        "/api/v1/auth/register",
        json={
            "username": "Ada_L",
            "email": "Ada@Example.org",
            "password": PASSWORD,
            "full_name": " Ada  Lovelace ",
        },
    )
    assert response.status_code == 201, response.json
    user = response.json["user"]
    assert user["username"] == "ada_l"
    assert user["email"] == "ada@example.org"
    assert user["full_name"] == "Ada Lovelace"
    assert user["role"] == "student" and user["is_active"] is True
    assert "password" not in str(response.json)
    assert _actions(app, "ada_l") == ["register"]


def test_register_cannot_choose_a_role(client):
    response = client.post(
        "/api/v1/auth/register",
        json={"username": "mallory", "email": "m@example.org", "password": PASSWORD, "role": "admin"},
    )
    error = assert_error(response, 422, "invalid")
    assert "role" in error["fields"]


def test_register_duplicates_conflict(client, make_user):
    existing = make_user()
    response = client.post(
        "/api/v1/auth/register",
        json={"username": existing.username.upper(), "email": "new@example.org", "password": PASSWORD},
    )
    assert assert_error(response, 409, "conflict")["fields"] == {"username": "This username is taken."}
    response = client.post(
        "/api/v1/auth/register",
        json={"username": "newname", "email": existing.email.upper(), "password": PASSWORD},
    )
    assert set(assert_error(response, 409)["fields"]) == {"email"}


def test_register_names_every_wrong_field(client):
    response = client.post(
        "/api/v1/auth/register", json={"username": "x", "email": "not-an-email", "password": "short"}
    )
    error = assert_error(response, 422)
    assert set(error["fields"]) == {"username", "email", "password"}
    response = client.post(
        "/api/v1/auth/register",
        json={"username": "samepass", "email": "s@example.org", "password": "SamePass"},
    )
    assert assert_error(response, 422)["fields"]["password"] == "The password must not be the username."
    response = client.post("/api/v1/auth/register", json={"email": "s@example.org"})
    assert set(assert_error(response, 422)["fields"]) == {"username", "password"}


def test_malformed_and_wrong_content_type(client):
    assert_error(
        client.post("/api/v1/auth/register", data="{", content_type="application/json"), 400, "malformed"
    )
    assert_error(client.post("/api/v1/auth/register", json=["a", "list"]), 400, "malformed")
    assert_error(client.post("/api/v1/auth/register", data="username=a", content_type="text/plain"), 415)


def test_login_with_username_or_email(client, make_user, app):
    account = make_user()
    by_name = client.post("/api/v1/auth/login", json={"username": account.username, "password": PASSWORD})
    by_mail = client.post(
        "/api/v1/auth/login", json={"username": account.email.upper(), "password": PASSWORD}
    )
    for response in (by_name, by_mail):
        assert response.status_code == 200, response.json
        assert {"access_token", "refresh_token", "user"} <= set(response.json)
        assert response.json["user"]["username"] == account.username
    assert _actions(app, account.username).count("login") == 2
    with app.app_context():
        assert User.by_login(account.username).last_login_at is not None


def test_wrong_password_and_unknown_user_look_the_same(client, make_user, app):
    account = make_user()
    wrong = client.post(
        "/api/v1/auth/login", json={"username": account.username, "password": "nope-nope-nope"}
    )
    unknown = client.post("/api/v1/auth/login", json={"username": "ghost", "password": "nope-nope-nope"})
    assert assert_error(wrong, 401, "invalid_credentials")["message"] == assert_error(unknown, 401)["message"]
    assert "login_failed" in _actions(app, account.username)


ATTACKER = {"REMOTE_ADDR": "203.0.113.9"}
OWNER = {"REMOTE_ADDR": "198.51.100.4"}


def _sign_in(client, username: str, password: str, address: dict):
    return client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}, environ_base=address
    )


def test_guessing_from_one_address_does_not_lock_the_owner_out(client, make_user, app):
    account = make_user()
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT_ADDRESS"]
    for _ in range(limit):
        assert _sign_in(client, account.username, "bad-guess-1", ATTACKER).status_code == 401
    blocked = _sign_in(client, account.username, PASSWORD, ATTACKER)
    assert_error(blocked, 429, "rate_limited")
    assert int(blocked.headers["Retry-After"]) > 0
    assert _sign_in(client, account.username, PASSWORD, OWNER).status_code == 200
    assert _sign_in(client, account.username, "bad-guess-2", OWNER).status_code == 401
    assert _sign_in(client, account.username, PASSWORD, ATTACKER).status_code == 429


def test_known_and_unknown_names_get_the_same_answers_also_once_throttled(client, make_user, app):
    account = make_user()
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT_ADDRESS"]
    for _ in range(limit + 2):
        known = _sign_in(client, account.username, "bad-guess-1", ATTACKER)
        unknown = _sign_in(client, "ghost-of-nobody", "bad-guess-1", ATTACKER)
        assert known.status_code == unknown.status_code
        assert known.get_json() == unknown.get_json()
        assert known.headers.get("Retry-After") == unknown.headers.get("Retry-After")
    assert known.status_code == 429


def test_login_is_throttled_per_address(client, make_user, app):
    limit = app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    for i in range(limit):
        _sign_in(client, f"nobody{i}", "guess-guess", ATTACKER)
    account = make_user()
    assert_error(_sign_in(client, account.username, PASSWORD, ATTACKER), 429)
    assert _sign_in(client, account.username, PASSWORD, OWNER).status_code == 200


def test_registration_probes_are_throttled_per_address(client, make_user, app):
    existing = make_user()
    limit = app.config["REGISTER_MAX_TAKEN_PER_ADDRESS"]
    for i in range(limit):
        probe = {"username": f"prober{i}", "email": existing.email, "password": PASSWORD}
        response = client.post("/api/v1/auth/register", json=probe, environ_base=ATTACKER)
        assert_error(response, 409, "conflict")
    probe = {"username": "prober-last", "email": existing.email, "password": PASSWORD}
    blocked = client.post("/api/v1/auth/register", json=probe, environ_base=ATTACKER)
    assert_error(blocked, 429, "rate_limited")
    assert "email" not in blocked.get_data(as_text=True).lower().replace("registrations", "")
    fresh = {"username": "newcomer", "email": "newcomer@example.org", "password": PASSWORD}
    assert client.post("/api/v1/auth/register", json=fresh, environ_base=OWNER).status_code == 201


def test_registrations_are_limited_per_address(client, app):
    limit = app.config["REGISTER_MAX_PER_ADDRESS"]
    for i in range(limit):
        body = {"username": f"signup{i}", "email": f"signup{i}@example.org", "password": PASSWORD}
        assert client.post("/api/v1/auth/register", json=body, environ_base=ATTACKER).status_code == 201
    body = {"username": "signup-extra", "email": "extra@example.org", "password": PASSWORD}
    assert_error(client.post("/api/v1/auth/register", json=body, environ_base=ATTACKER), 429)
    assert client.post("/api/v1/auth/register", json=body, environ_base=OWNER).status_code == 201


def test_refresh_gives_a_working_access_token(client, make_user, login):
    tokens = login(make_user())
    response = client.post(
        "/api/v1/auth/refresh", headers={"Authorization": f"Bearer {tokens['refresh_token']}"}
    )
    assert response.status_code == 200, response.json
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {response.json['access_token']}"})
    assert me.status_code == 200
    # An access token is not a refresh token, and vice versa.
    assert_error(
        client.post("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {tokens['access_token']}"}),
        401,
        "invalid_token",
    )
    assert_error(
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['refresh_token']}"}),
        401,
        "invalid_token",
    )


def test_logout_revokes_access_and_refresh_tokens(client, make_user, login, app):
    account = make_user()
    tokens = login(account)
    other_session = login(account)
    response = client.post(
        "/api/v1/auth/logout", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert response.status_code == 200
    assert_error(
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}),
        401,
        "token_revoked",
    )
    assert_error(
        client.post("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {tokens['refresh_token']}"}),
        401,
        "token_revoked",
    )
    # Signing out one session leaves the others alone.
    assert (
        client.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {other_session['access_token']}"}
        ).status_code
        == 200
    )
    assert "logout" in _actions(app, account.username)


def test_profile_read_and_update(client, make_user, bearer, app):
    account = make_user()
    headers = bearer(account)
    assert client.get("/api/v1/me", headers=headers).json["username"] == account.username
    response = client.patch(
        "/api/v1/me", headers=headers, json={"full_name": "New Name", "email": "NEW@example.org"}
    )
    assert response.status_code == 200, response.json
    assert response.json["full_name"] == "New Name" and response.json["email"] == "new@example.org"
    assert client.get("/api/v1/me", headers=headers).json["email"] == "new@example.org"
    assert "profile_update" in _actions(app, account.username)


def test_profile_email_conflict_and_validation(client, make_user, bearer):
    first, second = make_user(), make_user()
    headers = bearer(second)
    assert_error(client.patch("/api/v1/me", headers=headers, json={"email": first.email}), 409)
    assert (
        "email"
        in assert_error(client.patch("/api/v1/me", headers=headers, json={"email": "nope"}), 422)["fields"]
    )
    assert (
        "username"
        in assert_error(client.patch("/api/v1/me", headers=headers, json={"username": "x"}), 422)["fields"]
    )
    assert client.get("/api/v1/me", headers=headers).json["email"] == second.email


def test_password_change_ends_other_sessions(client, make_user, login, app):
    account = make_user()
    old = login(account)
    headers = {"Authorization": f"Bearer {old['access_token']}"}
    wrong = client.post(
        "/api/v1/me/password",
        headers=headers,
        json={"current_password": "nope", "new_password": "brand-new-pass"},
    )
    assert "current_password" in assert_error(wrong, 422)["fields"]
    weak = client.post(
        "/api/v1/me/password", headers=headers, json={"current_password": PASSWORD, "new_password": "short"}
    )
    assert "new_password" in assert_error(weak, 422)["fields"]
    response = client.post(
        "/api/v1/me/password",
        headers=headers,
        json={"current_password": PASSWORD, "new_password": "brand-new-pass"},
    )
    assert response.status_code == 200, response.json
    assert_error(client.get("/api/v1/me", headers=headers), 401, "session_ended")
    assert_error(
        client.post("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {old['refresh_token']}"}), 401
    )
    fresh = {"Authorization": f"Bearer {response.json['access_token']}"}
    assert client.get("/api/v1/me", headers=fresh).status_code == 200
    assert client.post("/api/v1/auth/login", json=account.login_json()).status_code == 401
    assert (
        client.post(
            "/api/v1/auth/login", json={"username": account.username, "password": "brand-new-pass"}
        ).status_code
        == 200
    )
    assert "password_change" in _actions(app, account.username)


def test_activity_is_own_newest_first_and_paginated(client, make_user, bearer, login):
    account, other = make_user(), make_user()
    client.post("/api/v1/auth/login", json={"username": account.username, "password": "wrong-password"})
    headers = bearer(account)
    client.patch("/api/v1/me", headers=headers, json={"full_name": "Changed"})
    login(other)
    page = client.get("/api/v1/me/activity?per_page=2", headers=headers).json
    assert page["meta"] == {"page": 1, "per_page": 2, "total": 4, "pages": 2}
    assert [item["action"] for item in page["items"]] == ["profile_update", "login"]
    second = client.get("/api/v1/me/activity?per_page=2&page=2", headers=headers).json
    assert [item["action"] for item in second["items"]] == ["login_failed", "register"]
    assert all(item["ip_address"] == "127.0.0.1" for item in page["items"])
    assert_error(client.get("/api/v1/me/activity?per_page=0", headers=headers), 422)


def test_admin_lists_and_searches_users(client, make_user, bearer):
    admin = make_user("admin")
    make_user(username="zoe")
    make_user(username="yann")
    headers = bearer(admin)
    everyone = client.get("/api/v1/users", headers=headers).json
    assert everyone["meta"]["total"] == 3
    assert [u["username"] for u in client.get("/api/v1/users?q=zo", headers=headers).json["items"]] == ["zoe"]
    assert {
        u["username"] for u in client.get("/api/v1/users?role=student", headers=headers).json["items"]
    } == {"zoe", "yann"}
    assert_error(client.get("/api/v1/users?role=wizard", headers=headers), 422)


def test_user_search_treats_like_wildcards_as_plain_characters(client, make_user, bearer):
    admin = make_user("admin")
    make_user(username="under_score")
    make_user(username="plain")
    headers = bearer(admin)

    def found(q: str) -> list[str]:
        response = client.get("/api/v1/users", query_string={"q": q}, headers=headers)
        assert response.status_code == 200, response.json
        return [u["username"] for u in response.json["items"]]

    assert found("%") == []
    assert found("_") == ["under_score"]
    assert found("r_s") == ["under_score"]
    assert found("p_ain") == []
    assert found("\\") == []


def test_admin_changes_role_and_deactivation_is_immediate(client, make_user, bearer, login, app):
    admin, student = make_user("admin"), make_user()
    admin_headers = bearer(admin)
    student_tokens = login(student)
    student_headers = {"Authorization": f"Bearer {student_tokens['access_token']}"}
    promoted = client.patch(f"/api/v1/users/{student.id}", headers=admin_headers, json={"role": "admin"})
    assert promoted.status_code == 200 and promoted.json["role"] == "admin"
    assert client.get("/api/v1/users", headers=student_headers).status_code == 200
    client.patch(f"/api/v1/users/{student.id}", headers=admin_headers, json={"role": "student"})
    assert_error(client.get("/api/v1/users", headers=student_headers), 403)
    off = client.patch(f"/api/v1/users/{student.id}", headers=admin_headers, json={"is_active": False})
    assert off.status_code == 200 and off.json["is_active"] is False
    assert_error(client.get("/api/v1/me", headers=student_headers), 401, "session_ended")
    assert_error(
        client.post(
            "/api/v1/auth/refresh", headers={"Authorization": f"Bearer {student_tokens['refresh_token']}"}
        ),
        401,
    )
    assert_error(client.post("/api/v1/auth/login", json=student.login_json()), 403, "account_inactive")
    client.patch(f"/api/v1/users/{student.id}", headers=admin_headers, json={"is_active": True})
    assert client.post("/api/v1/auth/login", json=student.login_json()).status_code == 200
    assert "account_changed_by_admin" in _actions(app, student.username)


def test_admin_cannot_lock_themselves_out_and_unknown_user_is_404(client, make_user, bearer):
    admin = make_user("admin")
    headers = bearer(admin)
    assert_error(client.patch(f"/api/v1/users/{admin.id}", headers=headers, json={"role": "student"}), 409)
    assert_error(client.patch(f"/api/v1/users/{admin.id}", headers=headers, json={"is_active": False}), 409)
    assert_error(client.patch("/api/v1/users/999999", headers=headers, json={"is_active": False}), 404)


def test_unknown_api_paths_and_methods_answer_json(client):
    assert_error(client.get("/api/v1/no-such-thing"), 404, "not_found")
    assert_error(client.delete("/api/v1/no-such-thing"), 404)
    error = client.get("/api/v1/auth/login")
    assert_error(error, 405, "method_not_allowed")
    assert "POST" in error.headers["Allow"]
    assert_error(client.delete("/api/v1/me"), 405)
    assert_error(client.get("/api/v2/anything"), 404)


def test_request_too_large_is_413(client, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post("/api/v1/auth/login", data=b"x" * (limit + 1), content_type="application/json")
    assert_error(response, 413)
