"""Security headers on every kind of response, and no long-lived access cookie."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

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


def test_gunicorn_serves_the_headers_without_naming_itself(app):
    """The production server: security headers present, no `Server: gunicorn`."""
    root = Path(__file__).resolve().parents[1]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "APP_ENV": "testing", "AUTO_MIGRATE": "0", "PYTHONPATH": str(root)}
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    server = subprocess.Popen(
        [gunicorn, "-w", "1", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as response:
                    headers = response.headers
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.3)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "gunicorn" not in headers.get("Server", "").lower()
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
