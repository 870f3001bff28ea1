"""Celery over Redis for background jobs, used when REDIS_URL is set.

Start workers with: REDIS_URL=redis://host:6379/0 celery -A server.worker worker --concurrency 1
Every app host sharing the same REDIS_URL and DATABASE_URL then shares one job queue.
"""

from __future__ import annotations

from celery import Celery, Task
from flask import Flask

from services import jobs

RUN_JOB = "ssa.run_job"


def init_celery(app: Flask) -> Celery:
    """A Celery app bound to `app`; jobs are dispatched to it instead of in-process threads."""

    class AppContextTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.import_name, broker=app.config["REDIS_URL"], task_cls=AppContextTask)
    celery.conf.update(task_acks_late=True, worker_prefetch_multiplier=1, task_ignore_result=True)

    @celery.task(name=RUN_JOB)
    def run_job(job_id: int) -> None:
        jobs.run(job_id)

    app.extensions["celery"] = celery
    app.extensions["job_dispatch"] = lambda job_id: celery.send_task(RUN_JOB, args=[job_id])
    return celery
