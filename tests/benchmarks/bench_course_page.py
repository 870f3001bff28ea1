"""The Course page with a big course (targets: first render <= 1 s, a filter or sort <= 300 ms). Not a test.

Run:  python -m tests.benchmarks.bench_course_page [--database-url postgresql://...] [--enrollments 5000]
        [--runs 5]
Seeds one finished 30-day course of `--enrollments` learners with generated daily activity, scored at
days 7, 14, 21 and 30 (three reasons each), an action on one learner in ten, and a tutor assigned to it
(the tables are emptied first; SQLite in a temporary folder without --database-url). Then times what
the server does for the page, signed in as that tutor, as Dash does it (the callbacks' functions and
the JSON of what they return): the first render (layout with the header and the trend chart, then the
grid's first block of rows) and a filter or sort change (the grid's first block again), first run and
median of the next `--runs`; then a scroll through the whole list, every block of 100 rows the grid
asks for, in order. Each timed case starts with no at-risk list kept (a filter or sort change is a
new list); the scroll's later blocks find the list the first block made. The browser's drawing is not
included. Run from another tree (PYTHONPATH) to time its code with this script.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta

import numpy as np

CODE = "BENCH/2026"
CHECKPOINTS = (7, 14, 21, 30)
REASONS = (
    "no activity in the last {n} days; the course median is 2",
    "events so far a fifth of the course's typical learner",
    "{n} active days in the last two weeks; the course median is 6",
    "video events fell by half in the last week",
)


def _activity(course, ids: list[int], rng) -> None:
    """Generated daily counts: each learner active on some days, fading out for about half of them."""
    from db.connection import database
    from db.courses import EVENT_TYPES, ActivityDay

    count = len(ids)
    stop = np.where(rng.random(count) < 0.5, rng.integers(3, 30, count), 30)
    active = (rng.random((count, 30)) < 0.45) & (np.arange(30)[None, :] < stop[:, None])
    rows = []
    for e, d in zip(*np.nonzero(active), strict=True):
        counts = rng.poisson(3.0, len(EVENT_TYPES))
        rows.append(
            {
                "course": course.id,
                "enrollment": ids[e],
                "day": int(d),
                **dict(zip(EVENT_TYPES, map(int, counts), strict=True)),
            }
        )
    with database.atomic():
        for start in range(0, len(rows), 500):
            ActivityDay.insert_many(rows[start : start + 500]).execute()


def _predictions(course, ids: list[int], rng) -> None:
    """Scores at the four checkpoints: a random walk per learner, three reasons each."""
    from db.early_warning import EnrollmentPrediction, ScoringRun
    from db.tables import utcnow
    from modelling.levels import RISK_LEVELS, levels_for

    run = ScoringRun.create(trigger="cli", status="succeeded", run_date=utcnow().date(), finished_at=utcnow())
    probability = rng.beta(2, 5, len(ids))
    for day in CHECKPOINTS:
        probability = np.clip(probability + rng.normal(0.03, 0.1, len(ids)), 0.01, 0.99)
        levels = levels_for(probability, RISK_LEVELS)
        rows = [
            {
                "enrollment": enrollment,
                "course": course.id,
                "day": day,
                "checkpoint": day,
                "probability": float(probability[i]),
                "risk_level": str(levels[i]),
                "top_factors": [
                    {
                        "feature": f"f{k}",
                        "contribution": 0.3,
                        "direction": "up",
                        "text": REASONS[(i + k) % 4].format(n=k + 3),
                    }
                    for k in range(3)
                ],
                "model_version": None,
                "run": run.id,
                "created_at": utcnow(),
            }
            for i, enrollment in enumerate(ids)
        ]
        EnrollmentPrediction.upsert_many(rows)


def seed(enrollments: int):
    """The course, its tutor and an administrator; returns (course, tutor)."""
    from db.courses import Course, Enrollment
    from db.tables import User, utcnow
    from db.tutoring import CourseTutor
    from services import accounts
    from services.tutoring import actions

    rng = np.random.default_rng(15)
    admin = accounts.register("bench-admin", "admin@example.org", "quartz-meadow-91", "Admin", role="admin")
    tutor = accounts.register("bench-tutor", "tutor@example.org", "quartz-meadow-91", "Tutor", role="tutor")
    course = Course.create(
        code=CODE, title="Benchmark course", start_date=utcnow().date() - timedelta(days=31)
    )
    refs = [f"learner-{i:05d}" for i in range(enrollments)]
    found = Enrollment.ids_for(course.id, refs)
    ids = [found[ref] for ref in refs]
    CourseTutor.create(course=course, user=tutor, assigned_by=admin)
    _activity(course, ids, rng)
    _predictions(course, ids, rng)
    for start in range(0, len(ids), 500):
        chosen = ids[start : start + 500 : 10]
        actions.record_actions(admin, chosen, "contacted", "benchmark", "email")
    return course, User.get_by_id(tutor.id)


def _timed(function, runs: int) -> tuple[float, float, float]:
    """(first run, median of the next `runs`, median CPU time of this process) in milliseconds: on a
    shared machine the CPU time says what the work costs when the process is not kept waiting."""
    times, cpu = [], []
    for _ in range(runs + 1):
        started, started_cpu = time.perf_counter(), time.process_time()
        function()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return times[0], statistics.median(times[1:]), statistics.median(cpu[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--enrollments", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from tests.benchmarks.postgres import fresh_app

    app = fresh_app("course-page", args.database_url)

    from dash._utils import to_json
    from flask import g

    from dashboard.pages import course as page
    from db.connection import database

    with app.app_context():
        started = time.perf_counter()
        print(f"seeding {args.enrollments:,} enrollments…", file=sys.stderr)
        _, tutor = seed(args.enrollments)
        if args.database_url:
            database.execute_sql("VACUUM ANALYZE")
        else:
            database.execute_sql("ANALYZE")
        print(f"seeded in {time.perf_counter() - started:.1f} s", file=sys.stderr)

    block = {"startRow": 0, "endRow": page.BLOCK, "sortModel": [], "filterModel": {}}

    def request(function):
        """Run `function` as a request signed in as the tutor, and the JSON Dash would send back."""

        def run():
            with app.test_request_context("/course"):
                g.dashboard_user = tutor
                to_json(function())

        return run

    def cold(function):
        """`function` with no at-risk list kept (each case times the list being made)."""

        def run():
            app.extensions.pop("course_at_risk_lists", None)
            function()

        return run

    def scroll():
        """Every block of the list sorted by change, in order, as the grid asks while one scrolls."""
        sort = [{"colId": "change", "sort": "asc"}]
        for start in range(0, args.enrollments, page.BLOCK):
            blocks = {"startRow": start, "endRow": start + page.BLOCK, "sortModel": sort, "filterModel": {}}
            request(lambda blocks=blocks: page.load_rows(blocks, {}, CODE))()

    def first_render():
        request(lambda: page.layout(code=CODE))()
        request(lambda: page.load_rows(block, {}, CODE))()

    cases = {
        "first render (layout: header + trend chart; grid's first 100 rows)": first_render,
        "filter: risk level High": request(lambda: page.load_rows(block, {"risk_level": "High"}, CODE)),
        "filter: inactive >= 7 days and no action yet": request(
            lambda: page.load_rows(block, {"inactive_days": 7, "no_action": True}, CODE)
        ),
        "filter: learner search '0042'": request(lambda: page.load_rows(block, {"learner": "0042"}, CODE)),
        "sort: days since last activity, most first": request(
            lambda: page.load_rows({**block, "sortModel": [{"colId": "inactive", "sort": "desc"}]}, {}, CODE)
        ),
        "scroll: rows 4,900..5,000 by change": request(
            lambda: page.load_rows(
                {"startRow": 4900, "endRow": 5000, "sortModel": [{"colId": "change", "sort": "asc"}]},
                {},
                CODE,
            )
        ),
        "export CSV of every row": request(
            lambda: page.course_overview.at_risk_csv(tutor, CODE, page.course_overview.AtRiskFilters())
        ),
    }
    cases = {name: cold(function) for name, function in cases.items()}
    blocks = -(-args.enrollments // page.BLOCK)
    cases[f"scroll: all {blocks} blocks of {page.BLOCK} rows by change, in order"] = cold(scroll)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    command = "python -m tests.benchmarks.bench_course_page" + (
        f" --database-url {args.database_url}" if args.database_url else ""
    )
    print(
        f"# Course page on {backend}: {args.enrollments:,} enrollments scored at days "
        f"{', '.join(map(str, CHECKPOINTS))}, signed in as its tutor, {os.cpu_count()} cores: {command}"
    )
    print("# targets: first render <= 1000 ms, a filter or sort <= 300 ms (server side)")
    print(f"# load average before: {', '.join(f'{v:.1f}' for v in os.getloadavg())}")
    with app.app_context():
        for name, function in cases.items():
            first, median, cpu = _timed(function, args.runs)
            print(f"- {name}: first {first:.0f} ms, median of {args.runs} {median:.0f} ms (CPU {cpu:.0f} ms)")
        print(f"# load average after: {', '.join(f'{v:.1f}' for v in os.getloadavg())}")
        if not database.is_closed():
            database.close()


if __name__ == "__main__":
    main()
