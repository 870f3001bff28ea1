"""Retention of finished courses: each kind of row goes the day after its period runs out (not the day
before), a dry run changes nothing, a purge larger than a batch removes everything, the daily job
records what it removed, and an archived course keeps its outcomes and daily counts but not its raw
event keys (administrators only)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from db.courses import ActivityDay, Course, Enrollment
from db.early_warning import EnrollmentPrediction
from db.ingest import DayEvents
from db.tables import Activity, Job, utcnow
from db.tutoring import EnrollmentAction
from services import retention
from tests.helpers import assert_error, scored_course

# Days kept after the last day: a different period per kind, so each boundary is its own.
PERIODS = {
    "RETENTION_EVENT_KEYS_DAYS": 10,
    "RETENTION_ACTIVITY_DAYS": 20,
    "RETENTION_PREDICTIONS_DAYS": 30,
    "RETENTION_ACTIONS_DAYS": 40,
}
TABLES = ("activity_event_keys", "activity_days", "enrollment_predictions", "enrollment_actions")
MODELS = (DayEvents, ActivityDay, EnrollmentPrediction, EnrollmentAction)


def _config(**changes):
    return {**PERIODS, "RETENTION_BATCH_ROWS": 3, "RETENTION_PURGE_HOUR": 3, **changes}


def _course(code: str, ended_days_ago: int = 0) -> Course:
    """A 30-day course whose last day was `ended_days_ago` days ago: 3 learners with 2 active days
    each (and their event keys), scored on days 7 and 14, one action, outcomes known."""
    found, ids = scored_course(code, {7: (1, [0.2, 0.9, 0.5]), 14: (2, [0.3, 0.8, 0.5])},
                               {0: [3, 12], 1: [5, 6], 2: [1, 20]})
    start = utcnow().date() - timedelta(days=ended_days_ago + 29)
    Course.update(start_date=start).where(Course.id == found.id).execute()
    Enrollment.update(dropped_out=True).where(Enrollment.course == found).execute()
    rows = ActivityDay.select(ActivityDay.enrollment, ActivityDay.day).where(ActivityDay.course == found.id)
    DayEvents.insert_many([{"course": found.id, "enrollment": e, "day": d, "keys": b"k", "codes": b"c"}
                           for e, d in rows.tuples()]).execute()
    EnrollmentAction.create(enrollment=ids[f"{code}-L0"], course=found.id, kind="contacted", note="called")
    return Course.get_by_id(found.id)


def _counts(course: Course) -> dict[str, int]:
    return {
        model._meta.table_name: model.select().where(model.course == course.id).count() for model in MODELS
    }


def test_each_kind_goes_the_day_after_its_period_not_the_day_before(app):
    with app.app_context():
        course = _course("RET-1")
        full = _counts(course)
        assert full == {"activity_event_keys": 6, "activity_days": 6, "enrollment_predictions": 6,
                        "enrollment_actions": 1}
        last = course.last_day()
        gone: set[str] = set()
        for table, days in zip(TABLES, PERIODS.values(), strict=True):
            # The last day of its period: nothing of this kind goes.
            removed = retention.purge(last + timedelta(days=days), _config())
            assert removed[table] == 0
            assert _counts(course) == {name: 0 if name in gone else n for name, n in full.items()}
            # The next day: all of it goes, and no kind whose period still runs.
            removed = retention.purge(last + timedelta(days=days + 1), _config())
            assert removed[table] == full[table]
            gone.add(table)
            assert _counts(course) == {name: 0 if name in gone else n for name, n in full.items()}
        assert Enrollment.select().where(Enrollment.course == course).count() == 3  # the outcomes stay


def test_a_dry_run_counts_what_would_go_and_changes_nothing(app):
    with app.app_context():
        old, running = _course("RET-OLD", ended_days_ago=25), _course("RET-RUN", ended_days_ago=-5)
        before = (_counts(old), _counts(running))
        would = retention.purge(utcnow().date(), _config(), dry_run=True)
        assert would == {"activity_event_keys": 6, "activity_days": 6, "enrollment_predictions": 0,
                         "enrollment_actions": 0}
        assert (_counts(old), _counts(running)) == before
        assert retention.purge(utcnow().date(), _config()) == would
        assert _counts(old)["activity_days"] == 0 and _counts(running) == before[1]


def test_a_purge_larger_than_a_batch_removes_every_row(app):
    from db import retention as store

    with app.app_context():
        course = _course("RET-BIG", ended_days_ago=100)
        assert store.delete_batch(ActivityDay, course.id, 4) == 4  # one batch: exactly its size
        assert retention.purge(utcnow().date(), _config(RETENTION_BATCH_ROWS=1))["activity_days"] == 2
        assert _counts(course) == dict.fromkeys(TABLES, 0)


def test_never_keeps_a_kind_forever(app):
    with app.app_context():
        course = _course("RET-NEVER", ended_days_ago=5000)
        retention.purge(utcnow().date(), _config(RETENTION_ACTIVITY_DAYS=None))
        assert _counts(course)["activity_days"] == 6 and _counts(course)["activity_event_keys"] == 0


def test_the_daily_job_runs_once_a_day_after_its_hour_and_records_what_it_removed(app):
    with app.app_context():
        _course("RET-DAILY", ended_days_ago=25)
        today = utcnow().date()
        early = datetime(today.year, today.month, today.day, 2, 59)
        assert retention.run_if_due(_config(), early) is None
        job = retention.run_if_due(_config(), early + timedelta(minutes=1))
        assert job.status == "succeeded"
        assert job.result["removed"] == {"activity_event_keys": 6, "activity_days": 6,
                                         "enrollment_predictions": 0, "enrollment_actions": 0}
        assert retention.run_if_due(_config(), early + timedelta(hours=5)) is None  # once a day
        assert retention.last_purge()["removed"]["activity_days"] == 6


def test_the_housekeeping_thread_runs_the_purge_in_one_process(app, monkeypatch):
    from server import housekeeping

    with app.app_context():
        _course("RET-HOUSE", ended_days_ago=1200)
    monkeypatch.setitem(app.config, "RETENTION_PURGE_HOUR", 0)
    housekeeping.purge_expired_if_due(app, "host:1:1")
    housekeeping.purge_expired_if_due(app, "host:2:2")  # another process: the lease is taken
    with app.app_context():
        jobs = list(Job.select().where(Job.kind == retention.JOB_KIND))
        assert [job.status for job in jobs] == ["succeeded"]
        assert sum(jobs[0].result["removed"].values()) == 19


def test_purge_expired_on_the_command_line(app):
    with app.app_context():
        course = _course("RET-CLI", ended_days_ago=800)
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["purge-expired", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "activity_days: 6 would go" in dry.output
    with app.app_context():
        assert _counts(course)["activity_days"] == 6
    done = runner.invoke(args=["purge-expired"])
    assert "activity_days: 6 removed" in done.output and "enrollment_actions: 0 removed" in done.output
    with app.app_context():
        assert _counts(course) == {"activity_event_keys": 0, "activity_days": 0,
                                   "enrollment_predictions": 0, "enrollment_actions": 1}


def test_archiving_keeps_outcomes_and_daily_counts_and_drops_the_event_keys(app, client, make_user, bearer):
    with app.app_context():
        course = _course("RET-ARCH", ended_days_ago=3)
    admin = bearer(make_user("admin"))
    response = client.post("/api/v1/courses/RET-ARCH/archive", headers=admin)
    assert response.status_code == 200, response.json
    assert response.json["removed"] == {"activity_event_keys": 6}
    assert response.json["kept"] == {"enrollments": 3, "outcomes": 3, "activity_days": 6,
                                     "enrollment_predictions": 6, "enrollment_actions": 1}
    with app.app_context():
        assert _counts(course) == {"activity_event_keys": 0, "activity_days": 6,
                                   "enrollment_predictions": 6, "enrollment_actions": 1}
        assert Activity.select().where(Activity.action == "course_archive").count() == 1
    shown = client.get("/api/v1/courses/RET-ARCH", headers=admin).json
    assert shown["archived_at"] is not None
    again = client.post("/api/v1/courses/RET-ARCH/archive", headers=admin)
    assert again.status_code == 200 and again.json["removed"] == {"activity_event_keys": 0}
    assert again.json["archived_at"] == response.json["archived_at"]


@pytest.mark.parametrize("role", ["tutor", "student"])
def test_only_administrators_archive(app, client, make_user, bearer, role):
    with app.app_context():
        course = _course("RET-SCOPE", ended_days_ago=3)
    response = client.post("/api/v1/courses/RET-SCOPE/archive", headers=bearer(make_user(role)))
    assert_error(response, 403)
    with app.app_context():
        assert _counts(course)["activity_event_keys"] == 6
        assert Course.get_by_id(course.id).archived_at is None


def test_archiving_an_unknown_course_is_404(client, make_user, bearer):
    assert_error(client.post("/api/v1/courses/NOPE/archive", headers=bearer(make_user("admin"))), 404)


def test_an_archived_course_takes_no_more_activity_and_each_line_says_why(app, tmp_path):
    with app.app_context():
        course = _course("RET-SHUT", ended_days_ago=3)
        retention.archive_course("RET-SHUT", None)
        before = _counts(course)
        day = course.start_date + timedelta(days=4)
    upload = tmp_path / "late.csv"
    upload.write_text(f"enrollment_id,time,event_video,event_problem\nRET-SHUT-L0,{day},3,1\n")
    result = app.test_cli_runner().invoke(args=["import-activity", str(upload), "--course", "RET-SHUT"])
    assert "0 imported" in result.output, result.output
    assert "line 2: course 'RET-SHUT' is archived: no activity is imported into it" in result.output
    with app.app_context():
        assert _counts(course) == before


def test_bad_retention_settings_stop_the_start(monkeypatch):
    from server.config import load_config

    monkeypatch.setenv("RETENTION_ACTIVITY_DAYS", "two years")
    with pytest.raises(RuntimeError, match="RETENTION_ACTIVITY_DAYS"):
        load_config("testing")
    monkeypatch.setenv("RETENTION_ACTIVITY_DAYS", "never")
    monkeypatch.setenv("RETENTION_BATCH_ROWS", "0")
    with pytest.raises(RuntimeError, match="RETENTION_BATCH_ROWS"):
        load_config("testing")
    monkeypatch.delenv("RETENTION_BATCH_ROWS")
    config = load_config("testing")
    assert config.RETENTION_ACTIVITY_DAYS is None and config.RETENTION_EVENT_KEYS_DAYS == 180


def test_training_leaves_out_a_course_whose_daily_activity_was_purged(app):
    from services.early_warning import training

    with app.app_context():
        _course("RET-KEPT", ended_days_ago=3)
        purged = _course("RET-GONE", ended_days_ago=3)
        retention.archive_course("RET-KEPT", None)  # archived: still trained on
        ActivityDay.delete().where(ActivityDay.course == purged.id).execute()
        courses, summary = training.course_data()
    assert [course[0] for course in courses] == ["RET-KEPT"]
    assert summary["without_activity"] == ["RET-GONE"]
    assert courses[0][3].sum() == 12  # its daily counts as stored (2 events on each of 6 days)


def test_with_celery_beat_sends_the_purge_daily_at_its_hour():
    from server.celery_app import PURGE_EXPIRED, beat_schedule

    entry = beat_schedule({"EARLY_WARNING_SCORE_HOUR": 2, "RETENTION_PURGE_HOUR": 5})["purge-expired"]
    assert entry["task"] == PURGE_EXPIRED
    assert entry["schedule"].hour == {5} and entry["schedule"].minute == {0}
