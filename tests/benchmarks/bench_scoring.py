"""Early-warning scoring of every enrollment of the 21 KDD Cup courses at one checkpoint. Not a test.

Run:  python -m tests.benchmarks.bench_scoring --data-dir DATA/kddcup2015_daily
        [--database-url postgresql://postgres@127.0.0.1:5432/h_ewscore_bench] [--day 14] [--runs 2]
        [--candidates spline_logistic,gradient_boosting,keras_sequence,ensemble] [--chosen ensemble]
Loads the course files into the store (only days with events, plain bulk inserts as bench_features
does), trains a small version on a few courses' stored cubes and labels (spline logistic and gradient
boosting at the checkpoint of `--day` only: enough to time serving; `--chosen` makes one of the candidates
the served model whatever its fold figures, e.g. the ensemble real training picks), activates it, then times
`score_at_day` over every course: features read from the store, one model call per course, the
predictions upserted into the history. The first run inserts, later runs replace. Exits 0 without data.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from tests.benchmarks.bench_features import DEFAULT_DATA_DIR, load_course
from tests.benchmarks.postgres import fresh_app

TRAIN_COURSES = 4


def train_and_activate(
    courses, truth: pd.DataFrame, checkpoint: int, candidates: list[str], chosen: str | None = None
) -> None:
    """Train on the first courses' stored activity, save the files and activate the version (the
    candidate `chosen`, when given, refitted as the winner)."""
    from db.tables import ModelVersion
    from modelling.early_warning.serving import save_version
    from modelling.early_warning.training import checkpoint_data, train_early_warning
    from services.course_activity import course_cube
    from services.model_versions import version_directory

    labels = dict(zip(truth["enrollment_id"].astype(str), truth["label"], strict=True))
    data = []
    for course in courses[:TRAIN_COURSES]:
        cube = course_cube(course, course.length_days)
        y = np.array([labels[ref] for ref in cube.learner_refs])
        data.append((course.code, course.length_days, cube.ids, cube.counts, cube.sources, y))
    started = time.perf_counter()
    result = train_early_warning(data, checkpoints=[checkpoint], candidates=candidates)
    if chosen and chosen != result.checkpoints[checkpoint].algorithm:
        force(result.checkpoints[checkpoint], chosen, candidates, checkpoint_data(data, checkpoint)[:2])
    chosen = result.checkpoints[checkpoint].algorithm
    elapsed = time.perf_counter() - started
    print(f"trained on {TRAIN_COURSES} courses in {elapsed:.1f} s; scoring with {chosen}")
    row = ModelVersion.create(
        task="early-warning",
        version=1,
        algorithm=result.checkpoints[checkpoint].algorithm,
        data_fingerprint="bench",
        data_source="kddcup2015_daily",
        rows=sum(len(d[2]) for d in data),
        artifact_dir="early-warning/v1",
    )
    save_version(result, version_directory(row))
    ModelVersion.make_active(row)


def force(result, name: str, candidates: list[str], data: tuple) -> None:
    """Make candidate `name` the checkpoint's model: refitted on every training row, as a winner is."""
    from modelling.early_warning import candidates as candidate_models
    from modelling.early_warning.training import needs_explainer, refit

    result.algorithm = name
    result.estimator = refit(name, candidates, *data, seed=0)
    needs = needs_explainer(result.estimator)
    result.explainer = candidate_models.build("spline_logistic", 0).fit(*data) if needs else None


def main(argv: list[str] | None = None) -> int:
    """Load, train, then time; returns the exit code."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--database-url")
    parser.add_argument("--day", type=int, default=14, help="a checkpoint day (7, 14, 21 or 30)")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument(
        "--candidates",
        default="spline_logistic,gradient_boosting",
        help="candidates to train (comma-separated; the best by grouped ROC AUC scores)",
    )
    parser.add_argument("--chosen", help="the candidate to score with, whatever its fold figures")
    args = parser.parse_args(argv)
    files = sorted(args.data_dir.glob("course_*.csv"))
    if not files:
        print(f"No course files under {args.data_dir}; skipping the scoring benchmark.")
        return 0
    app = fresh_app("scoring", args.database_url)

    from db.connection import database
    from db.courses import Course
    from db.early_warning import EnrollmentPrediction
    from db.queries import is_postgres
    from services.early_warning import scoring

    with app.app_context():
        started = time.perf_counter()
        stored = sum(load_course(path, False) for path in files)
        database.execute_sql("VACUUM ANALYZE" if is_postgres() else "ANALYZE")
        print(
            f"loaded {len(files)} courses, {stored:,} activity rows in {time.perf_counter() - started:.1f} s"
        )
        courses = list(Course.select().order_by(Course.code))
        truth = pd.read_csv(args.data_dir / "truth.csv")
        train_and_activate(courses, truth, args.day, args.candidates.split(","), args.chosen)
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            run = scoring.score_at_day("cli", args.day).run
            times.append(time.perf_counter() - started)
        stored_rows = EnrollmentPrediction.select().count()
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"{backend}: scored {run.enrollments:,} enrollments of {run.courses} courses at day {args.day}"
        f" ({stored_rows:,} predictions stored): first run {times[0]:.2f} s (inserts),"
        f" later runs median {statistics.median(times[1:] or times):.2f} s (replacing); target <= 10 s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
