"""Moodle Logs download reading and import speed, CSV and Excel. Not a test.

Run:  python -m tests.benchmarks.bench_moodle_logs [--events 200000] [--shape csv|xlsx] [--store URL|sqlite]
Writes a Logs download of one course as Moodle writes it (newest first, English Descriptions, local
times "7/12/23, 13:05"; 600 learners and 3 teachers over 30 days, a typical mix of course, module,
quiz, forum and wiki events, about 5 % teachers' rows) to a temporary folder, then reads it with the
product's reader (`--shape`), printing rows/s (wall clock and CPU: the machine is shared) and peak
RSS. `--store URL` (or `--store sqlite`) imports it end to end into an emptied database instead
(survey, parse, course and enrollments, keys, per-day counts, import run).
"""

from __future__ import annotations

import argparse
import csv
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

LEARNERS, TEACHERS, DAYS = 600, 3, 30
START = np.datetime64("2023-11-01T08:00", "m")
# (event name, component, context, what the Description says the user did, share of learners' rows)
EVENTS = (
    ("Course viewed", "System", "Course: Biology 101", "viewed the course with id '7'.", 0.30),
    ("Course module viewed", "Page", "Page: Week {n}", "viewed the 'page' activity with course module id "
     "'{n}'.", 0.25),
    ("Quiz attempt started", "Quiz", "Quiz: Quiz {n}", "has started the attempt with id '{n}' for the quiz "
     "with course module id '{n}'.", 0.08),
    ("Quiz attempt submitted", "Quiz", "Quiz: Quiz {n}", "has submitted the attempt with id '{n}' for the "
     "quiz with course module id '{n}'.", 0.07),
    ("Discussion viewed", "Forum", "Forum: Questions", "has viewed the discussion with id '{n}' in the "
     "forum with course module id '42'.", 0.12),
    ("Post created", "Forum", "Forum: Questions", "has created the post with id '{n}' in the discussion "
     "with id '{n}' in the forum with course module id '42'.", 0.05),
    ("Wiki page viewed", "Wiki", "Wiki: Glossary", "viewed the page with id '{n}' for the wiki with course "
     "module id '43'.", 0.05),
    ("User logged in", "System", "System", "has logged in.", 0.08),
)
TEACHER_EVENT = ("Grader report viewed", "Grade report: grader", "Course: Biology 101",
                 "viewed the grader report in the gradebook.")
HEADER = ["Time", "User full name", "Affected user", "Event context", "Component", "Event name",
          "Description", "Origin", "IP address"]


def rows(events: int, seed: int = 6):
    """The download's rows, newest first."""
    rng = np.random.default_rng(seed)
    minutes = np.sort(rng.integers(0, DAYS * 24 * 60, events))[::-1]
    users = rng.integers(100, 100 + LEARNERS + TEACHERS, events)
    kinds = rng.choice(len(EVENTS), events, p=[event[4] for event in EVENTS])
    numbers = rng.integers(1, 12, events)
    for minute, user, kind, number in zip(minutes, users, kinds, numbers, strict=True):
        when = (START + np.timedelta64(int(minute), "m")).astype(object)
        teacher = user >= 100 + LEARNERS
        name, component, context, did = TEACHER_EVENT if teacher else EVENTS[kind][:4]
        yield [f"{when.day}/{when.month}/{when.year % 100:02d}, {when:%H:%M}", f"Person {user}", "-",
               context.format(n=number), component, name,
               f"The user with id '{user}' {did.format(n=number)}", "web", "192.0.2.1"]


def write(path: Path, events: int) -> Path:
    """The download as a CSV (BOM, commas) or an Excel workbook, by the path's suffix."""
    if path.suffix == ".xlsx":
        import openpyxl

        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet("Logs")
        sheet.append(HEADER)
        for row in rows(events):
            sheet.append(row)
        book.save(path)
        return path
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows(events))
    return path


def parse(path: Path) -> dict:
    """Read the file with the product's reader; the figures."""
    from services.ingest import moodle_logs

    started, cpu = time.perf_counter(), time.process_time()
    kept = rejected = 0
    for chunk in moodle_logs.read(path):
        kept += len(chunk.frame)
        rejected += len(chunk.rejected)
    return {"kept": kept, "rejected": rejected, "wall_s": time.perf_counter() - started,
            "cpu_s": time.process_time() - cpu}


def store(path: Path, url: str) -> dict:
    """Import the file end to end into an emptied database; the figures."""
    from tests.benchmarks.bench_import import _env

    url = _env(None if url == "sqlite" else url)
    from tests.benchmarks.postgres import empty_database

    empty_database(url)
    from db.migrations import upgrade
    from services.ingest.store import import_file

    upgrade()
    started, cpu = time.perf_counter(), time.process_time()
    report = import_file(path, fmt="moodle")
    if report.status != "done":
        raise SystemExit(f"import {report.status}: {report.error}")
    return {"kept": report.rows_imported, "rejected": report.rejected,
            "wall_s": time.perf_counter() - started, "cpu_s": time.process_time() - cpu}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000, help="rows of the download")
    parser.add_argument("--shape", choices=("csv", "xlsx"), default="csv")
    parser.add_argument("--store", help="import end to end into this database URL (or 'sqlite')")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ssa-bench-moodle-") as folder:
        started = time.perf_counter()
        path = write(Path(folder) / f"logs.{args.shape}", args.events)
        took = time.perf_counter() - started
        print(f"wrote {path.name} ({path.stat().st_size / 1e6:.1f} MB) in {took:.1f} s")
        figures = store(path, args.store) if args.store else parse(path)
    rows_read = figures["kept"] + figures["rejected"]
    print(f"rows {rows_read:,}: kept {figures['kept']:,}, rejected {figures['rejected']:,}")
    print(f"{rows_read / figures['wall_s']:,.0f} rows/s wall ({figures['wall_s']:.1f} s), "
          f"{rows_read / figures['cpu_s']:,.0f} rows/s CPU ({figures['cpu_s']:.1f} s); "
          f"{figures['kept'] / figures['wall_s']:,.0f} events stored or kept/s wall")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
