"""Background jobs: create, run (in-process worker threads, or Celery over Redis), report.

A job that raises ends as `failed` with its error; it is never left `running`. Whenever a job fails
(by raising, or found orphaned or silent) its kind's cleaner (`on_failure`) closes what it left.
While a job runs, its worker writes a heartbeat (`updated_at`) every JOB_HEARTBEAT_SECONDS; a
running job whose heartbeat stopped for three of those (its worker killed, on any host) is failed
when it is next read, and one whose owner process on this host has died is failed at once, when
the in-process worker starts and whenever a job is read. A queued job nobody picks up fails after
JOB_STALE_MINUTES.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import peewee
from flask import Flask, current_app

from db.connection import database
from db.tables import Job, User, utcnow
from db.text import printable
from services import job_owner
from services.errors import NotFound

log = logging.getLogger(__name__)

Handler = Callable[[Job, Callable[[float, str], None]], dict[str, Any]]
HANDLERS: dict[str, Handler] = {}
# What a kind of job leaves behind when it fails (its run rows, its spooled files), put right by the
# kind's cleaner whenever one of its jobs fails: by raising, or found orphaned or silent.
Cleaner = Callable[[Job, str], None]
CLEANERS: dict[str, Cleaner] = {}
_executor: ThreadPoolExecutor | None = None
_running: set[Future] = set()  # the in-process jobs not yet ended
_running_lock = threading.Lock()


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that carries out jobs of `kind`."""

    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return register


def on_failure(kind: str) -> Callable[[Cleaner], Cleaner]:
    """Register what to close or remove when a job of `kind` fails (called with the job and its error)."""

    def register(fn: Cleaner) -> Cleaner:
        CLEANERS[kind] = fn
        return fn

    return register


class JobFailed(Exception):
    """Raised by a handler whose work failed but whose result is still worth showing (an import's
    report): the job ends `failed` with this error, and keeps the result."""

    def __init__(self, error: str, result: dict[str, Any]) -> None:
        super().__init__(error)
        self.error, self.result = error, result


def _fail(job_ids: list[int], error: str, result: dict[str, Any] | None = None) -> None:
    """Mark these jobs failed with `error` (and `result`, when given), then clean up after each."""
    values = dict(status="failed", error=printable(error)[:2000], message="Failed", finished_at=utcnow())
    if result is not None:
        values["result"] = result
    Job.update(updated_at=utcnow(), **values).where(Job.id.in_(job_ids)).execute()
    for job in Job.select(Job.id, Job.kind, Job.params).where(Job.id.in_(job_ids)):
        cleaner = CLEANERS.get(job.kind)
        if cleaner is None:
            continue
        try:
            cleaner(job, error)
        except Exception:  # the job is failed either way; what it left is closed at the next detection
            log.exception("job %s (%s): cleaning up after the failure failed", job.id, job.kind)


def create(kind: str, params: dict[str, Any], user: User | None) -> Job:
    """Queue a job and hand it to a worker."""
    if kind not in HANDLERS:
        raise ValueError(f"No handler for jobs of kind {kind!r}.")
    job = Job.create(kind=kind, params=params, created_by=user, message="Waiting for a worker")
    dispatch = current_app.extensions["job_dispatch"]
    dispatch(job.id)
    return job


STOPPED_ERROR = "The worker running this job stopped sending its heartbeat (it was killed or lost)."
ORPHAN_ERROR = "The process running this job stopped (it was killed or crashed) before finishing."


def claim(job_id: int) -> Job:
    """Mark a job running, owned by this process."""
    Job.update(
        status="running",
        started_at=utcnow(),
        updated_at=utcnow(),
        message="Started",
        owner=job_owner.identity(),
    ).where(Job.id == job_id).execute()
    return Job.get_by_id(job_id)


def fail_orphans() -> int:
    """Fail every unfinished job whose owner was a process of this host that is gone; how many."""
    unfinished = Job.select(Job.id, Job.owner).where(
        Job.status.in_(("queued", "running")) & Job.owner.is_null(False)
    )
    orphans = [job.id for job in unfinished if job_owner.is_dead_here(job.owner)]
    if orphans:
        _fail(orphans, ORPHAN_ERROR)
    return len(orphans)


@contextmanager
def heartbeat(job_id: int):
    """While the block runs, a thread stamps the job's `updated_at` every JOB_HEARTBEAT_SECONDS,
    so that readers can tell a job that is working from one whose worker died."""
    app = current_app._get_current_object()
    interval = app.config["JOB_HEARTBEAT_SECONDS"]
    done = threading.Event()

    def beat() -> None:
        while not done.wait(interval):
            try:
                with app.app_context(), database.connection_context():
                    Job.update(updated_at=utcnow()).where(
                        (Job.id == job_id) & (Job.status == "running")
                    ).execute()
            except peewee.PeeweeException:
                log.warning("job %s: heartbeat not written", job_id, exc_info=True)

    thread = threading.Thread(target=beat, name=f"ssa-job-{job_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def run(job_id: int) -> None:
    """Carry out one job, recording progress, result or error (call inside an app context)."""
    job = claim(job_id)
    with heartbeat(job_id):
        _carry_out(job)


def _carry_out(job: Job) -> None:
    job_id = job.id
    last = {"percent": -1}

    def progress(fraction: float, message: str) -> None:
        percent = max(0, min(99, int(fraction * 100)))
        if percent != last["percent"]:
            last["percent"] = percent
            Job.update(progress=percent, message=message[:255], updated_at=utcnow()).where(
                Job.id == job_id
            ).execute()

    try:
        result = HANDLERS[job.kind](job, progress)
    except JobFailed as exc:
        _fail([job_id], exc.error, exc.result)
        return
    except Exception as exc:
        log.exception("job %s (%s) failed", job_id, job.kind)
        _fail([job_id], "".join(traceback.format_exception_only(type(exc), exc)).strip())
        return
    finally:
        if not database.is_closed():
            database.close()
    Job.update(
        status="succeeded",
        progress=100,
        result=result,
        message="Done",
        finished_at=utcnow(),
        updated_at=utcnow(),
    ).where(Job.id == job_id).execute()


def get(job_id: int) -> Job:
    """A job's current state (one whose process died, or silent past the stale limit, is failed)."""
    fail_orphans()
    job = Job.get_or_none(Job.id == job_id)
    if job is None:
        raise NotFound("No such job.")
    silent = utcnow() - job.updated_at
    beats = timedelta(seconds=3 * current_app.config["JOB_HEARTBEAT_SECONDS"])
    waited = timedelta(minutes=current_app.config["JOB_STALE_MINUTES"])
    if (job.status == "running" and silent > beats) or (job.status == "queued" and silent > waited):
        _fail([job_id], STOPPED_ERROR if job.status == "running" else "No worker picked up the job.")
        job = Job.get_by_id(job_id)
    return job


def init_app(app: Flask) -> None:
    """Run jobs on in-process worker threads (the default; Celery replaces this when configured)."""
    global _executor
    if app.extensions.get("job_dispatch"):
        return
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=app.config["JOB_WORKERS"], thread_name_prefix="ssa-job")

    def run_in_thread(job_id: int) -> None:
        def target() -> None:
            with app.app_context():
                run(job_id)

        future = _executor.submit(target)
        with _running_lock:
            _running.add(future)
        future.add_done_callback(_ended)

    app.extensions["job_dispatch"] = run_in_thread
    _fail_orphans_at_start(app)


def _ended(future: Future) -> None:
    with _running_lock:
        _running.discard(future)


def wait_for_jobs(timeout: float = 300) -> bool:
    """Wait until every job this process runs on its threads has ended (before its tables are emptied
    or its files removed); false if one still runs at `timeout`."""
    with _running_lock:
        pending = list(_running)
    return not wait(pending, timeout=timeout).not_done


def _fail_orphans_at_start(app: Flask) -> None:
    with app.app_context():
        try:
            with database.connection_context():
                failed = fail_orphans()
        except peewee.DatabaseError:
            return  # no jobs table yet (the schema is upgraded after start-up): nothing to fail
    if failed:
        log.warning("marked %d job(s) failed whose process had stopped", failed)
