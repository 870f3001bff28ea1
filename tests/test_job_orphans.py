"""Jobs whose process died are failed at once: at start-up and whenever a job is read."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from db.tables import Job
from services import jobs
from tests.helpers import app_process


def test_a_job_whose_process_was_killed_is_failed_when_the_app_starts(app):
    claimer = app_process(
        app,
        """
        job = Job.create(kind="batch_score", params={}, message="Waiting for a worker")
        jobs.claim(job.id)
        print(job.id, flush=True)
        time.sleep(600)
        """,
    )
    job_id = int(claimer.stdout.readline() or 0)
    assert job_id, claimer.stderr.read()[-2000:]
    os.kill(claimer.pid, signal.SIGKILL)
    claimer.wait(timeout=30)
    with app.app_context():
        assert Job.get_by_id(job_id).status == "running"
    starter = app_process(app, f"print(Job.get_by_id({job_id}).status, flush=True)")
    out, err = starter.communicate(timeout=120)
    assert starter.returncode == 0, err[-2000:]
    assert out.strip().splitlines()[-1] == "failed"
    with app.app_context():
        job = Job.get_by_id(job_id)
        assert job.status == "failed" and "stopped" in job.error and job.finished_at is not None


def test_a_job_of_a_killed_process_is_failed_when_read_and_a_live_ones_is_not(app):
    with app.app_context():
        mine = jobs.claim(Job.create(kind="batch_score", params={}).id)
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        orphan = Job.create(
            kind="batch_score",
            params={},
            status="running",
            owner=mine.owner.replace(f":{os.getpid()}:", f":{dead.pid}:"),
        )
        assert jobs.get(orphan.id).status == "failed"
        assert jobs.get(mine.id).status == "running"
