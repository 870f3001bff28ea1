"""Every serving process purges expired token revocations on a schedule."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta

SERVE = """
import os, time
from server.factory import create_app
app = create_app('testing')
app.test_client().get('/api/v1/health')  # a serving process: its first request starts housekeeping
print('serving', flush=True)
time.sleep(120)
"""


def _revoke(app, jti: str, expires_in: timedelta) -> None:
    from db.tables import RevokedToken, utcnow

    with app.app_context():
        RevokedToken.revoke([jti], utcnow() + expires_in)


def _remaining(app) -> set[str]:
    from db.connection import database
    from db.tables import RevokedToken

    with app.app_context():
        rows = {row.jti for row in RevokedToken.select()}
        database.close()
    return rows


def _wait_for(condition, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_expired_revocations_disappear_on_schedule(app, tmp_path):
    _revoke(app, "expired-before-start", timedelta(minutes=-5))
    _revoke(app, "still-live", timedelta(days=1))
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": sys.path[0],
        "APP_ENV": "testing",
        "DATABASE_URL": app.config["DATABASE_URL"],
        "ARTIFACTS_DIR": str(app.config["ARTIFACTS_DIR"]),
        "INSTANCE_DIR": str(app.config["INSTANCE_DIR"]),
        "PURGE_INTERVAL_SECONDS": "1",
        "AUTO_MIGRATE": "0",
    }
    server = subprocess.Popen([sys.executable, "-c", SERVE], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout.readline().strip() == "serving"
        assert _wait_for(lambda: _remaining(app) == {"still-live"})
        # A later revocation that expires is purged by a later round of the same process.
        _revoke(app, "expired-later", timedelta(seconds=-1))
        assert _wait_for(lambda: _remaining(app) == {"still-live"})
    finally:
        server.kill()
        server.wait()
