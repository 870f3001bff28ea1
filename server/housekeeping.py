"""Housekeeping in a background thread of every serving process: forget expired revocations, and
access-log entries older than ACCESS_LOG_RETENTION_DAYS; and
(without Celery, which schedules it itself) run the daily retention purge in the one process holding
its lease.

A revoked token's row only matters until the token would have expired anyway; without a purge
the table (read on every authenticated request) grows with every sign-out forever.
"""

from __future__ import annotations

import logging
import time

import peewee
from flask import Flask

from db.early_warning import SchedulerLease
from db.process_threads import start_once
from db.tables import RevokedToken, utcnow
from services import access_log, job_owner, retention

log = logging.getLogger(__name__)
RETENTION_LEASE = "retention-purge"


def init_app(app: Flask) -> None:
    """Start the purge thread with the first request of each process (a forked worker starts its
    own: threads do not survive a fork)."""

    @app.before_request
    def start_housekeeping() -> None:
        start(app)


def start(app: Flask) -> None:
    """Start the purge thread for `app`, once per process."""
    start_once("ssa-housekeeping", app.name, _purge_forever, app)


def purge_once(app: Flask) -> int:
    """Delete the revocations of tokens that have expired and the access-log entries past their
    retention; how many rows went."""
    with app.app_context():
        revoked = RevokedToken.purge_expired(utcnow())
        return revoked + access_log.purge_expired(app.config["ACCESS_LOG_RETENTION_DAYS"])


def purge_expired_if_due(app: Flask, holder: str) -> None:
    """Run today's retention purge here when this process holds the lease and it is due."""
    if app.config.get("REDIS_URL"):
        return
    lease = 3 * float(app.config["PURGE_INTERVAL_SECONDS"])
    with app.app_context():
        if SchedulerLease.acquire(RETENTION_LEASE, holder, lease):
            retention.run_if_due(app.config)


def _purge_forever(app: Flask) -> None:
    interval = float(app.config["PURGE_INTERVAL_SECONDS"])
    holder = job_owner.identity()
    while True:
        try:
            purged = purge_once(app)
            if purged:
                log.info("Purged %d expired token revocations and access-log entries", purged)
            if app.config["RETENTION_SCHEDULER"]:
                purge_expired_if_due(app, holder)
        except peewee.DatabaseError as exc:
            # The database may be down for a while; the next round tries again.
            log.warning("Housekeeping failed: %s", exc)
        time.sleep(interval)
