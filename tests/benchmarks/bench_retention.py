"""The retention purge of a large expired course while the app serves a running one. Not a test.

Run:  python -m tests.benchmarks.bench_retention [--database-url postgresql://...] [--rows 1000000]
        [--batch 5000] [--enrollments 2000]
Seeds a finished course whose last day was 800 days ago (past the default 730 days of daily activity)
with `--rows` daily activity rows (40 active days per learner), and the running course of the course
page benchmark (`--enrollments` learners, activity, scores, actions; its tutor and administrator).
The tables are emptied first; SQLite in a temporary folder without --database-url. A server process
(werkzeug, threaded) then serves the app on the same database; a client signed in as the administrator
asks for what the running course's page shows (the course, a page of its enrollments with their
activity totals, its at-risk list), one after the other: for a while before the purge, then during it.
Prints the purge's rows per second and the p50 and p95 of those page requests before and during.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import timedelta

import numpy as np

ROWS_PER_LEARNER = 40
OLD = "OLD/2023"
SERVE = """
import logging, sys
from werkzeug.serving import make_server
from server.factory import create_app
app = create_app('testing')
logging.getLogger('werkzeug').setLevel(logging.WARNING)
print('serving', flush=True)
make_server('127.0.0.1', int(sys.argv[1]), app, threaded=True).serve_forever()
"""


def seed_expired(rows: int) -> int:
    """A course that ended 800 days ago with `rows` daily activity rows; returns how many were stored."""
    from db.connection import database
    from db.courses import EVENT_TYPES, ActivityDay, Course, Enrollment
    from db.tables import utcnow

    learners = -(-rows // ROWS_PER_LEARNER)
    start = utcnow().date() - timedelta(days=800 + ROWS_PER_LEARNER - 1)
    course = Course.create(code=OLD, title="Expired", start_date=start, length_days=ROWS_PER_LEARNER)
    refs = [f"old-{i:06d}" for i in range(learners)]
    ids = Enrollment.ids_for(course.id, refs)
    counts = np.random.default_rng(3).poisson(2.0, (rows, len(EVENT_TYPES))).tolist()
    fields = [ActivityDay.course, ActivityDay.enrollment, ActivityDay.day,
              *(getattr(ActivityDay, name) for name in EVENT_TYPES)]
    block = 2000
    for first in range(0, rows, block):
        batch = [(course.id, ids[refs[i // ROWS_PER_LEARNER]], i % ROWS_PER_LEARNER, *counts[i])
                 for i in range(first, min(first + block, rows))]
        with database.atomic():
            ActivityDay.insert_many(batch, fields=fields).execute()
    return ActivityDay.select().where(ActivityDay.course == course.id).count()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _call(url: str, headers: dict[str, str], body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **headers})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read())


def _page_loads(base: str, headers: dict[str, str], stop: threading.Event, times: list[float]) -> None:
    """Ask for the running course's page data, one after the other, until `stop` is set."""
    from tests.benchmarks.bench_course_page import CODE

    number = 0
    while not stop.is_set():
        number += 1
        started = time.perf_counter()
        try:
            _call(f"{base}/courses/{CODE}", headers)
            _call(f"{base}/courses/{CODE}/enrollments?per_page=50&page={number % 20 + 1}", headers)
            _call(f"{base}/courses/{CODE}/at-risk", headers)
        except OSError as exc:  # a failed load is reported, not timed
            print(f"page load failed: {exc}", file=sys.stderr)
            continue
        times.append((time.perf_counter() - started) * 1000)


def _summary(times: list[float]) -> str:
    p95 = float(np.percentile(times, 95)) if times else float("nan")
    return f"{len(times)} page loads, p50 {statistics.median(times):.0f} ms, p95 {p95:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--enrollments", type=int, default=2000)
    parser.add_argument("--baseline-seconds", type=float, default=15)
    args = parser.parse_args()
    from tests.benchmarks.bench_course_page import seed
    from tests.benchmarks.postgres import fresh_app

    app = fresh_app("retention", args.database_url)

    from db.connection import database
    from db.early_warning import SchedulerLease
    from db.tables import utcnow
    from server.housekeeping import RETENTION_LEASE
    from services import retention

    with app.app_context():
        started = time.perf_counter()
        seed(args.enrollments)
        stored = seed_expired(args.rows)
        database.execute_sql("VACUUM ANALYZE" if args.database_url else "ANALYZE")
        # The server's housekeeping would purge on its own: this process holds the daily purge's lease.
        SchedulerLease.acquire(RETENTION_LEASE, "benchmark", 3600)
        print(f"seeded {stored:,} expired rows in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        database.close()

    port = _free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVE, str(port)], env=dict(os.environ),
                              stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout.readline().strip() == "serving"
        base = f"http://127.0.0.1:{port}/api/v1"
        for _ in range(50):
            try:
                token = _call(f"{base}/auth/login", {}, {"username": "bench-admin",
                                                          "password": "quartz-meadow-91"})["access_token"]
                break
            except OSError:
                time.sleep(0.2)
        headers = {"Authorization": f"Bearer {token}"}
        before: list[float] = []
        stop = threading.Event()
        client = threading.Thread(target=_page_loads, args=(base, headers, stop, before))
        client.start()
        time.sleep(args.baseline_seconds)
        stop.set()
        client.join()

        during: list[float] = []
        stop = threading.Event()
        client = threading.Thread(target=_page_loads, args=(base, headers, stop, during))
        client.start()
        config = {**app.config, "RETENTION_BATCH_ROWS": args.batch}
        with app.app_context():
            started = time.perf_counter()
            removed = retention.purge(utcnow().date(), config)
            seconds = time.perf_counter() - started
        stop.set()
        client.join()
    finally:
        server.kill()
        server.wait()
    store = "PostgreSQL" if args.database_url else "SQLite"
    gone = removed["activity_days"]
    print(f"{store}: purged {gone:,} daily rows in {seconds:.1f} s ({gone / seconds:,.0f} rows/s, "
          f"batches of {args.batch:,})")
    print(f"  course page before the purge: {_summary(before)}")
    print(f"  course page during the purge: {_summary(during)}")


if __name__ == "__main__":
    main()
