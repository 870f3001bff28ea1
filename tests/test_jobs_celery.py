"""Jobs on a real Celery worker over the Redis on loopback (skipped when Redis is not running)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from modelling.synthetic import generate_exam
from tests.helpers import csv_bytes, wait_for_job

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_up() -> bool:
    host, port = REDIS_URL.split("//")[1].split("/")[0].split(":")
    try:
        socket.create_connection((host, int(port)), timeout=0.5).close()
        return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not _redis_up(), reason="no Redis at " + REDIS_URL)


@pytest.fixture
def celery_worker(app):
    """A real worker process on the same database and artifacts, and the app dispatching to Celery."""
    from server.celery_app import init_celery

    env = {
        **os.environ,
        "REDIS_URL": REDIS_URL,
        "DATABASE_URL": app.config["DATABASE_URL"],
        "ARTIFACTS_DIR": str(app.config["ARTIFACTS_DIR"]),
        "APP_ENV": "testing",
    }
    previous = app.extensions["job_dispatch"]
    app.config["REDIS_URL"] = REDIS_URL
    celery = init_celery(app)
    celery.control.purge()
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "server.worker",
            "worker",
            "--concurrency",
            "1",
            "--pool",
            "solo",
            "--loglevel",
            "warning",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
    )
    try:
        yield worker
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        app.extensions["job_dispatch"] = previous
        app.extensions.pop("celery", None)
        app.config["REDIS_URL"] = None


def test_training_job_runs_on_a_celery_worker(client, make_user, bearer, active_models, celery_worker):
    admin = bearer(make_user("admin"))
    response = client.post(
        "/api/v1/models/exam-score/train?folds=3&candidates=linear_regression",
        headers={**admin, "Content-Type": "text/csv"},
        data=csv_bytes(generate_exam(500, 8)),
    )
    assert response.status_code == 202
    job = wait_for_job(client, admin, response.json["id"], timeout=180)
    assert job["status"] == "succeeded", job
    assert celery_worker.poll() is None, "the worker is still running"
