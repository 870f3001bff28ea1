"""Serving figures: single-row predict, full analysis, and 1,000,000-row batch scoring via the CLI.

Run: python -m tests.benchmarks.bench_serving [--rows 1000000]
Uses a throwaway instance (SQLite) and trains the models on the bundled data first.
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def flask(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )


def median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="ssa-bench-"))
    atexit.register(shutil.rmtree, workdir, True)  # its databases can take gigabytes
    env = {
        **os.environ,
        "APP_ENV": "development",
        "INSTANCE_DIR": str(workdir),
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}",
        "ARTIFACTS_DIR": str(workdir / "artifacts"),
    }
    start = time.perf_counter()
    flask("ensure-models", env=env)
    print(
        f"training both tasks, all candidates, bundled data: {time.perf_counter() - start:.1f} s "
        "(python -m tests.benchmarks.bench_serving)"
    )

    os.environ.update(env)
    import pandas as pd

    from modelling.synthetic import generate_dropout, generate_exam
    from server.factory import create_app
    from services.model_versions import active_predictor

    app = create_app("development")
    with app.app_context():
        for task, generate, bands in (
            ("exam-score", generate_exam, "EXAM_LEVELS"),
            ("dropout", generate_dropout, "RISK_LEVELS"),
        ):
            predictor = active_predictor(task)
            record = generate(1, 11)[predictor.schema.names].iloc[0].to_dict()
            one_row = pd.DataFrame([record])
            predict = median_ms(lambda p=predictor, f=one_row: p.outcomes(f), 500)
            analyse = median_ms(lambda p=predictor, r=record, b=app.config[bands]: p.analyse(r, b), 500)
            print(
                f"{task} v{predictor.version} {predictor.algorithm}: single-row predict median "
                f"{predict:.2f} ms; predict + explanation + recommendations median {analyse:.2f} ms"
            )

        predictor = active_predictor("dropout")
        frame = generate_dropout(args.rows, 3)
        source, target = workdir / "enrollments.csv", workdir / "scored.csv"
        frame.drop(columns="dropout").to_csv(source, index=False)
        features = frame[predictor.schema.names].astype(float)
        start = time.perf_counter()
        predictor.outcomes(features)
        serving_seconds = time.perf_counter() - start
        start = time.perf_counter()
        predictor.estimator.predict_proba(features)
        raw_seconds = time.perf_counter() - start
        served_by = "lookup tables" if predictor.model.tables is not None else "the model"

    command = [
        "/usr/bin/time",
        "-f",
        "%M",
        sys.executable,
        "-m",
        "flask",
        "--app",
        "wsgi",
        "score",
        "dropout",
        str(source),
        str(target),
    ]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    peak_mb = int(result.stderr.strip().splitlines()[-1]) / 1024
    rate = args.rows / seconds
    print(
        f"batch scoring {args.rows:,} dropout rows through `flask --app wsgi score`: {seconds:.1f} s, "
        f"{rate:,.0f} rows/s end to end, peak RSS {peak_mb:.0f} MB; the model's own predict_proba on the "
        f"same rows {raw_seconds:.1f} s ({args.rows / raw_seconds:,.0f} rows/s), end-to-end/raw time ratio "
        f"{seconds / raw_seconds:.2f}x; served by {served_by}: {serving_seconds:.2f} s"
    )


if __name__ == "__main__":
    main()
