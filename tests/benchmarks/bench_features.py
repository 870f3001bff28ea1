"""Early-warning features of every enrollment as of a day, read from the store. Not a test.

Run:  python -m tests.benchmarks.bench_features --data-dir DATA/kddcup2015_daily
        [--database-url postgresql://postgres@127.0.0.1:5432/h_features_bench] [--day 14] [--all-days]
Loads the 21 course files of the daily format into the store (tables dropped and recreated; plain
`insert_many` in chunks, not the real importer; by default only days with activity are stored, as an
importer that skips empty days would; `--all-days` stores every row of the files), then times
`features_as_of(course, day)` for every course: the first run and the median of `--runs` more.
Without --database-url it uses SQLite in a temporary folder. Exits 0 when the data is absent.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import pandas as pd

# The real data sets' folder: --data-dir, or SSA_REAL_DATA_DIR.
DEFAULT_DATA_DIR = Path(os.environ.get("SSA_REAL_DATA_DIR") or "/nonexistent-real-data") / "kddcup2015_daily"
CHUNK = 5000


def read_course(path: Path) -> pd.DataFrame:
    """A daily-format file as enrollment, day, the seven types."""
    from db.courses import EVENT_TYPES

    frame = pd.read_csv(path, parse_dates=["time"])
    frame["day"] = (frame["time"] - frame["time"].min()).dt.days
    return frame.rename(columns={f"event_{name}": name for name in EVENT_TYPES})


def load_course(path: Path, all_days: bool) -> int:
    """One course file into the store; returns the activity rows written."""
    from db.connection import database
    from db.courses import EVENT_TYPES, ActivityDay, Course, Enrollment

    frame = read_course(path)
    code = path.stem.removeprefix("course_")
    with database.atomic():
        course = Course.create(
            code=code, title=code, start_date=date.fromisoformat(str(frame["time"].min())[:10])
        )
        learners = [str(ref) for ref in pd.unique(frame["enrollment_id"])]
        for start in range(0, len(learners), CHUNK):
            rows = [(course.id, ref) for ref in learners[start : start + CHUNK]]
            Enrollment.insert_many(rows, fields=[Enrollment.course, Enrollment.learner_ref]).execute()
        ids = dict(
            Enrollment.select(Enrollment.learner_ref, Enrollment.id)
            .where(Enrollment.course == course)
            .tuples()
        )
        if not all_days:
            frame = frame[frame[list(EVENT_TYPES)].sum(axis=1) > 0]
        enrollment = frame["enrollment_id"].astype(str).map(ids).to_numpy()
        values = frame[["day", *EVENT_TYPES]].to_numpy()
        fields = [ActivityDay.course, ActivityDay.enrollment, ActivityDay.day]
        fields += [getattr(ActivityDay, name) for name in EVENT_TYPES]
        for start in range(0, len(frame), CHUNK):
            rows = [
                (course.id, int(e), *map(int, v))
                for e, v in zip(enrollment[start : start + CHUNK], values[start : start + CHUNK], strict=True)
            ]
            ActivityDay.insert_many(rows, fields=fields).execute()
    return len(frame)


def main(argv: list[str] | None = None) -> int:
    """Load, then time; returns the exit code."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--database-url")
    parser.add_argument("--day", type=int, default=14)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--all-days", action="store_true", help="store the files' empty days too")
    args = parser.parse_args(argv)
    files = sorted(args.data_dir.glob("course_*.csv"))
    if not files:
        print(f"No course files under {args.data_dir}; skipping the features benchmark.")
        return 0
    from tests.benchmarks.postgres import fresh_app

    app = fresh_app("features", args.database_url)

    from db.connection import database
    from db.courses import Course
    from db.queries import is_postgres
    from services.course_activity import features_as_of

    with app.app_context():
        started = time.perf_counter()
        stored = sum(load_course(path, args.all_days) for path in files)
        database.execute_sql("VACUUM ANALYZE" if is_postgres() else "ANALYZE")
        print(
            f"loaded {len(files)} courses, {stored:,} activity rows in {time.perf_counter() - started:.1f} s"
        )
        courses = list(Course.select().order_by(Course.code))

        def run() -> int:
            return sum(len(features_as_of(course, args.day)) for course in courses)

        times = []
        for _ in range(args.runs + 1):
            started = time.perf_counter()
            rows = run()
            times.append(time.perf_counter() - started)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"{backend}: features as of day {args.day} for {rows:,} enrollments of {len(courses)} courses:"
        f" first {times[0]:.3f} s, median of {args.runs} {statistics.median(times[1:]):.3f} s (target <= 2 s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
