"""Celery over Redis for background jobs, used when REDIS_URL is set.

Start workers with: REDIS_URL=redis://host:6379/0 celery -A server.worker worker --concurrency 1
Every app host sharing the same REDIS_URL and DATABASE_URL then shares one job queue.
"""

from __future__ import annotations

from typing import Any

from celery import Celery, Task
from celery.schedules import crontab
from flask import Flask

from db.connection import database
from services import jobs, retention
from services.early_warning import schedule
from services.tutoring import digest_recovery

RUN_JOB = "ssa.run_job"
SCORE_EARLY_WARNING = "ssa.score_early_warning"
RESEND_DIGESTS = "ssa.resend_pending_digests"
PURGE_EXPIRED = "ssa.purge_expired"


def beat_schedule(config: Any) -> dict[str, dict[str, Any]]:
    """Celery beat's entries: the daily early-warning scoring at EARLY_WARNING_SCORE_HOUR (UTC), and
    every five minutes the digest emails a stopped process left pending.
    Run beat with: celery -A server.worker beat (several beats may run: a Redis key lets one score, and
    each pending email is claimed in the database before it is sent)."""
    return {
        "early-warning-scoring": {
            "task": SCORE_EARLY_WARNING,
            "schedule": crontab(hour=int(config["EARLY_WARNING_SCORE_HOUR"]), minute=0),
        },
        "resend-pending-digests": {"task": RESEND_DIGESTS, "schedule": crontab(minute="*/5")},
        # The retention purge: deletes are idempotent, so a second beat's run only finds nothing left.
        "purge-expired": {
            "task": PURGE_EXPIRED,
            "schedule": crontab(hour=int(config.get("RETENTION_PURGE_HOUR", 3)), minute=0),
        },
    }


def init_celery(app: Flask) -> Celery:
    """A Celery app bound to `app`; jobs are dispatched to it instead of in-process threads."""

    class AppContextTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.import_name, broker=app.config["REDIS_URL"], task_cls=AppContextTask)
    celery.conf.update(
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        timezone="UTC",
        beat_schedule=beat_schedule(app.config),
    )

    @celery.task(name=RUN_JOB)
    def run_job(job_id: int) -> None:
        jobs.run(job_id)

    @celery.task(name=SCORE_EARLY_WARNING)
    def score_early_warning() -> None:
        with database.connection_context():
            schedule.run_with_redis_lock(app.config["REDIS_URL"])

    @celery.task(name=RESEND_DIGESTS)
    def resend_pending_digests() -> None:
        with database.connection_context():
            digest_recovery.resend_pending_now()

    @celery.task(name=PURGE_EXPIRED)
    def purge_expired() -> None:
        with database.connection_context():
            retention.run_if_due(app.config)

    app.extensions["celery"] = celery
    app.extensions["job_dispatch"] = lambda job_id: celery.send_task(RUN_JOB, args=[job_id])
    return celery
