"""Every protected endpoint x every bad credential gives 401/403 in the error shape, never data.

Endpoints are read from the OpenAPI document, so an endpoint added later is covered too.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_jwt_extended import create_access_token

from tests.helpers import assert_error


def _concrete(path: str, op: dict) -> str:
    """`path` with each parameter filled: the first value of an enum (a form task), else 1."""
    for parameter in op.get("parameters", []):
        if parameter["in"] == "path":
            value = str(parameter["schema"].get("enum", ["1"])[0])
            path = path.replace("{" + parameter["name"] + "}", value)
    return path


def _protected_operations(app) -> list[tuple[str, str, bool]]:
    with app.test_client() as client:
        document = client.get("/api/v1/openapi.json").json
    operations = []
    for path, item in document["paths"].items():
        for method, op in item.items():
            # The operations a signed-in user's token opens (the LRS takes only an ingest key by Basic).
            if any("bearerAuth" in scheme for scheme in op.get("security") or []):
                admin_only = op.get("x-roles") == ["admin"]
                # A path parameter with an enum (a form task) takes its first value, any other "1".
                operations.append((method.upper(), _concrete(path, op), admin_only))
    return operations


@pytest.fixture
def call(client):
    def do(method: str, path: str, headers: dict | None = None):
        kwargs = {"json": {}} if method in {"POST", "PATCH", "PUT"} else {}
        return client.open(path, method=method, headers=headers or {}, **kwargs)

    return do


def test_the_matrix_covers_the_known_protected_endpoints(app):
    paths = {path for _, path, _ in _protected_operations(app)}
    assert {
        "/api/v1/me",
        "/api/v1/me/password",
        "/api/v1/me/activity",
        "/api/v1/users",
        "/api/v1/users/1",
        "/api/v1/auth/logout",
        "/api/v1/auth/refresh",
    } <= paths


def test_no_token(app, call):
    for method, path, _ in _protected_operations(app):
        assert_error(call(method, path), 401)


def test_expired_token(app, call, make_user):
    account = make_user("admin")
    with app.app_context():
        token = create_access_token(
            identity=str(account.id),
            expires_delta=timedelta(seconds=-5),
            additional_claims={"epoch": 0, "sid": "s"},
        )
    for method, path, _ in _protected_operations(app):
        assert_error(call(method, path, {"Authorization": f"Bearer {token}"}), 401)


def test_tampered_token(app, call, make_user, login):
    token = login(make_user("admin"))["access_token"]
    header, payload, signature = token.split(".")
    forged_signature = ("A" if signature[0] != "A" else "B") + signature[1:]
    for bad in (f"{header}.{payload}.{forged_signature}", token[:-4], "not-a-jwt", f"{header}.{payload}."):
        for method, path, _ in _protected_operations(app):
            assert_error(call(method, path, {"Authorization": f"Bearer {bad}"}), 401)


def test_token_signed_with_another_key(app, call, make_user):
    import jwt as pyjwt

    account = make_user("admin")
    forged = pyjwt.encode(
        {"sub": str(account.id), "type": "access", "jti": "x", "fresh": False, "epoch": 0, "sid": "s"},
        "some-other-key-that-is-long-enough-32",
        algorithm="HS256",
    )
    for method, path, _ in _protected_operations(app):
        assert_error(call(method, path, {"Authorization": f"Bearer {forged}"}), 401)


def test_revoked_token(app, client, call, make_user, login):
    tokens = login(make_user("admin"))
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 200
    for method, path, _ in _protected_operations(app):
        if path.endswith("/auth/refresh"):
            headers_for_path = {"Authorization": f"Bearer {tokens['refresh_token']}"}
        else:
            headers_for_path = headers
        assert_error(call(method, path, headers_for_path), 401, "token_revoked")


def test_deactivated_user(app, client, call, make_user, login, bearer):
    admin, victim = make_user("admin"), make_user("admin")
    tokens = login(victim)
    assert (
        client.patch(
            f"/api/v1/users/{victim.id}", headers=bearer(admin), json={"is_active": False}
        ).status_code
        == 200
    )
    for method, path, _ in _protected_operations(app):
        token = tokens["refresh_token"] if path.endswith("/auth/refresh") else tokens["access_token"]
        assert_error(call(method, path, {"Authorization": f"Bearer {token}"}), 401, "session_ended")


def test_wrong_role(app, call, make_user, bearer):
    headers = bearer(make_user("student"))
    admin_paths = [(m, p) for m, p, admin_only in _protected_operations(app) if admin_only]
    assert admin_paths
    for method, path in admin_paths:
        error = assert_error(call(method, path, headers), 403, "forbidden")
        assert "items" not in error


def test_tutors_are_refused_administrator_endpoints_and_students_staff_ones(app, call, make_user, bearer):
    """Read from the document's `x-roles`, so an endpoint added later is covered too."""
    with app.test_client() as client:
        document = client.get("/api/v1/openapi.json").json
    by_roles: dict[tuple, list] = {}
    for path, item in document["paths"].items():
        for method, op in item.items():
            # The operations a signed-in user's token opens (the LRS takes only an ingest key by Basic).
            if any("bearerAuth" in scheme for scheme in op.get("security") or []):
                by_roles.setdefault(tuple(op["x-roles"]), []).append((method.upper(), _concrete(path, op)))
    staff_paths = by_roles[("tutor", "admin")]
    assert ("GET", "/api/v1/courses") in staff_paths and (
        "POST",
        "/api/v1/enrollments/1/actions",
    ) in staff_paths
    tutor, student = bearer(make_user("tutor")), bearer(make_user("student"))
    for method, path in by_roles[("admin",)]:
        assert "items" not in assert_error(call(method, path, tutor), 403, "forbidden")
    for method, path in staff_paths:
        assert "items" not in assert_error(call(method, path, student), 403, "forbidden")
