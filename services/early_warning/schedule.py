"""Daily scoring on a schedule, fired once per day however many processes or hosts serve.

With REDIS_URL, Celery beat sends the task at EARLY_WARNING_SCORE_HOUR (UTC) and a Redis key per
day lets only the first of several beats' tasks run. Without it, every serving process starts a
scheduler thread, and only the one holding the database lease `early-warning-scoring` (renewed on
each check) scores; a day whose scheduled run succeeded (or is running) is not scored again.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

import peewee
from flask import Flask, current_app

from db.connection import database
from db.early_warning import SchedulerLease, ScoringRun
from db.process_threads import start_once
from db.tables import utcnow
from services import job_owner
from services.early_warning import scoring
from services.tutoring import digest_recovery

log = logging.getLogger(__name__)
LEASE = "early-warning-scoring"
TRIGGER = "schedule"
# A scheduled run still "running" after this long is taken for dead: the next check scores again.
RUNNING_LIMIT = timedelta(hours=2)
REDIS_KEY = "ssa:early-warning-scoring:{day}"


def due(now: datetime) -> bool:
    """Whether today's scheduled scoring may run at `now` (UTC): at or after the configured hour."""
    return now.hour >= int(current_app.config["EARLY_WARNING_SCORE_HOUR"])


def run_if_due(now: datetime | None = None) -> ScoringRun | None:
    """Score today's running courses unless it is too early or today's run succeeded or is running;
    the run, or None when nothing ran (call inside an app context)."""
    now = now or utcnow()
    scoring.fail_orphaned_runs()  # a run killed today must not count as running
    if not due(now) or ScoringRun.already_done(TRIGGER, now.date(), now - RUNNING_LIMIT):
        return None
    try:
        return scoring.score_running_courses(TRIGGER, today=now.date()).run
    except Exception:  # recorded on the run; the next check (tomorrow's) tries again
        log.exception("scheduled early-warning scoring failed")
        return None


def check(app: Flask, holder: str, lease_seconds: float) -> ScoringRun | None:
    """One check of the in-process scheduler: take or renew the lease, send the digest emails a stopped
    process left pending, and score when due."""
    with app.app_context(), database.connection_context():
        if not SchedulerLease.acquire(LEASE, holder, lease_seconds):
            return None
        digest_recovery.resend_pending_now()
        return run_if_due()


def loop(app: Flask, stop: threading.Event | None = None) -> None:
    """Check every EARLY_WARNING_SCHEDULER_SECONDS until `stop` is set (forever by default)."""
    stop = stop or threading.Event()
    interval = float(app.config["EARLY_WARNING_SCHEDULER_SECONDS"])
    holder = job_owner.identity()
    while not stop.is_set():
        try:
            check(app, holder, 3 * interval)
        except peewee.DatabaseError as exc:
            log.warning("early-warning scheduler check failed: %s", exc)
        stop.wait(interval)


def init_app(app: Flask) -> None:
    """Start the scheduler thread with each serving process's first request (threads do not survive
    a fork), unless Celery beat schedules instead or the setting is off."""
    if app.config.get("REDIS_URL") or not app.config.get("EARLY_WARNING_SCHEDULER"):
        return

    @app.before_request
    def start_scheduler() -> None:
        start(app)


def start(app: Flask) -> None:
    """Start the scheduler thread for `app`, once per process."""
    start_once("ssa-early-warning-scheduler", app.name, loop, app)


def run_with_redis_lock(redis_url: str, now: datetime | None = None) -> ScoringRun | None:
    """The Celery beat task's body: only the first caller of the day (a Redis SET NX) scores."""
    import redis

    now = now or utcnow()
    client = redis.Redis.from_url(redis_url)
    key = REDIS_KEY.format(day=now.date().isoformat())
    if not client.set(key, job_owner.identity(), nx=True, ex=int(timedelta(hours=36).total_seconds())):
        return None
    run = run_if_due(now)
    if run is None or run.status == "failed":
        client.delete(key)  # nothing ran or it failed: a later beat may try again
    return run
