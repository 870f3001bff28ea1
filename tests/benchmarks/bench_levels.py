"""Early-warning levels relative to the course, on unseen courses: per course and checkpoint, the share
at High, the precision of High, the base rate and the lift. Not a test.

Run:  python -m tests.benchmarks.bench_levels DATA_DIR [--candidate spline_logistic] \
          [--checkpoints 7,14,21,30] [--courses N] [--shares 0.2,0.3] [--no-demo]
DATA_DIR is the daily data folder (one course_<code>.csv per course and truth.csv, as
bench_early_warning reads it). Per checkpoint, every course's probabilities come from the candidate
trained on the other folds' courses (course-grouped 5-fold CV), rounded as they are stored; the levels
are decided within each course. Prints per course: enrollments, share at High (target 20% +/- 2 points,
never above 30%), precision of High, the observed base rate, the expected rate (mean probability) and
the lift (precision / base rate; expected at least 1.1 at day 14), its ceiling (1 / base rate: a High
group that all drops out) and the share the old fixed cut-off (0.7) put at High, then the same for the
generated demo courses (finished ones, with outcomes). Exits 0 when the data folder is absent (the demo
courses are still run unless --no-demo).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from modelling.early_warning import candidates as candidate_models
from modelling.early_warning.level_figures import flag_figures
from modelling.early_warning.training import checkpoint_data, course_folds
from modelling.levels import CourseShares, check_shares
from modelling.tasks import EARLY_WARNING
from tests.benchmarks.bench_early_warning import load_course
from tests.benchmarks.bench_generated_to_real import demo_training_courses

SHARE_TARGET, SHARE_TOLERANCE, SHARE_MAX = 0.20, 0.02, 0.30
LIFT_DAY, LIFT_TARGET = 14, 1.1
HEADER = (
    "| course | enrollments | share at High | precision of High | base rate | expected rate | lift "
    "| lift ceiling | share >= 0.7 (fixed cut-off) |"
)


def out_of_fold(courses: list[tuple], checkpoint: int, candidate: str, seed: int) -> tuple:
    """(labels, out-of-fold probabilities, course of each row) at one checkpoint."""
    X, y, groups = checkpoint_data(courses, checkpoint)
    oof = np.zeros(len(y))
    for train, test in course_folds(groups, seed):
        model = candidate_models.build(candidate, seed).fit(X.iloc[train], y[train])
        oof[test] = model.predict_proba(X.iloc[test])[:, 1]
    return y, oof, groups


def course_rows(y: np.ndarray, p: np.ndarray, groups: np.ndarray, rule: CourseShares) -> list[dict]:
    """Per course: its size and the figures of its levels."""
    rounded = np.round(p, EARLY_WARNING.outcome.decimals)
    rows = []
    for code in np.unique(groups):
        members = groups == code
        levels = rule.assign(rounded[members])
        rows.append(
            {"course": code, "n": int(members.sum()), "fixed_share": float(np.mean(rounded[members] >= 0.7))}
            | flag_figures(y[members], levels == rule.names[0], rounded[members])
        )
    return rows


def report(title: str, courses: list[tuple], args: argparse.Namespace, rule: CourseShares) -> None:
    """Print the per-course table of every checkpoint and a summary line each."""
    print(f"\n## {title}: {len(courses)} courses, {sum(len(c[2]) for c in courses):,} enrollments")
    for checkpoint in args.checkpoints:
        y, p, groups = out_of_fold(courses, checkpoint, args.candidate, args.seed)
        rows = course_rows(y, p, groups, rule)
        print(f"\n### day {checkpoint} ({args.candidate}, out of fold)\n")
        print(HEADER)
        print("|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            print(
                f"| {r['course']} | {r['n']:,} | {r['flagged_share']:.1%} | {r['flagged_precision']:.3f} | "
                f"{r['base_rate']:.3f} | {r['expected_rate']:.3f} | {r['lift']:.2f} | "
                f"{1 / r['base_rate']:.2f} | {r['fixed_share']:.0%} |"
            )
        frame = pd.DataFrame(rows)
        near = (frame["flagged_share"] - rule.high).abs() <= SHARE_TOLERANCE + 1e-9
        print(
            f"\nday {checkpoint}: share at High median {frame['flagged_share'].median():.1%}, "
            f"{near.sum()}/{len(frame)} courses within {rule.high:.0%} +/- {SHARE_TOLERANCE:.0%}, "
            f"max {frame['flagged_share'].max():.1%} (never above {SHARE_MAX:.0%}: "
            f"{'yes' if frame['flagged_share'].max() <= SHARE_MAX else 'NO'}); lift median "
            f"{frame['lift'].median():.2f}, min {frame['lift'].min():.2f}, "
            f"{(frame['lift'] >= LIFT_TARGET).sum()}/{len(frame)} courses at least {LIFT_TARGET}",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    """Load, evaluate, print; returns the exit code."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("data_dir", type=Path, nargs="?")
    parser.add_argument("--candidate", default=EARLY_WARNING.candidates[0], choices=EARLY_WARNING.candidates)
    parser.add_argument("--checkpoints", default=",".join(map(str, EARLY_WARNING.course.checkpoints)))
    parser.add_argument("--courses", type=int, default=0, help="only the first N course files (0: all)")
    parser.add_argument("--shares", default="0.2,0.3")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-demo", action="store_true")
    args = parser.parse_args(argv)
    args.checkpoints = [int(day) for day in args.checkpoints.split(",")]
    rule = CourseShares(*check_shares(args.shares.split(",")))
    with threadpool_limits(args.threads):
        files = sorted(args.data_dir.glob("course_*.csv")) if args.data_dir else []
        if files and (args.data_dir / "truth.csv").is_file():
            truth = pd.read_csv(args.data_dir / "truth.csv").set_index("enrollment_id")["label"].astype(float)
            files = files[: args.courses] if args.courses else files
            report("Real courses", [load_course(path, truth) for path in files], args, rule)
        else:
            print(f"No course files or truth.csv under {args.data_dir}; skipping the real courses.")
        if not args.no_demo:
            report("Generated demo courses (finished)", demo_training_courses(1, args.seed), args, rule)
    return 0


if __name__ == "__main__":
    sys.exit(main())
