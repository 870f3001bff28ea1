"""Analytics page figures with many stored predictions (issue: admin workspace). Not a test.

Run:  python -m tests.benchmarks.bench_admin --database-url postgresql://postgres@127.0.0.1:5432/bench_admin
        [--rows 1000000] [--reuse]
Seeds `--rows` exam-score records (varied inputs, one every 31 seconds over the past year) into that
database (its tables are dropped and recreated unless --reuse), then times what the server does for
the analytics page: its first render (cohort profile + importance + every figure) and a filter
change (profile + figures again), median of several runs. Without --database-url it uses SQLite.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np


def _env(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.gettempdir()) / "ssa-bench-admin"
    workdir.mkdir(exist_ok=True)
    os.environ.update(
        {
            "APP_ENV": "testing",
            "INSTANCE_DIR": str(workdir),
            "ARTIFACTS_DIR": str(workdir / "artifacts"),
            "DATABASE_URL": args.database_url or f"sqlite:///{workdir / 'bench.db'}",
        }
    )


def _seed(rows: int, admin_id: int) -> None:
    """`rows` exam records: inputs cycled from generated students, values and times random."""
    import json

    from db.connection import database
    from db.queries import is_postgres
    from db.tables import Record, utcnow
    from modelling.levels import level_for
    from modelling.synthetic import generate_exam
    from services.predictions import bands_for

    frame = generate_exam(20_000, 1).drop(columns="exam_score")
    students = [
        json.dumps({k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()})
        for r in frame.to_dict("records")
    ]
    bands = bands_for("exam-score")
    rng = np.random.default_rng(2)
    now = utcnow()
    block = 50_000
    for start in range(0, rows, block):
        count = min(block, rows - start)
        values = rng.normal(68, 8, count).clip(30, 100).round(1)
        items = [
            (
                admin_id,
                "exam-score",
                f"S{(start + i) % 50_000:05d}",
                students[(start + i) % len(students)],
                1,
                float(values[i]),
                level_for(values[i], bands),
                (now - timedelta(seconds=31 * (rows - start - i))).isoformat(sep=" "),
            )
            for i in range(count)
        ]
        if is_postgres():
            buffer = io.StringIO()
            for item in items:
                buffer.write("\t".join(str(v).replace("\\", "\\\\") for v in item) + "\n")
            buffer.seek(0)
            with database.atomic():
                cursor = database.cursor()
                cursor.copy_expert(
                    "COPY records (user_id, task, student_ref, inputs, model_version, value, level, "
                    "created_at) FROM STDIN",
                    buffer,
                )
        else:
            fields = [
                Record.user,
                Record.task,
                Record.student_ref,
                Record.inputs,
                Record.model_version,
                Record.value,
                Record.level,
                Record.created_at,
            ]
            with database.atomic():
                for part in range(0, count, 5000):
                    Record.insert_many(
                        [
                            (a, b, c, json.loads(d), e, f, g, h)
                            for a, b, c, d, e, f, g, h in items[part : part + 5000]
                        ],
                        fields=fields,
                    ).execute()
        print(f"  seeded {start + count:,} records", file=sys.stderr)
    if is_postgres():
        database.execute_sql("VACUUM ANALYZE records")
    else:
        database.execute_sql("ANALYZE")


def _timed(function, runs: int) -> tuple[float, float]:
    """(first run, median of the next `runs`) in milliseconds."""
    times = []
    for _ in range(runs + 1):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return times[0], statistics.median(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="keep the tables if they hold --rows records")
    args = parser.parse_args()
    _env(args)

    from db.connection import bind_database
    from tests.benchmarks.postgres import create_database_if_missing

    if args.database_url and not args.reuse:
        create_database_if_missing(args.database_url)
        database = bind_database(args.database_url)
        for table in database.get_tables():
            database.execute_sql(f'DROP TABLE IF EXISTS "{table}" CASCADE')
        database.close()

    from server.factory import create_app

    app = create_app("testing")

    from dashboard.components import admin_figures as figures
    from dashboard.components import analytics_figures
    from dashboard.components.analytics_cards import field_cards, kpis
    from db.connection import database
    from db.migrations import upgrade
    from db.tables import Record, User
    from modelling.data import LoadedData
    from modelling.synthetic import generate_exam
    from services import accounts, analytics, model_versions

    with app.app_context():
        upgrade()
        admin = User.by_login("bench-admin") or accounts.register(
            "bench-admin", "bench@example.org", "quartz-meadow-91", "Bench", role="admin"
        )
        if model_versions.versions("exam-score") == []:
            data = LoadedData(generate_exam(1500, 3), [], "bench-exam")
            model_versions.train_version(
                "exam-score", data, folds=3, activate=True, candidates=["linear_regression"]
            )
        stored = Record.select().where(Record.task == "exam-score").count()
        if stored < args.rows:
            print(f"seeding {args.rows - stored:,} records…", file=sys.stderr)
            _seed(args.rows - stored, admin.id)
        stored = Record.select().where(Record.task == "exam-score").count()

        def render(raw: dict) -> None:
            cohort = analytics.make_cohort("exam-score", "records", raw)
            profile = analytics.cohort_profile(admin, "exam-score", "records", cohort)
            value = next(i for i in profile["numeric"] if i["name"] == profile["value"])
            kpis(profile)
            analytics_figures.level_figure(profile)
            analytics_figures.numeric_figure(profile, value)
            analytics_figures.group_means_figure(profile)
            analytics_figures.correlation_figure(profile)
            field_cards(profile)

        def first_render() -> None:
            render({})
            figures.importance_figure(model_versions.active_importance(admin, "exam-score"))

        cases = {
            "first render (no filter; profile + importance + every figure)": first_render,
            "filter change: school type = Private": lambda: render(
                {"categories": {"school_type": ["Private"]}}
            ),
            "filter change: group = Needs improvement": lambda: render({"groups": ["Needs improvement"]}),
            "filter change: hours studied 10..20 (histogram selection)": lambda: render(
                {"ranges": {"hours_studied": [10, 20]}}
            ),
            "filter change: saved in the last 30 days": lambda: render(
                {"date_from": (np.datetime64("today") - np.timedelta64(30, "D")).astype(str)}
            ),
        }
        backend = "PostgreSQL" if args.database_url else "SQLite"
        command = "python -m tests.benchmarks.bench_admin" + (
            f" --database-url {args.database_url}" if args.database_url else ""
        )
        print(
            f"# Analytics benchmark on {backend}, {stored:,} exam records, {os.cpu_count()} cores: {command}"
        )
        window = analytics.profile.ANALYSIS_ROWS
        print(f"# field figures: newest {window:,} rows of the cohort; group counts: all")
        for name, function in cases.items():
            first, median = _timed(function, args.runs)
            print(f"- {name}: first {first:.0f} ms, median of {args.runs} {median:.0f} ms")
        pair = lambda: analytics.pair_density(  # noqa: E731
            admin, "exam-score", "records", analytics.Cohort(), "attendance", "prediction"
        )
        first, median = _timed(pair, args.runs)
        print(
            f"- heatmap cell -> scatter (attendance vs prediction): first {first:.0f} ms, "
            f"median {median:.0f} ms"
        )
        if not database.is_closed():
            database.close()


if __name__ == "__main__":
    main()
