"""Pushes out of time order (an LRS forwards statements in the order they arrive). Not a test.

Run:  python -m tests.benchmarks.bench_push_order [--statements 10000] [--batch 100]
        [--database-url postgresql://postgres@127.0.0.1:5432/ssa_bench_push_order]
Makes the same xAPI statements (Moodle's shape, 50 learners over 40 days of one course) and, for each
order (oldest first, newest first, shuffled), pushes them in batches to POST /api/v1/activity with an
ingest key into an emptied database, the course made by the first push (its window learned). Prints per
order: the time, what the pushes answered (accepted, kept aside outside the window, rejected), the
course's window, and the stored activity (rows, events and a checksum of each learner's seven counts on
each calendar date). Exits 1 unless every order stored the same. Without --database-url it uses SQLite
in a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

ORDERS = ("oldest first", "newest first", "shuffled")
COURSE = "https://lms.example.org/course/view.php?id=101"


def _push_all(app, items: list[dict], size: int) -> tuple[float, dict[str, int]]:
    from services import api_keys
    from tests.xapi_statements import batches

    with app.app_context():
        name = f"bench-{time.time_ns()}"
        _, secret = api_keys.create(name, "ingest", may_create_courses=True, may_push_finished=True)
    client = app.test_client()
    client.get("/api/v1/health")  # Dash sets itself up on a process's first request
    totals = {"accepted": 0, "outside_window": 0, "rejected": 0}
    started = time.perf_counter()
    for batch in batches(items, size):
        response = client.post("/api/v1/activity", json={"statements": batch}, headers={"X-API-Key": secret})
        if response.status_code != 200:
            raise SystemExit(f"push answered {response.status_code}: {response.get_data(as_text=True)[:300]}")
        body = response.json
        totals["accepted"] += body["accepted"]
        totals["outside_window"] += body["outside_window"]
        totals["rejected"] += len(body["rejected"])
    return time.perf_counter() - started, totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--statements", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    from tests.benchmarks.postgres import fresh_app
    from tests.xapi_statements import in_order, statements, stored_activity

    items = statements(COURSE, args.statements, days=40, learners=50, seed=17)
    print(f"{args.statements:,} statements in batches of {args.batch}; database:"
          f" {(args.database_url or 'sqlite').split('@')[-1]}; load {os.getloadavg()[0]:.1f}")
    print("| order | seconds | accepted | kept aside | rejected | window | rows | events | checksum |")
    print("|---|---:|---:|---:|---:|---|---:|---:|---|")
    stored = {}
    app = None
    for order in ORDERS:
        if app is None:
            app = fresh_app("push-order", args.database_url)
        else:  # one app per process (Dash): the same database, emptied
            _reset(app)
        seconds, totals = _push_all(app, in_order(items, order, seed=5), args.batch)
        with app.app_context():
            from db.courses import Course

            course = Course.by_code(COURSE)
            stored[order] = stored_activity(COURSE)
        rows, events, checksum = stored[order]
        window = f"{course.start_date} + {course.length_days} days"
        print(f"| {order} | {seconds:.1f} | {totals['accepted']:,} | {totals['outside_window']:,} |"
              f" {totals['rejected']:,} | {window} | {rows:,} | {events:,} | {checksum} |", flush=True)
    same = len(set(stored.values())) == 1
    print("identical" if same else "DIFFERENT", f"load {os.getloadavg()[0]:.1f}")
    sys.exit(0 if same else 1)


def _reset(app) -> None:
    """Remove what the previous order stored: courses with their activity, statement ids, import runs."""
    from db.connection import database
    from db.courses import ActivityDay, Course
    from db.ingest import DayEvents, ImportRun, StatementId

    with app.app_context(), database.atomic():
        for model in (DayEvents, ActivityDay, Course, StatementId, ImportRun):
            model.delete().execute()


if __name__ == "__main__":
    main()
