"""Early warning on the real courses: every candidate at every checkpoint, on unseen courses. Not a test.

Run:  python -m tests.benchmarks.bench_early_warning --data-dir DATA/kddcup2015_daily \
          [--candidates spline_logistic,gradient_boosting,keras_sequence,ensemble] [--checkpoints 7,14,21,30]
Reads the 21 course files and truth.csv, builds each course's cube, runs `train_early_warning`
(course-grouped 5-fold CV, the winner refitted per checkpoint) on two OpenMP/BLAS threads and prints,
per checkpoint and candidate, the mean fold ROC AUC, PR AUC, Brier, ECE, High precision and recall, and
the time each candidate cost, next to the targets; per held-out fold, the chosen model's ECE and
calibration offset (mean probability minus the observed dropout rate). Exits 0 when the data is
absent; the rows are only read.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from modelling.activity_features import cube_from_frame
from modelling.early_warning.training import train_early_warning
from modelling.event_types import EVENT_TYPES
from modelling.tasks import EARLY_WARNING

# The real data sets' folder: --data-dir, or SSA_REAL_DATA_DIR.
DEFAULT_DATA_DIR = Path(os.environ.get("SSA_REAL_DATA_DIR") or "/nonexistent-real-data") / "kddcup2015_daily"
TARGETS = {7: 0.75, 14: 0.80, 21: 0.85, 30: 0.89}
REFERENCE = {7: 0.73, 14: 0.79, 21: 0.84, 30: 0.88}
ECE_TARGET = 0.03


def load_course(path: Path, truth: pd.Series) -> tuple:
    """(code, days, ids, counts, None, labels) of one course file."""
    frame = pd.read_csv(path, parse_dates=["time"])
    frame["day"] = (frame["time"] - frame["time"].min()).dt.days
    renames = {f"event_{name}": name for name in EVENT_TYPES}
    frame = frame.rename(columns={**renames, "enrollment_id": "enrollment"})
    days = int(frame["day"].max()) + 1
    ids, counts, sources = cube_from_frame(frame, days)
    labels = truth.reindex(ids).to_numpy()
    known = ~np.isnan(labels)
    return (
        path.stem.removeprefix("course_"),
        days,
        ids[known],
        counts[known],
        sources,
        labels[known].astype(int),
    )


def _progress(fraction: float, message: str) -> None:
    print(f"  {fraction:4.0%} {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Load, train, print; returns the exit code."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--candidates", default=",".join(EARLY_WARNING.candidates))
    parser.add_argument("--checkpoints", default=",".join(map(str, EARLY_WARNING.course.checkpoints)))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    files = sorted(args.data_dir.glob("course_*.csv"))
    if not files or not (args.data_dir / "truth.csv").is_file():
        print(f"No course files or truth.csv under {args.data_dir}; skipping.")
        return 0
    truth = pd.read_csv(args.data_dir / "truth.csv").set_index("enrollment_id")["label"].astype(float)
    courses = [load_course(path, truth) for path in files]
    names = tuple(args.candidates.split(","))
    checkpoints = tuple(int(day) for day in args.checkpoints.split(","))
    rows = sum(len(course[2]) for course in courses)
    print(
        f"{len(courses)} courses, {rows:,} enrollments; course-grouped 5-fold CV; "
        f"candidates {', '.join(names)}"
    )
    start = time.perf_counter()
    with threadpool_limits(args.threads):
        result = train_early_warning(courses, checkpoints, names, seed=args.seed, progress=_progress)
    total = time.perf_counter() - start
    print(f"folds (held-out courses): {result.folds}\n")
    print(
        "| day | candidate | ROC AUC | PR AUC | Brier | ECE | High prec. | High recall | CV s | target AUC |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for day, checkpoint in result.checkpoints.items():
        for name, evidence in checkpoint.candidates.items():
            m = evidence["mean"]
            mark = " (chosen)" if name == checkpoint.algorithm else ""
            print(
                f"| {day} | {name}{mark} | {m['roc_auc']:.3f} | {m['pr_auc']:.3f} | {m['brier']:.4f} | "
                f"{m['ece']:.4f} | {m['high_precision']:.3f} | {m['high_recall']:.3f} | "
                f"{evidence['seconds']:.0f} | {TARGETS[day]:.2f} (ref. {REFERENCE[day]:.2f}) |"
            )
    print(
        "\nPooled out-of-fold ECE of the chosen model:",
        {day: round(r.candidates[r.algorithm]["pooled"]["ece"], 4) for day, r in result.checkpoints.items()},
    )
    print(
        "Per held-out fold, ECE and offset (mean probability - observed rate) of the chosen model:",
        {
            day: [(round(f["ece"], 3), round(f["offset"], 3)) for f in r.candidates[r.algorithm]["folds"]]
            for day, r in result.checkpoints.items()
        },
    )
    print(
        "Seconds per candidate (CV and refit, all checkpoints):",
        {k: round(v) for k, v in result.seconds.items()},
    )
    print(f"Total training time: {total:.0f} s (target <= 360 s on 2 cores)")
    met = all(result.auc_by_checkpoint[d] >= TARGETS[d] for d in result.checkpoints)
    ece = all(r.metrics["ece"] <= ECE_TARGET for r in result.checkpoints.values())
    print(f"AUC targets met: {met}; ECE <= {ECE_TARGET} everywhere: {ece}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
