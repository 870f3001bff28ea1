"""A running job's worker writes a heartbeat: a job is failed when it stops, never while it beats."""

from __future__ import annotations

import time
from datetime import timedelta

from db.tables import Job, utcnow
from services import jobs


@jobs.handler("test_quiet_wait")
def _quiet_wait(job, progress):
    """A job that works without reporting progress for a while (as one long training step does)."""
    time.sleep(job.params["seconds"])
    return {"waited": job.params["seconds"]}


def test_a_job_on_a_worker_that_stopped_beating_is_failed(app, client, make_user, bearer, monkeypatch):
    monkeypatch.setitem(app.config, "JOB_HEARTBEAT_SECONDS", 5)
    with app.app_context():
        # As a Celery worker on another host leaves it when the host is lost: no local pid to check.
        job = Job.create(
            kind="train",
            status="running",
            owner="another-host:4242:1",
            params={"task": "exam-score"},
            updated_at=utcnow() - timedelta(seconds=20),
        )
    answer = client.get(f"/api/v1/jobs/{job.id}", headers=bearer(make_user("admin")))
    assert answer.status_code == 200
    assert answer.json["status"] == "failed" and "heartbeat" in answer.json["error"]


def test_a_quiet_job_that_beats_is_left_running(app, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "JOB_HEARTBEAT_SECONDS", 0.2)
    with app.app_context():
        job = jobs.create("test_quiet_wait", {"seconds": 2.0}, None)
        deadline = time.monotonic() + 10
        while jobs.get(job.id).status == "queued" and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.2)  # well past three missed beats, had nobody been beating
        assert jobs.get(job.id).status == "running"
        while jobs.get(job.id).status == "running" and time.monotonic() < deadline:
            time.sleep(0.1)
        finished = jobs.get(job.id)
    assert finished.status == "succeeded" and finished.result == {"waited": 2.0}
