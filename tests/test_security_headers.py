"""Security headers on every kind of response, and no long-lived access cookie (issue 16 point 9)."""

from __future__ import annotations

import pytest

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


@pytest.mark.parametrize(
    "path", ["/login", "/", "/api/v1/health", "/api/v1/nope", "/assets/student.css", "/_dash-layout"]
)
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (path, name)
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    script_src = next(p for p in policy.split("; ") if p.startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "'sha256-" in script_src and "''" not in script_src  # Dash's inline start-up script, hashed


def test_hsts_only_with_secure_cookies(client):
    from flask import Flask

    from server import headers

    assert "Strict-Transport-Security" not in client.get("/login").headers  # testing: not Secure
    # The app is built once per process, so production's Secure cookies get a small Flask app.
    secure = Flask("secure")
    secure.config["JWT_COOKIE_SECURE"] = True
    secure.add_url_rule("/", "home", lambda: "ok")
    headers.init_app(secure, list)
    assert secure.test_client().get("/").headers["Strict-Transport-Security"] == headers.HSTS


def test_access_cookie_has_no_long_max_age(client, make_user):
    response = client.post("/api/v1/auth/login", json=make_user().login_json())
    cookies = response.headers.getlist("Set-Cookie")
    access = next(c for c in cookies if c.startswith("access_token_cookie="))
    assert "Max-Age" not in access and "Expires" not in access, access
