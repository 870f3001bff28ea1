"""Events CSV parsing speed and memory. Not a test.

Run:  python -m tests.benchmarks.bench_event_log [--events 10000000] [--file PATH] [--keep]
Writes a KDD Cup 2015 shaped raw log (`enrollment_id,time,source,event,object,course_id`; ~40,000
learners over 30 days, sorted by learner then time, the seven types in the KDD mix) to a temporary
folder in a child process, then parses it with `services.ingest.events_csv.read` in this process and
counts each chunk's events per learner, day and type (what the store does before writing), printing events/s
(wall clock and CPU time: the machine is shared) and this process's peak RSS. `--file` parses an
existing events CSV instead of writing one. `--store URL` (or `--store sqlite`) imports the file into
an emptied database through the product's importer instead (parse, courses and enrollments, event-key
dedupe, per-day counts, import run), end to end. `--edx` writes the same events as an Open edX tracking
log instead (tests/benchmarks/edx_log.py; `--prefixed`: each line behind Tutor's logging prefix,
`--gzip`: compressed as a rotated log), read by the Open edX reader.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from tests.benchmarks.timing import cpu_seconds

TYPES = ("navigate", "access", "page_close", "problem", "video", "discussion", "wiki")
# Each type's share of the events of the KDD Cup 2015 log (kddcup2015_mooc_activity.csv, 24,013 enrollments).
KDD_MIX = (0.1234, 0.3823, 0.1548, 0.1515, 0.0973, 0.0795, 0.0112)
# Chance that an event of each type comes from the browser (page_close and video always do in KDD).
BROWSER = (0.0, 0.5, 1.0, 0.5, 1.0, 0.0, 0.0)
LEARNERS, DAYS, COURSES, OBJECTS = 40_000, 30, 39, 5_000
START = np.datetime64("2014-06-01T00:00:00", "s")


def write_log(path: Path, events: int, seed: int = 13) -> None:
    """A sorted raw log of about `events` events, written in blocks of learners (memory stays small)."""
    rng = np.random.default_rng(seed)
    per_learner = rng.gamma(0.8, events / LEARNERS / 0.8, LEARNERS)
    counts = np.floor(per_learner * events / per_learner.sum()).astype(np.int64)
    counts[: events - counts.sum()] += 1
    with path.open("w") as handle:
        handle.write("enrollment_id,time,source,event,object,course_id\n")
        for first in range(0, LEARNERS, 2_000):
            block = pd.DataFrame(_block(rng, np.arange(first, min(first + 2_000, LEARNERS)), counts))
            block.to_csv(handle, header=False, index=False)


def _block(rng: np.random.Generator, learners: np.ndarray, counts: np.ndarray) -> dict:
    learner = np.repeat(learners, counts[learners])
    seconds = rng.integers(0, DAYS * 86_400, len(learner))
    order = np.lexsort((seconds, learner))
    learner, seconds = learner[order], seconds[order]
    kind = rng.choice(len(TYPES), len(learner), p=KDD_MIX)
    browser = rng.random(len(learner)) < np.asarray(BROWSER)[kind]
    return {
        "enrollment_id": learner + 1,
        "time": (START + seconds.astype("timedelta64[s]")).astype(str),
        "source": np.where(browser, "browser", "server"),
        "event": np.asarray(TYPES)[kind],
        "object": np.char.add("obj", rng.integers(0, OBJECTS, len(learner)).astype(str)),
        "course_id": np.char.add("course-", (learner % COURSES).astype(str)),
    }


def parse(path: Path, aggregate: bool = True, fmt: str = "events") -> dict:
    """Parse the file (and count each chunk per learner, day and type); the figures."""
    from services.ingest import formats

    started, cpu = time.perf_counter(), cpu_seconds()
    events = rejected = cells = 0
    for chunk in formats.PARSERS[fmt](path):
        events += len(chunk.frame)
        rejected += len(chunk.rejected)
        if aggregate:  # the store writes each chunk's counts, added to what is stored
            frame = chunk.frame
            day = frame["time"].dt.floor("D")
            cells += len(frame.groupby([frame["learner"], day, frame["type"]], sort=False).size())
    return {
        "events": events,
        "rejected": rejected,
        "wall_s": time.perf_counter() - started,
        "cpu_s": cpu_seconds() - cpu,
        "learner_days_types": cells,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def store(path: Path, url: str, fmt: str = "events") -> dict:
    """Import the file end to end into an emptied database; the figures."""
    from tests.benchmarks.bench_import import _env

    url = _env(None if url == "sqlite" else url)
    from tests.benchmarks.postgres import empty_database

    database = empty_database(url)
    from db.migrations import upgrade
    from services.ingest.store import import_file

    upgrade()
    started, cpu = time.perf_counter(), cpu_seconds()
    report = import_file(path, fmt=fmt)
    if report.status != "done":
        raise SystemExit(f"import {report.status}: {report.error}")
    stored = database.execute_sql("SELECT COUNT(*) FROM activity_days").fetchone()[0]
    return {
        "events": report.rows_imported,
        "rejected": report.rejected,
        "wall_s": time.perf_counter() - started,
        "cpu_s": cpu_seconds() - cpu,
        "learner_days_types": stored,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--file", type=Path, help="parse this events CSV instead of writing one")
    parser.add_argument("--parse-only", action="store_true", help="do not count per learner, day and type")
    parser.add_argument("--keep", action="store_true", help="keep the written file (its path is printed)")
    parser.add_argument("--store", help="import end to end into this database URL (or 'sqlite')")
    parser.add_argument("--edx", action="store_true", help="an Open edX tracking log instead of a CSV")
    parser.add_argument("--prefixed", action="store_true", help="--edx: Tutor's logging prefix on each line")
    parser.add_argument("--gzip", action="store_true", help="--edx: gzip-compressed")
    parser.add_argument("--write-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    shape = ["--edx"] * args.edx + ["--prefixed"] * args.prefixed + ["--gzip"] * args.gzip
    if args.write_only:
        _write(args.write_only, args)
        return
    fmt = "edx" if args.edx else "events"
    folder = tempfile.mkdtemp(prefix="ssa-bench-events-")
    path = args.file or Path(folder) / ("tracking.log" + ".gz" * args.gzip if args.edx else "log.csv")
    if not args.file:
        started = time.perf_counter()
        command = [sys.executable, "-m", "tests.benchmarks.bench_event_log", "--events", str(args.events),
                   *shape]
        subprocess.run([*command, "--write-only", str(path)], check=True)
        print(f"wrote {path} ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - started:.0f} s")
    try:
        figures = (store(path, args.store, fmt) if args.store
                   else parse(path, aggregate=not args.parse_only, fmt=fmt))
    finally:
        if not args.file and not args.keep:
            path.unlink()
            os.rmdir(folder)
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f}, cores: {os.cpu_count()}")
    written = "enrollment days stored" if args.store else "learner-day-type counts (summed over chunks)"
    print(
        f"events {figures['events']:,}, rejected {figures['rejected']:,},",
        written,
        f"{figures['learner_days_types']:,}",
    )
    print(
        f"{figures['events'] / figures['wall_s']:,.0f} events/s wall ({figures['wall_s']:.1f} s), "
        f"{figures['events'] / figures['cpu_s']:,.0f} events/s CPU ({figures['cpu_s']:.1f} s)"
    )
    print(f"peak RSS {figures['peak_rss_mb']:.0f} MB")


def _write(path: Path, args: argparse.Namespace) -> None:
    if args.edx:
        from tests.benchmarks import edx_log

        edx_log.write(path, args.events, prefixed=args.prefixed, compressed=args.gzip)
    else:
        write_log(path, args.events)


if __name__ == "__main__":
    main()
