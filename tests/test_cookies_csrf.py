"""Browser sign-in: HTTP-only cookies, CSRF double-submit on writes, implicit refresh, callbacks."""

from __future__ import annotations

from datetime import timedelta

from flask_jwt_extended import create_access_token

from tests.helpers import assert_error

CALLBACK = "/_dash-update-component"


def _set_cookie_headers(response) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in response.headers.getlist("Set-Cookie")}


def _csrf(client) -> str:
    return client.get_cookie("csrf_access_token").value


def test_login_sets_http_only_lax_cookies(client, make_user):
    response = client.post("/api/v1/auth/login", json=make_user().login_json())
    cookies = _set_cookie_headers(response)
    assert {"access_token_cookie", "refresh_token_cookie", "csrf_access_token", "csrf_refresh_token"} <= set(
        cookies
    )
    for name in ("access_token_cookie", "refresh_token_cookie"):
        assert "HttpOnly" in cookies[name] and "SameSite=Lax" in cookies[name]
    # The CSRF cookie must be readable by the page's script to be echoed in a header.
    assert "HttpOnly" not in cookies["csrf_access_token"]
    assert "Path=/api/v1/auth/" in cookies["refresh_token_cookie"]


def test_cookie_write_needs_the_csrf_header(client, make_user):
    client.post("/api/v1/auth/login", json=make_user().login_json())
    assert client.get("/api/v1/me").status_code == 200
    refused = client.patch("/api/v1/me", json={"full_name": "Forged"})
    assert_error(refused, 403, "csrf_failed")
    wrong = client.patch("/api/v1/me", json={"full_name": "Forged"}, headers={"X-CSRF-TOKEN": "guess"})
    assert_error(wrong, 403, "csrf_failed")
    accepted = client.patch("/api/v1/me", json={"full_name": "Real"}, headers={"X-CSRF-TOKEN": _csrf(client)})
    assert accepted.status_code == 200 and accepted.json["full_name"] == "Real"
    assert client.get("/api/v1/me").json["full_name"] == "Real"


def test_logout_by_cookie_clears_cookies_and_revokes(client, make_user):
    client.post("/api/v1/auth/login", json=make_user().login_json())
    old_cookie = client.get_cookie("access_token_cookie").value
    response = client.post("/api/v1/auth/logout", headers={"X-CSRF-TOKEN": _csrf(client)})
    assert response.status_code == 200
    assert client.get_cookie("access_token_cookie") is None
    assert_error(
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {old_cookie}"}), 401, "token_revoked"
    )


def test_refresh_cookie_renews_access(client, make_user):
    client.post("/api/v1/auth/login", json=make_user().login_json())
    csrf_refresh = client.get_cookie("csrf_refresh_token").value
    response = client.post("/api/v1/auth/refresh", headers={"X-CSRF-TOKEN": csrf_refresh})
    assert response.status_code == 200
    assert "access_token_cookie" in _set_cookie_headers(response)


def test_access_cookie_is_refreshed_while_active(app, client, make_user):
    account = make_user()
    with app.app_context():
        nearly_expired = create_access_token(
            identity=str(account.id),
            expires_delta=timedelta(minutes=2),
            additional_claims={"epoch": 0, "sid": "browser-session"},
        )
    client.set_cookie("access_token_cookie", nearly_expired)
    response = client.get("/api/v1/me")
    assert response.status_code == 200
    renewed = client.get_cookie("access_token_cookie").value
    assert renewed != nearly_expired
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {renewed}"}).status_code == 200


def test_fresh_access_cookie_is_not_reissued(client, make_user):
    client.post("/api/v1/auth/login", json=make_user().login_json())
    assert "access_token_cookie" not in _set_cookie_headers(client.get("/api/v1/me"))


def _callback_body() -> dict:
    return {
        "output": "..profile-activity.children...profile-activity-pages.max_value..",
        "outputs": [
            {"id": "profile-activity", "property": "children"},
            {"id": "profile-activity-pages", "property": "max_value"},
        ],
        "inputs": [
            {"id": "profile-activity-pages", "property": "active_page", "value": 1},
            {"id": "profile-message", "property": "children", "value": None},
            {"id": "profile-password-message", "property": "children", "value": None},
        ],
        "changedPropIds": [],
        "state": [],
    }


def test_private_callback_needs_sign_in_and_csrf(client, make_user):
    body = _callback_body()
    assert_error(client.post(CALLBACK, json=body), 401)
    client.post("/api/v1/auth/login", json=make_user().login_json())
    assert_error(client.post(CALLBACK, json=body), 403, "csrf_failed")
    response = client.post(CALLBACK, json=body, headers={"X-CSRF-TOKEN": _csrf(client)})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]


def test_public_callback_works_signed_out(client):
    body = {
        "output": "shell-navbar.children",
        "outputs": {"id": "shell-navbar", "property": "children"},
        "inputs": [
            {"id": "shell-url", "property": "pathname", "value": "/about"},
            {"id": "shell-refresh", "property": "data", "value": 0},
        ],
        "changedPropIds": ["shell-url.pathname"],
        "state": [],
    }
    response = client.post(CALLBACK, json=body)
    assert response.status_code == 200
    assert "Sign in" in response.get_data(as_text=True)


def test_private_page_redirects_to_sign_in_and_back(client, make_user):
    response = client.get("/profile")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/profile"
    assert client.get("/about").status_code == 200
    client.post("/api/v1/auth/login", json=make_user().login_json())
    assert client.get("/profile").status_code == 200


def _users_callback_body() -> dict:
    return {
        "output": "..users-table.children...users-pages.max_value..",
        "outputs": [
            {"id": "users-table", "property": "children"},
            {"id": "users-pages", "property": "max_value"},
        ],
        "inputs": [
            {"id": "users-search", "property": "value", "value": None},
            {"id": "users-role-filter", "property": "value", "value": None},
            {"id": "users-pages", "property": "active_page", "value": 1},
            {"id": "users-version", "property": "data", "value": 0},
        ],
        "changedPropIds": [],
        "state": [],
    }


def test_admin_page_callbacks_refuse_students(client, make_user):
    student = make_user()
    client.post("/api/v1/auth/login", json=student.login_json())
    response = client.post(CALLBACK, json=_users_callback_body(), headers={"X-CSRF-TOKEN": _csrf(client)})
    assert_error(response, 403)
    assert student.email not in response.get_data(as_text=True)
    admin = make_user("admin")
    client.post("/api/v1/auth/login", json=admin.login_json())
    response = client.post(CALLBACK, json=_users_callback_body(), headers={"X-CSRF-TOKEN": _csrf(client)})
    assert response.status_code == 200
    assert student.email in response.get_data(as_text=True)
