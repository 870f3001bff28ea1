"""The activity store at scale: N enrollments x 30 days of generated activity. Not a test.

Run:  python -m tests.benchmarks.bench_scale --database-url postgresql://postgres@127.0.0.1:5432/bench_scale
        [--courses 100] [--enrollments 10000] [--day 14]
Generates each course with the product's course generator (every enrollment x every day, zeros
included, as platforms export them), writes it as a daily CSV and imports it into an emptied
database; prints the import rate (file rows per second, generation and writing the files excluded),
the rows stored, the database size, then the time of features as of --day for every course read from
the store. Without --database-url it uses SQLite in a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

START = date(2025, 9, 1)


def _env(url: str | None, workdir: Path) -> None:
    url = url or f"sqlite:///{workdir / 'scale.db'}"
    os.environ.update({"APP_ENV": "testing", "INSTANCE_DIR": str(workdir), "DATABASE_URL": url})


def _write_course(code: str, enrollments: int, seed: int, path: Path) -> int:
    """One generated course as a daily CSV; its row count."""
    from modelling.demo_course_set import DemoCourse, write_daily_csv
    from modelling.synthetic_courses import CourseSpec, generate_courses

    _, activity, _ = generate_courses([CourseSpec(code, code, enrollments)], seed)
    activity.insert(3, "date", [START + timedelta(days=int(d)) for d in activity["day"]])
    write_daily_csv(DemoCourse(code, code, START, 30, None, activity, None), path)
    return len(activity)


def _database_size() -> str:
    from db.connection import database
    from db.queries import is_postgres

    if is_postgres():
        size = "SELECT pg_size_pretty(pg_database_size(current_database()))"
        return database.execute_sql(size).fetchone()[0]
    return f"{Path(database.obj.database).stat().st_size / 1e6:,.0f} MB"


def _fresh_database(url: str) -> None:
    from db.migrations import upgrade
    from tests.benchmarks.postgres import empty_database

    empty_database(url)
    upgrade()


def _import(args, workdir: Path) -> tuple[float, int]:
    """Generate and import every course; (seconds spent importing, file rows)."""
    from services.ingest.store import import_file

    spent, rows = 0.0, 0
    for index in range(args.courses):
        code = f"SCALE-{index:04d}"
        path = workdir / f"{code}.csv"
        rows += _write_course(code, args.enrollments, index, path)
        started = time.perf_counter()
        report = import_file(path, fmt="daily", course=code, start=START, days=30)
        spent += time.perf_counter() - started
        path.unlink()
        if report.status != "done":
            raise SystemExit(f"{code}: {report.status}: {report.error}")
        if index % 10 == 9:
            print(f"  {index + 1} courses, {rows:,} rows, {rows / spent:,.0f} rows/s so far", flush=True)
    return spent, rows


def _features(day: int) -> tuple[float, int, float]:
    """Features as of `day` for every course from the store: (seconds, enrollments, slowest course)."""
    from db.courses import Course
    from services.course_activity import features_as_of

    started, enrollments, slowest = time.perf_counter(), 0, 0.0
    for course in Course.select().order_by(Course.code):
        one = time.perf_counter()
        enrollments += len(features_as_of(course, day))
        slowest = max(slowest, time.perf_counter() - one)
    return time.perf_counter() - started, enrollments, slowest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--courses", type=int, default=100)
    parser.add_argument("--enrollments", type=int, default=10_000)
    parser.add_argument("--day", type=int, default=14)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="ssa-bench-scale-"))
    _env(args.database_url, workdir)
    _fresh_database(os.environ["DATABASE_URL"])
    total = args.courses * args.enrollments
    print(f"{args.courses} courses x {args.enrollments:,} enrollments = {total:,}, load {os.getloadavg()}")
    spent, rows = _import(args, workdir)
    from db.connection import database

    stored = database.execute_sql("SELECT COUNT(*) FROM activity_days").fetchone()[0]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"import: {rows:,} daily rows in {spent:.1f} s = {rows / spent:,.0f} rows/s; {stored:,} days with"
        f" events stored; database {_database_size()}; peak RSS {peak:.0f} MB"
    )
    seconds, enrollments, slowest = _features(args.day)
    print(
        f"features as of day {args.day}: {enrollments:,} enrollments in {seconds:.1f} s"
        f" ({enrollments / seconds:,.0f}/s; slowest course {slowest:.2f} s); load {os.getloadavg()}"
    )


if __name__ == "__main__":
    main()
