"""The fairness report of the exam model on a real labelled exam file (the public Student Performance
Factors data set), as training computes it: per group of the chosen attributes, out-of-fold figures with
bootstrap 95% intervals, the largest gaps, and the gate's verdict at a few limits.

Run: python -m tests.benchmarks.bench_fairness PATH/StudentPerformanceFactors.csv \
         [--attributes gender,family_income] [--candidates linear_regression,huber]

Prints Markdown. Exits 0 with a message when the file is absent. The rows are only read.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from modelling import fairness
from modelling.data import load_labelled
from modelling.tasks import EXAM
from modelling.train import train_task

LIMITS = (0.05, 0.1, 0.2)


def main(argv: list[str] | None = None) -> int:
    """Train the exam model on the file and print its fairness report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="a labelled exam CSV (StudentPerformanceFactors.csv)")
    parser.add_argument("--attributes", default="gender,family_income", help="comma-separated, or 'all'")
    parser.add_argument("--candidates", help="comma-separated (default: every candidate of the task)")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args(argv)
    if not args.path.is_file():
        print(f"skipped: {args.path} is absent")
        return 0
    data = load_labelled(EXAM.name, args.path)
    started = time.perf_counter()
    result = train_task(
        EXAM.name,
        data.frame,
        folds=args.folds,
        candidates=args.candidates.split(",") if args.candidates else None,
    )
    seconds = time.perf_counter() - started
    report = result.details["fairness"]
    wanted = None if args.attributes == "all" else set(args.attributes.split(","))
    shown = {**report, "attributes": [a for a in report["attributes"] if not wanted or a["name"] in wanted]}
    print(
        f"Exam model: {result.algorithm}, {result.rows} rows ({len(data.rejected)} rejected), "
        f"{args.folds}-fold out-of-fold predictions; training and report {seconds:.0f} s.\n"
    )
    print("\n".join(fairness.markdown(shown)))
    print("\nThe gate (every attribute of the task):")
    for limit in LIMITS:
        passed, reasons = fairness.gate(report, limit)
        print(f"- FAIRNESS_MAX_GAP={limit}: " + ("passes" if passed else "refuses: " + "; ".join(reasons)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
