"""Model quality on the real data sets, and training time on bundled-size synthetic data.

Run: python -m tests.benchmarks.bench_model_quality --data-dir DATA

Prints markdown tables: every candidate's cross-validated metrics per task on the real data; the
winners trained on synthetic data (the bundled default: exam 6,607 rows, dropout 24,013 rows,
seed 0) and scored on the real rows; and the wall time of that synthetic training. Exits 0 with a
message when the data directory is absent. Real rows are only read, never written anywhere.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from modelling import evaluate
from modelling.schemas import TaskSchema
from modelling.synthetic import generate_dropout, generate_exam
from modelling.tasks.dropout import SCHEMA as DROPOUT
from modelling.tasks.exam import SCHEMA as EXAM
from modelling.train import TrainingResult, train_task

EXAM_FILE = "StudentPerformanceFactors.csv"
ACTIVITY_FILE = "kddcup2015_mooc_activity.csv"
TRUTH_FILE = "kddcup2015_truth.csv"
BUNDLED_ROWS = {"exam-score": 6607, "dropout": 24013}
SHOWN = {
    "exam-score": ["mae", "rmse", "r2", "interval_coverage", "interval_width", "mae_rounded"],
    "dropout": ["roc_auc", "brier", "ece", "log_loss"],
}
# The real data sets' folder: --data-dir, or SSA_REAL_DATA_DIR.
DEFAULT_DATA_DIR = Path(os.environ.get("SSA_REAL_DATA_DIR") or "/nonexistent-real-data")
TARGETS = {
    "exam-score": "MAE <= 0.45, R^2 >= 0.73, 90% interval coverage 0.88..0.92",
    "dropout": "ROC AUC >= 0.865 (aim 0.87), ECE <= 0.02",
}


def _clean(frame: pd.DataFrame, schema: TaskSchema) -> pd.DataFrame:
    """Rename to field names, validate, and keep the good rows with their target."""
    frame = frame.rename(columns=schema.rename_columns(list(frame.columns), with_target=True))
    clean, errors = schema.validate_frame(frame)
    good = (errors == "").to_numpy()
    if not good.all():
        print(f"note: {int((~good).sum())} {schema.task} rows fail validation and are left out")
    clean[schema.target] = pd.to_numeric(frame[schema.target])
    return clean[good].reset_index(drop=True)


def load_real(data_dir: Path) -> dict[str, pd.DataFrame]:
    """Both real data sets as frames of schema fields plus target."""
    activity = pd.read_csv(data_dir / ACTIVITY_FILE)
    truth = pd.read_csv(data_dir / TRUTH_FILE)
    return {
        "exam-score": _clean(pd.read_csv(data_dir / EXAM_FILE), EXAM),
        "dropout": _clean(activity.merge(truth, on="enrollment_id", how="inner"), DROPOUT),
    }


def _cell(metrics: dict[str, float], name: str) -> str:
    """Mean with its fold standard deviation."""
    std = metrics.get(f"{name}_std")
    return f"{metrics[name]:.4f}" + (f" ± {std:.4f}" if std is not None else "")


def candidates_table(result: TrainingResult) -> str:
    """A markdown table of every candidate's cross-validated metrics (winner in bold)."""
    names = SHOWN[result.task]
    lines = ["| candidate | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for candidate in result.candidates:
        label = f"**{candidate.name}** (winner)" if candidate.name == result.algorithm else candidate.name
        lines.append(f"| {label} | " + " | ".join(_cell(candidate.metrics, n) for n in names) + " |")
    return "\n".join(lines)


def transfer_metrics(result: TrainingResult, real: pd.DataFrame) -> dict[str, float]:
    """Metrics of a winner trained on synthetic data, scored on every real row."""
    schema = EXAM if result.task == "exam-score" else DROPOUT
    truth = real[schema.target].to_numpy(dtype=float)
    if result.task == "dropout":
        proba = result.estimator.predict_proba(real[schema.names])[:, 1]
        return evaluate.classification_metrics(truth, proba)
    predictions = np.asarray(result.estimator.predict(real[schema.names]), dtype=float)
    metrics = evaluate.regression_metrics(truth, predictions, result.details["interval_halfwidth"])
    metrics["mae_rounded"] = evaluate.mae(truth, np.rint(predictions))
    return metrics


def _flat_table(rows: list[tuple[str, dict[str, Any]]], names: list[str]) -> str:
    """A markdown table of plain figures."""
    lines = ["| | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for label, metrics in rows:
        lines.append(f"| {label} | " + " | ".join(f"{metrics[n]:.4f}" for n in names) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns the process exit code."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    needed = [args.data_dir / name for name in (EXAM_FILE, ACTIVITY_FILE, TRUTH_FILE)]
    if not all(path.is_file() for path in needed):
        print(f"Real data not found under {args.data_dir}; skipping the model-quality benchmark.")
        return 0

    real = load_real(args.data_dir)
    print(f"# Model quality ({args.folds}-fold CV on the real data, seed {args.seed})\n")
    for task, frame in real.items():
        started = time.perf_counter()
        result = train_task(task, frame, seed=args.seed, folds=args.folds)
        elapsed = time.perf_counter() - started
        print(f"## {task}: {len(frame)} real rows, winner `{result.algorithm}` ({elapsed:.1f} s)\n")
        print(f"Targets: {TARGETS[task]}.\n")
        print(candidates_table(result) + "\n")
        if task == "dropout":
            print(f"Pooled out-of-fold ECE of the winner: {result.details['oof_ece']:.4f}\n")
        else:
            print(f"Conformal 90% half-width (all folds): {result.details['interval_halfwidth']:.4f}\n")

    print("# Trained on bundled-size synthetic data (seed 0), scored on the real rows\n")
    synthetic = {
        "exam-score": generate_exam(BUNDLED_ROWS["exam-score"], 0),
        "dropout": generate_dropout(BUNDLED_ROWS["dropout"], 0),
    }
    timings: dict[str, float] = {}
    for task, frame in synthetic.items():
        started = time.perf_counter()
        result = train_task(task, frame, seed=args.seed, folds=args.folds)
        timings[task] = time.perf_counter() - started
        on_real = transfer_metrics(result, real[task])
        rows = [
            (f"`{result.algorithm}`: CV on synthetic", result.metrics),
            (f"`{result.algorithm}`: on all {len(real[task])} real rows", on_real),
        ]
        print(f"## {task}\n")
        print(_flat_table(rows, SHOWN[task]) + "\n")

    total = sum(timings.values())
    print("# Training wall time, all candidates, bundled-size synthetic data\n")
    print("| task | rows | seconds |\n|---|---|---|")
    for task, seconds in timings.items():
        print(f"| {task} | {BUNDLED_ROWS[task]} | {seconds:.1f} |")
    print(f"| both | | **{total:.1f}** (budget 90) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
