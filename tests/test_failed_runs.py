"""An import or a scoring run is never left `running` once it is over: a binary file given with a
format fails its run and its job (the failure message stored, NUL and all); a run whose job failed,
whose process was killed (kill -9) or whose failure could not be written during a database outage
is closed when that is detected, and importing the file again resumes it; a killed import's spooled
upload is removed then too."""

from __future__ import annotations

import bz2
import gzip
import io
import os
import signal
import zipfile

import pytest

from db.early_warning import ScoringRun
from db.ingest import ImportRun
from db.tables import Job, utcnow
from services import job_owner, jobs
from services.ingest import import_file
from services.ingest.store import _fingerprint
from tests.helpers import TEST_DATABASE_URL, app_process, wait_for_job

IMPORT = "/api/v1/activity/import"
DAILY = "enrollment_id,time,event_video,course_id\n" + "".join(
    f"r{i},2024-03-0{1 + i % 5},1,RUN\n" for i in range(40)
)


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("events.csv", "enrollment_id,time,event\na,2024-03-01,video\n")
    return buffer.getvalue()


BINARIES = {
    "zip": _zip(),
    "bz2": bz2.compress(b"enrollment_id,time,event\na,2024-03-01,video\n"),
    "gzip in gzip": gzip.compress(gzip.compress(b"enrollment_id,time,event\na,2024-03-01,video\n")),
    "nul in header": b"enrollment\x00_id,time,event\x00\na,2024-03-01,video\n",
}


@pytest.mark.parametrize("fmt", ["events", "daily", "xapi"])
@pytest.mark.parametrize("kind", sorted(BINARIES))
def test_a_binary_file_with_a_named_format_is_a_failed_run_and_a_failed_job(app, client, make_user, bearer,
                                                                             kind, fmt):
    headers = bearer(make_user("admin"))
    data = {"file": (io.BytesIO(BINARIES[kind]), "upload.bin"), "format": fmt}
    response = client.post(IMPORT, data=data, headers=headers, content_type="multipart/form-data")
    assert response.status_code == 202, response.get_data(as_text=True)
    job = wait_for_job(client, headers, response.json["id"])
    assert job["status"] == "failed" and job["error"].startswith("The import failed:"), job
    report = job["result"]
    assert report["status"] == "failed" and "\x00" not in report["error"]
    run = client.get(f"/api/v1/activity/imports/{report['run_id']}", headers=headers).json
    assert run["status"] == "failed" and run["error"] == report["error"]
    with app.app_context():
        assert ImportRun.select().where(ImportRun.status == "running").count() == 0


def test_a_run_left_running_by_a_failed_job_is_closed_and_resumed_by_importing_again(app, tmp_path):
    path = tmp_path / "daily.csv"
    path.write_text(DAILY)
    with app.app_context():
        job = Job.create(kind="activity_import", params={}, status="failed", error="database error")
        left = ImportRun.create(file_name="daily.csv", sha256=_fingerprint(path)[0], format="daily",
                                course_option=None, job_id=job.id, owner=job_owner.identity())
        report = import_file(path, fmt="daily")
        assert report.status == "done" and report.resumes == left.id
        closed = ImportRun.get_by_id(left.id)
        assert closed.status == "failed" and "database error" in closed.error and closed.finished_at


def test_killed_import_and_scoring_jobs_close_their_runs_and_remove_the_spool(app, tmp_path):
    spool = tmp_path / "activity-in-killed.csv"
    spool.write_text(DAILY)
    worker = app_process(
        app,
        f"""
        from db.ingest import ImportRun
        from db.early_warning import ScoringRun
        from db.tables import utcnow
        from services import job_owner
        imp = Job.create(kind="activity_import", params={{"source": {str(spool)!r}}}, message="Waiting")
        jobs.claim(imp.id)
        ImportRun.create(file_name="x.csv", format="daily", job_id=imp.id, owner=job_owner.identity())
        score = Job.create(kind="score-enrollments", params={{}}, message="Waiting")
        jobs.claim(score.id)
        ScoringRun.create(trigger="api", run_date=utcnow().date(), job=score.id)
        print(imp.id, score.id, flush=True)
        time.sleep(600)
        """,
    )
    ids = (worker.stdout.readline() or "").split()
    assert len(ids) == 2, worker.stderr.read()[-2000:]
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)
    with app.app_context():
        assert ImportRun.get().status == "running" and ScoringRun.get().status == "running"
        assert jobs.get(int(ids[0])).status == "failed"
        run = ImportRun.get()
        assert run.status == "failed" and "stopped" in run.error and run.finished_at is not None
        scoring = ScoringRun.get()
        assert scoring.status == "failed" and "stopped" in scoring.error and scoring.finished_at
    assert not spool.exists()


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="refusing connections to a database needs PostgreSQL")
def test_a_failure_unwritable_during_an_outage_is_recorded_and_the_file_resumed_after_it(app, tmp_path):
    import psycopg2

    from db.connection import database

    path = tmp_path / "daily.csv"
    path.write_text(DAILY)
    name = TEST_DATABASE_URL.rsplit("/", 1)[1]
    admin_url = TEST_DATABASE_URL.rsplit("/", 1)[0] + "/postgres"

    def allow(flag: bool) -> None:
        with psycopg2.connect(admin_url) as other:
            other.autocommit = True
            with other.cursor() as cursor:
                cursor.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS {str(flag).lower()}')
                if not flag:
                    cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                   "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))

    outage = []

    def go_down(*_):
        if not outage:
            outage.append(utcnow())
            allow(False)

    with app.app_context():
        try:
            report = import_file(path, fmt="daily", chunk_rows=10, progress=go_down)
        finally:
            allow(True)
        assert outage and report.status == "failed"
        if not database.is_closed():
            database.close()
        left = ImportRun.get_by_id(report.run_id)
        assert left.status == "running"  # the failure could not be written during the outage
        again = import_file(path, fmt="daily", chunk_rows=10)
        assert again.status == "done" and again.resumes == left.id
        assert ImportRun.get_by_id(left.id).status == "failed"


def test_a_scoring_run_whose_process_was_killed_is_failed_before_the_next_run(app):
    from services.early_warning import schedule

    scorer = app_process(
        app,
        """
        from db.early_warning import ScoringRun
        from db.tables import utcnow
        from services import job_owner
        run = ScoringRun.create(trigger="schedule", run_date=utcnow().date(), owner=job_owner.identity())
        print(run.id, flush=True)
        time.sleep(600)
        """,
    )
    run_id = int(scorer.stdout.readline() or 0)
    assert run_id, scorer.stderr.read()[-2000:]
    os.kill(scorer.pid, signal.SIGKILL)
    scorer.wait(timeout=30)
    with app.app_context():
        assert ScoringRun.get_by_id(run_id).status == "running"
        schedule.run_if_due(utcnow().replace(hour=0))  # before the scoring hour: only the check
        run = ScoringRun.get_by_id(run_id)
        assert run.status == "failed" and "killed" in run.error and run.finished_at is not None


def test_a_push_left_running_by_a_killed_process_shows_failed_in_the_import_history(
    app, client, make_user, bearer
):
    pusher = app_process(
        app,
        """
        from db.ingest import ImportRun
        from services import job_owner
        run = ImportRun.create(file_name="push by key lms", format="events", owner=job_owner.identity())
        print(run.id, flush=True)
        time.sleep(600)
        """,
    )
    run_id = int(pusher.stdout.readline() or 0)
    assert run_id, pusher.stderr.read()[-2000:]
    os.kill(pusher.pid, signal.SIGKILL)
    pusher.wait(timeout=30)
    headers = bearer(make_user("admin"))
    listed = client.get("/api/v1/activity/imports", headers=headers).json["items"]
    assert [(r["id"], r["status"]) for r in listed] == [(run_id, "failed")]
    detail = client.get(f"/api/v1/activity/imports/{run_id}", headers=headers).json
    assert "interrupted" in detail["error"] and detail["finished_at"] is not None


def test_a_push_failure_unwritable_during_an_outage_is_recorded_by_the_next_push(
    app, client, make_user, bearer
):
    from services.ingest import runs

    with app.app_context():
        # What a push leaves when the database went away before its failure could be written: the
        # run `running`, its failure kept by the process (tests above make a real outage).
        left = ImportRun.create(file_name="push by admin", format="events", owner=job_owner.identity())
        runs._UNRECORDED[left.id] = "the database went away"
    event = {"enrollment_id": "p1", "course_id": "PUSHED", "time": "2024-03-01T10:00:00Z", "event": "video"}
    answer = client.post("/api/v1/activity", json={"events": [event]}, headers=bearer(make_user("admin")))
    assert answer.status_code == 200 and answer.json["accepted"] == 1, answer.json
    with app.app_context():
        run = ImportRun.get_by_id(left.id)
        assert run.status == "failed" and run.error == "the database went away"
