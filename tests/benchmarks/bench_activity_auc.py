"""How well the early-warning features separate dropouts, on courses a model has not seen. Not a test.

Run:  python -m tests.benchmarks.bench_activity_auc --data-dir DATA/kddcup2015_daily
Builds the features as of each checkpoint day from the 21 course files (per course, as the product
does), then trains scikit-learn's HistGradientBoostingClassifier on some courses and scores the others
(GroupKFold by course, 5 folds) against `truth.csv`. Prints the ROC AUC per day (pooled out-of-fold and
the mean of the folds) next to the data set's published reference figures. Exits 0 when the data is
absent. The real rows are only read.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold
from threadpoolctl import threadpool_limits

from modelling.activity_features import FEATURE_NAMES, SPEC_AGGREGATES, activity_features, cube_from_frame
from modelling.event_types import EVENT_TYPES

# The real data sets' folder: --data-dir, or SSA_REAL_DATA_DIR.
DEFAULT_DATA_DIR = Path(os.environ.get("SSA_REAL_DATA_DIR") or "/nonexistent-real-data") / "kddcup2015_daily"
CHECKPOINTS = (7, 14, 21, 30)
REFERENCE = {7: 0.73, 14: 0.79, 21: 0.84, 30: 0.88}


def course_features(path: Path, days: tuple[int, ...]) -> dict[int, pd.DataFrame]:
    """Per day, the features of every enrollment of one course file, with its course and enrollment_id."""
    frame = pd.read_csv(path, parse_dates=["time"])
    frame["day"] = (frame["time"] - frame["time"].min()).dt.days
    renames = {f"event_{name}": name for name in EVENT_TYPES}
    frame = frame.rename(columns={**renames, "enrollment_id": "enrollment"})
    length = int(frame["day"].max()) + 1
    ids, counts, sources = cube_from_frame(frame, length)
    out = {}
    for day in days:
        features = activity_features(counts, day, length, sources)
        features.insert(0, "enrollment_id", ids.to_numpy())
        features.insert(0, "course", path.stem.removeprefix("course_"))
        out[day] = features
    return out


def grouped_auc(frame: pd.DataFrame, columns: list[str], folds: int, seed: int) -> tuple[float, float]:
    """(pooled out-of-fold ROC AUC, mean of the folds' AUC) with courses kept whole in each fold."""
    # A column that is NaN throughout (server/browser: this data has no sources) breaks the binning of
    # HistGradientBoosting in the installed scikit-learn, and carries nothing anyway.
    columns = [name for name in columns if frame[name].notna().any()]
    x, y, groups = frame[columns].to_numpy(dtype=float), frame["label"].to_numpy(), frame["course"].to_numpy()
    scores = np.zeros(len(frame))
    per_fold = []
    for train, test in GroupKFold(n_splits=folds).split(x, y, groups):
        model = HistGradientBoostingClassifier(random_state=seed).fit(x[train], y[train])
        scores[test] = model.predict_proba(x[test])[:, 1]
        per_fold.append(roc_auc_score(y[test], scores[test]))
    return roc_auc_score(y, scores), float(np.mean(per_fold))


def main(argv: list[str] | None = None) -> int:
    """Build the features, evaluate per checkpoint, print a table; returns the exit code."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    files = sorted(args.data_dir.glob("course_*.csv"))
    truth_file = args.data_dir / "truth.csv"
    if not files or not truth_file.is_file():
        print(f"No course files or truth.csv under {args.data_dir}; skipping.")
        return 0
    truth = pd.read_csv(truth_file)
    per_course = [course_features(path, CHECKPOINTS) for path in files]
    print(f"{len(files)} courses; GroupKFold by course, {args.folds} folds; HistGradientBoostingClassifier\n")
    print(
        "| day | enrollments | AUC, all features (pooled / mean of folds) | AUC, the dropout form's fields"
        " | reference |"
    )
    print("|---|---|---|---|---|")
    with threadpool_limits(1):
        for day in CHECKPOINTS:
            frame = pd.concat([course[day] for course in per_course], ignore_index=True)
            frame = frame.merge(truth, on="enrollment_id", how="inner")
            pooled, mean = grouped_auc(frame, list(FEATURE_NAMES), args.folds, args.seed)
            spec_pooled, _ = grouped_auc(frame, list(SPEC_AGGREGATES), args.folds, args.seed)
            print(
                f"| {day} | {len(frame):,} | {pooled:.3f} / {mean:.3f} | {spec_pooled:.3f}"
                f" | {REFERENCE[day]:.2f} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
