"""Fidelity of the course generator: train on generated courses only, score the real daily data.

    python -m tests.benchmarks.bench_course_fidelity --data-dir DATA/kddcup2015_daily

Prints ROC AUC of gradient boosting trained on generated courses and scored on every real
enrollment (target >= 0.85 with all 30 days), at days 7/14/21/30, next to real-to-real with
course-grouped 5-fold cross-validation. Also the generated versus measured activity figures.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold

from modelling.calibrate_courses import DATA_DIR, course_files, load_daily
from modelling.event_types import EVENT_TYPES
from modelling.synthetic_courses import CourseSpec, generate_courses

CHECKPOINTS = (7, 14, 21, 30)
AUC_TARGET = 0.85
SEED = 0
WEEK_DAYS = 7


def features(courses: np.ndarray, counts: np.ndarray, day: int) -> pd.DataFrame:
    """Activity features as of `day` (days 0..day-1): a local stand-in for modelling.activity_features."""
    seen = counts[:, :day]
    totals = seen.sum(axis=2)
    active = totals > 0
    out = pd.DataFrame(seen.sum(axis=1), columns=list(EVENT_TYPES))
    out["events"] = totals.sum(axis=1)
    out["active_days"] = active.sum(axis=1)
    for week in range((day + WEEK_DAYS - 1) // WEEK_DAYS):
        part = slice(week * WEEK_DAYS, min((week + 1) * WEEK_DAYS, day))
        out[f"events_week_{week}"] = totals[:, part].sum(axis=1)
        out[f"active_days_week_{week}"] = active[:, part].sum(axis=1)
    last = np.where(active.any(axis=1), day - 1 - np.argmax(active[:, ::-1], axis=1), -1)
    out["days_since_active"] = day - 1 - last
    out["first_active_day"] = np.where(active.any(axis=1), np.argmax(active, axis=1), day)
    for column in ("events", "active_days"):
        median = out.groupby(courses)[column].transform("median").to_numpy()
        out[f"{column}_vs_course"] = out[column] / np.maximum(median, 1)
    return out


def generated(n_courses: int, enrollments: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Generated finished courses as (course per enrollment, counts [enrollment, day, type], labels)."""
    spec = [CourseSpec(f"GEN{i:02d}", f"Generated {i}", enrollments) for i in range(n_courses)]
    _, activity, outcomes = generate_courses(spec, seed)
    counts = activity[list(EVENT_TYPES)].to_numpy().reshape(len(outcomes), -1, len(EVENT_TYPES))
    return outcomes["course"].to_numpy(), counts, outcomes["label"].to_numpy()


def model() -> HistGradientBoostingClassifier:
    """The boosting model both directions use."""
    return HistGradientBoostingClassifier(random_state=SEED)


def real_to_real(courses: np.ndarray, counts: np.ndarray, labels: np.ndarray, day: int) -> float:
    """ROC AUC of course-grouped 5-fold cross-validation on the real data."""
    x = features(courses, counts, day)
    scores = np.zeros(len(labels))
    for train, test in GroupKFold(n_splits=5).split(x, labels, groups=courses):
        scores[test] = model().fit(x.iloc[train], labels[train]).predict_proba(x.iloc[test])[:, 1]
    return roc_auc_score(labels, scores)


def generated_to_real(gen: tuple, real: tuple, day: int) -> float:
    """ROC AUC on every real enrollment of a model trained on generated courses only."""
    fitted = model().fit(features(gen[0], gen[1], day), gen[2])
    return roc_auc_score(real[2], fitted.predict_proba(features(real[0], real[1], day))[:, 1])


def describe(name: str, counts: np.ndarray, labels: np.ndarray) -> None:
    """Active-day figures by label, to compare generated with real."""
    active = counts.sum(axis=2) > 0
    for label, word in ((0, "stayers"), (1, "dropouts")):
        rows = active[labels == label]
        days = rows.sum(axis=1)
        print(
            f"  {name:<9} {word:<8} active share days 0-6 {rows[:, :7].mean():.3f}, "
            f"23-29 {rows[:, 23:].mean():.3f}; "
            f"active days mean {days.mean():.2f}, one day only {np.mean(days == 1):.3f}"
        )


def main(argv: list[str] | None = None) -> int:
    """Command line entry point: prints the figures and whether the target is met."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--courses", type=int, default=20)
    parser.add_argument("--enrollments", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    try:
        course_files(args.data_dir)
    except FileNotFoundError as exc:
        print(f"bench_course_fidelity: {exc}; nothing to score against.", file=sys.stderr)
        return 2
    enrollments, counts = load_daily(args.data_dir)
    real = (enrollments["course"].to_numpy(), counts, enrollments["label"].to_numpy())
    started = time.perf_counter()
    gen = generated(args.courses, args.enrollments, args.seed)
    print(
        f"generated {args.courses} courses x {args.enrollments} enrollments in "
        f"{time.perf_counter() - started:.2f} s (seed {args.seed})"
    )
    describe("real", real[1], real[2])
    describe("generated", gen[1], gen[2])
    print("ROC AUC   generated->real   real->real (course-grouped 5-fold CV)")
    results = {}
    for day in CHECKPOINTS:
        results[day] = generated_to_real(gen, real, day)
        print(f"  day {day:>2}  {results[day]:.4f}            {real_to_real(*real, day):.4f}")
    met = results[CHECKPOINTS[-1]] >= AUC_TARGET
    print(f"target (generated->real AUC >= {AUC_TARGET} with all 30 days): {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
