"""A bearer token that has already been used is refused the moment it stops being valid: signed
out, expired, altered, or its user changed the password."""

from __future__ import annotations

import time
from datetime import timedelta

from flask_jwt_extended import create_access_token, decode_token

from tests.helpers import PASSWORD, assert_error


def _me(client, token: str):
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def test_a_used_token_is_refused_after_sign_out(client, make_user, login):
    token = login(make_user())["access_token"]
    assert _me(client, token).status_code == 200
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 200
    assert_error(_me(client, token), 401, "token_revoked")


def test_a_used_token_is_refused_once_it_expires(app, client, make_user):
    account = make_user()
    with app.app_context():
        token = create_access_token(
            identity=str(account.id), expires_delta=timedelta(seconds=2), additional_claims={"epoch": 0}
        )
        expires = decode_token(token)["exp"]
    assert _me(client, token).status_code == 200
    while time.time() <= expires + 0.05:
        time.sleep(0.1)
    assert_error(_me(client, token), 401, "token_expired")


def test_an_altered_copy_of_a_used_token_is_refused(client, make_user, login):
    token = login(make_user())["access_token"]
    assert _me(client, token).status_code == 200
    header, payload, signature = token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    assert_error(_me(client, f"{header}.{payload}.{flipped}"), 401, "invalid_token")


def test_a_used_token_is_refused_after_a_password_change(client, make_user, login):
    account = make_user()
    token = login(account)["access_token"]
    assert _me(client, token).status_code == 200
    response = client.post(
        "/api/v1/me/password",
        headers={"Authorization": f"Bearer {token}"},
        json={"current_password": PASSWORD, "new_password": "another-long-passphrase-2"},
    )
    assert response.status_code == 200, response.json
    assert _me(client, token).status_code == 401
