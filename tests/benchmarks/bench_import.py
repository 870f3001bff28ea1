"""Importing the KDD Cup 2015 daily activity files. Not a test.

Run:  python -m tests.benchmarks.bench_import --data-dir DATA/kddcup2015_daily
        [--database-url postgresql://postgres@127.0.0.1:5432/h_ingest_bench] [--course CODE]
Imports every `course_<code>.csv` of the directory (each file one course, its code from the file name,
or all into --course) into an emptied database, prints rows per second and peak RSS, then imports the
same files again and shows that nothing changed (row count, per-type totals and a checksum of the
counts before and after, and the totals of the files themselves). Skips when the directory is absent.
Without --database-url it uses SQLite in a temporary folder. Besides wall time it prints this process's
CPU time, a steadier figure on a shared machine (it leaves out PostgreSQL's own work, done by the server).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path


def _env(url: str | None) -> str:
    workdir = Path(tempfile.gettempdir()) / "ssa-bench-import"
    workdir.mkdir(exist_ok=True)
    url = url or f"sqlite:///{workdir / 'bench.db'}"
    if url.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(str(workdir / "bench.db") + suffix).unlink(missing_ok=True)
    os.environ.update({"APP_ENV": "testing", "INSTANCE_DIR": str(workdir), "DATABASE_URL": url})
    return url


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _state() -> tuple:
    """Row count, per-type totals and a checksum tying each count to its enrollment and day."""
    from db.connection import database
    from db.courses import EVENT_TYPES

    totals = ", ".join(f"SUM({name})" for name in EVENT_TYPES)
    weighted = " + ".join(f"{i + 1} * {name}" for i, name in enumerate(EVENT_TYPES))
    checksum = f"SUM((CAST(enrollment_id AS BIGINT) * 31 + day) * ({weighted}))"
    row = database.execute_sql(f"SELECT COUNT(*), {totals}, {checksum} FROM activity_days").fetchone()
    return tuple(int(value or 0) for value in row)


def _file_totals(files: list[Path]) -> tuple[int, ...]:
    import pandas as pd

    from db.courses import EVENT_TYPES

    sums = [0] * len(EVENT_TYPES)
    for path in files:
        frame = pd.read_csv(path, usecols=[f"event_{name}" for name in EVENT_TYPES])
        for i, name in enumerate(EVENT_TYPES):
            sums[i] += int(frame[f"event_{name}"].sum())
    return tuple(sums)


def _import_all(files: list[Path], course: str | None, chunk_rows: int) -> tuple[float, float, int, int, int]:
    from services.ingest.store import import_file

    started, cpu = time.perf_counter(), time.process_time()
    rows = changed = rejected = 0
    for path in files:
        code = course or path.stem.removeprefix("course_")
        report = import_file(path, fmt="daily", course=code, chunk_rows=chunk_rows)
        if report.status != "done":
            raise SystemExit(f"{path.name}: {report.status}: {report.error}")
        rows, changed, rejected = (
            rows + report.rows_imported,
            changed + report.rows_changed,
            rejected + report.rejected,
        )
    return time.perf_counter() - started, time.process_time() - cpu, rows, changed, rejected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--database-url")
    parser.add_argument("--course", help="import every file into this course (default: from the file name)")
    parser.add_argument("--chunk-rows", type=int, default=200_000, help="rows per committed chunk")
    args = parser.parse_args()
    files = sorted(args.data_dir.glob("course_*.csv")) if args.data_dir.is_dir() else []
    if not files:
        print(f"skipped: no course_*.csv in {args.data_dir}")
        return
    url = _env(args.database_url)

    from db.connection import bind_database
    from tests.benchmarks.postgres import create_database_if_missing

    if url.startswith("postgres"):
        create_database_if_missing(url)
    database = bind_database(url)
    for table in database.get_tables():
        database.execute_sql(f'DROP TABLE IF EXISTS "{table}" CASCADE')

    from db.migrations import upgrade

    upgrade()
    baseline = _peak_rss_mb()
    print(f"database: {url.split('@')[-1]}  files: {len(files)}  load: {os.getloadavg()}", flush=True)
    seconds, cpu, rows, changed, rejected = _import_all(files, args.course, args.chunk_rows)
    first = _state()
    print(
        f"first import:  {rows:,} rows in {seconds:.2f} s = {rows / seconds:,.0f} rows/s"
        f" (this process's CPU {cpu:.2f} s = {rows / cpu:,.0f} rows per CPU second);"
        f" {changed:,} new or changed, {rejected:,} rejected;"
        f" peak RSS {_peak_rss_mb():.0f} MB (before importing {baseline:.0f} MB)"
    )
    seconds, cpu, rows, changed, rejected = _import_all(files, args.course, args.chunk_rows)
    second = _state()
    print(
        f"second import: {rows:,} rows in {seconds:.2f} s = {rows / seconds:,.0f} rows/s"
        f" (CPU {cpu:.2f} s = {rows / cpu:,.0f} rows per CPU second);"
        f" {changed:,} new or changed; peak RSS {_peak_rss_mb():.0f} MB"
    )
    print(f"stored after first:  rows {first[0]:,}, totals {first[1:-1]}, checksum {first[-1]}")
    print(f"stored after second: rows {second[0]:,}, totals {second[1:-1]}, checksum {second[-1]}")
    print(f"totals of the files:             {_file_totals(files)}")
    print("unchanged" if first == second else "CHANGED", f"load: {os.getloadavg()}")
    sys.exit(0 if first == second else 1)


if __name__ == "__main__":
    main()
