"""Scheduled scoring: one run per day with two serving processes (the database lease), the Celery
beat entry and its Redis lock."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta

import pytest

from db.early_warning import EnrollmentPrediction, SchedulerLease, ScoringRun
from db.tables import utcnow
from services.early_warning import schedule
from tests.helpers import dropout_counts, early_warning_version, store_course

SCHEDULER = textwrap.dedent(
    """
    import sys, threading, time
    from pathlib import Path
    from server.factory import create_app
    from services.early_warning import schedule

    app = create_app("testing")
    ready = Path(sys.argv[1])
    (ready / sys.argv[2]).touch()
    while len(list(ready.iterdir())) < 2:  # both processes built: start checking together
        time.sleep(0.05)
    stop = threading.Event()
    threading.Timer(float(sys.argv[3]), stop.set).start()
    schedule.loop(app, stop)
    """
)


def course_at(day: int, code: str, today=None):
    counts, _ = dropout_counts(7, 30)
    counts[:, day:] = 0
    return store_course(code, counts, start=(today or utcnow().date()) - timedelta(days=day))


def test_two_server_processes_score_once_per_day(app, tmp_path):
    early_warning_version(app)
    with app.app_context():
        course = course_at(16, "SCHED")
    env = {
        **os.environ,
        "EARLY_WARNING_SCORE_HOUR": "0",
        "EARLY_WARNING_SCHEDULER_SECONDS": "0.1",
        "PYTHONPATH": os.getcwd(),
    }
    ready = tmp_path / "ready"
    ready.mkdir()
    processes = [
        subprocess.Popen([sys.executable, "-c", SCHEDULER, str(ready), name, "4"], env=env)
        for name in ("a", "b")
    ]
    for process in processes:
        assert process.wait(timeout=180) == 0
    with app.app_context():
        runs = list(ScoringRun.select().where(ScoringRun.trigger == "schedule"))
        assert [(run.status, run.run_date, run.courses) for run in runs] == [
            ("succeeded", utcnow().date(), 1)
        ]
        assert EnrollmentPrediction.counts_by_day(course) == {7: 30, 14: 30}
        (lease,) = SchedulerLease.select()
        assert lease.holder  # one of the two holds it


def test_the_lease_has_one_holder_until_it_expires(app):
    with app.app_context():
        assert SchedulerLease.acquire("x", "one", 0.5)
        assert not SchedulerLease.acquire("x", "two", 0.5)
        assert SchedulerLease.acquire("x", "one", 0.5)  # renewed by its holder
        time.sleep(0.6)
        assert SchedulerLease.acquire("x", "two", 0.5)  # expired: another process takes over
        assert not SchedulerLease.acquire("x", "one", 0.5)


def test_nothing_runs_before_the_hour_nor_twice_a_day(app):
    early_warning_version(app)
    app.config["EARLY_WARNING_SCORE_HOUR"] = 2
    with app.app_context():
        course_at(8, "HOUR")
        today = utcnow().date()
        early = datetime(today.year, today.month, today.day, 1, 30)
        assert schedule.run_if_due(early) is None
        later = early + timedelta(hours=1)
        assert schedule.run_if_due(later).status == "succeeded"
        assert schedule.run_if_due(later + timedelta(hours=3)) is None
        assert ScoringRun.select().count() == 1


def test_celery_beat_declares_the_daily_scoring(app):
    from server.celery_app import SCORE_EARLY_WARNING, beat_schedule

    entry = beat_schedule({"EARLY_WARNING_SCORE_HOUR": 4})["early-warning-scoring"]
    assert entry["task"] == SCORE_EARLY_WARNING
    assert entry["schedule"].hour == {4} and entry["schedule"].minute == {0}


def _redis_answers() -> bool:
    try:
        return subprocess.run(["redis-cli", "ping"], capture_output=True, timeout=5).stdout.strip() == b"PONG"
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.mark.skipif(not _redis_answers(), reason="no Redis on 127.0.0.1:6379")
def test_the_redis_lock_lets_one_beat_task_score_per_day(app):
    import redis

    early_warning_version(app)
    url = "redis://127.0.0.1:6379/0"
    # A day of its own (far ahead) so that no other test run shares the day's key.
    now = datetime(random.randint(2200, 2900), 6, 1, 12, 0)
    key = schedule.REDIS_KEY.format(day=now.date().isoformat())
    try:
        with app.app_context():
            course_at(16, "BEAT", today=now.date())
            first = schedule.run_with_redis_lock(url, now)
            second = schedule.run_with_redis_lock(url, now)
            assert first is not None and first.status == "succeeded" and second is None
            assert ScoringRun.select().count() == 1
            assert redis.Redis.from_url(url).exists(key)
    finally:
        redis.Redis.from_url(url).delete(key)
