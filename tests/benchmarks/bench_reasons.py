"""The reasons a tutor reads, checked on every scored enrollment of the real courses. Not a test.

Run:  python -m tests.benchmarks.bench_reasons <daily data folder> [--candidates spline_logistic]
          [--days 7,14,21,30] [--courses N]
Loads the 21 course files and truth.csv as bench_early_warning does, trains the early-warning model
with course-grouped 5-fold CV (the winner refitted on all courses), scores every course at each day and
counts, over every scored enrollment (and, for scale, the rows given the fallback line, and those with a
positive contribution on the better side of the median: good news an earlier rule listed as a reason):
- empty: no reason at all;
- negative: a reason for the risk whose contribution is not positive;
- wrong side: a reason for the risk on the better side of the course median (more activity), or a
  factor in the learner's favour on the risky side;
- median 0: a comparison with a course median of 0 ("the course median is 0");
- contradictions: a reason that disagrees with the days since the last activity as the at-risk list
  counts them on the same days (the scored day minus the last active day before it);
- wording: "0 days", "1 days" or the same words twice in one cell.
Every count must be 0; the exit code is 1 otherwise. Exits 0 when the data is absent.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from modelling.early_warning import reason_words
from modelling.early_warning.inputs import model_frame
from modelling.early_warning.reasons import MIN_CONTRIBUTION, contributions, course_medians
from modelling.early_warning.serving import load_version, save_version
from modelling.early_warning.training import train_early_warning
from tests.benchmarks.bench_early_warning import load_course

CHECKS = ("empty", "negative", "wrong side", "median 0", "contradictions", "wording")
MEDIAN_ZERO = re.compile(r"median is (day )?0(\.0)?(%| |;|$)")
SINCE = re.compile(r"(\d+) days? since the last activity")
RECENT = re.compile(r"^active on (\d+) of the last (\d+) days?")
WORDING = re.compile(r"\b0 days\b|\b1 days\b|\blast 0\b")


def days_since_last_activity(counts: np.ndarray, day: int) -> list[int | None]:
    """As the at-risk list counts them: `day` minus the last day before it with events (None: never)."""
    active = counts[:, :day].sum(axis=2) > 0
    ever = active.any(axis=1)
    last = day - 1 - active[:, ::-1].argmax(axis=1)
    return [int(day - at) if seen else None for at, seen in zip(last, ever, strict=True)]


def _contradicts(text: str, since: int | None) -> bool:
    said = SINCE.search(text)
    if said:
        return since is None or int(said.group(1)) != since
    if text.startswith("not active yet"):
        return since is not None
    recent = RECENT.search(text)
    if recent:
        active, window = int(recent.group(1)), int(recent.group(2))
        return (since is not None and since <= window) != (active > 0)
    return False


def check_course(frame: pd.DataFrame, X: pd.DataFrame, since: list[int | None], day: int) -> Counter:
    """The counts of CHECKS over one course's scored rows at one day (plus rows and fallback lines)."""
    found: Counter = Counter()
    medians = course_medians(X)
    rows = zip(frame["factors"], frame["in_favour"], frame["risk_level"], strict=True)
    for row, (raising, favour, level) in enumerate(rows):
        found["rows"] += 1
        found["high"] += level == "High"
        found["empty"] += not raising
        fallback = any(f["contribution"] is None for f in raising)
        found["fallback"] += fallback
        found["high fallback"] += fallback and level == "High"
        for sign, factors in ((1, raising), (-1, favour)):
            texts = [f["text"] for f in factors]
            firsts = [text.split(";")[0] for text in texts]
            found["wording"] += len(set(firsts)) != len(firsts) or any(WORDING.search(t) for t in texts)
            for factor in factors:
                text = factor["text"]
                found["median 0"] += bool(MEDIAN_ZERO.search(text))
                found["contradictions"] += _contradicts(text, since[row])
                if factor["contribution"] is None:
                    continue
                found["negative"] += sign * factor["contribution"] <= 0
                said = reason_words.SPOKEN_AS.get(factor["feature"], factor["feature"])
                found["wrong side"] += reason_words.side(said, X[said].iloc[row], medians[said]) != sign
    return found


def hidden_rows(contrib: pd.DataFrame, X: pd.DataFrame, day: int) -> int:
    """How many rows have a positive contribution on the better side of the median: what an earlier rule
    (every positive contribution a reason) gave as a reason for the risk although it reads as good news."""
    medians = course_medians(X)
    hidden = np.zeros(len(X), dtype=bool)
    for name in contrib.columns:
        said = reason_words.SPOKEN_AS.get(name, name)
        if not reason_words.spoken(said, day):
            continue
        values, median = X[said].to_numpy(dtype=float), medians[said]
        better = reason_words.phrasing(said).worse_when * np.sign(values - median) < 0
        hidden |= (contrib[name].to_numpy() >= MIN_CONTRIBUTION) & better
    return int(hidden.sum())


def main(argv: list[str] | None = None) -> int:
    """Load, train, score, count; returns the exit code."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--candidates", default="spline_logistic")
    parser.add_argument("--days", default="7,14,21,30")
    parser.add_argument("--courses", type=int, default=0, help="only the first N course files (0: all)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    files = sorted(args.data_dir.glob("course_*.csv"))
    if not files or not (args.data_dir / "truth.csv").is_file():
        print(f"No course files or truth.csv under {args.data_dir}; skipping.")
        return 0
    files = files[: args.courses or None]
    truth = pd.read_csv(args.data_dir / "truth.csv").set_index("enrollment_id")["label"].astype(float)
    courses = [load_course(path, truth) for path in files]
    days = tuple(int(day) for day in args.days.split(","))
    started = time.perf_counter()
    with threadpool_limits(args.threads):
        result = train_early_warning(courses, days, tuple(args.candidates.split(",")), seed=0)
    print(
        f"{len(courses)} courses, {sum(len(c[2]) for c in courses):,} enrollments; "
        f"chosen {', '.join(f'day {d}: {r.algorithm}' for d, r in result.checkpoints.items())}; "
        f"trained in {time.perf_counter() - started:.0f} s"
    )
    totals: dict[int, Counter] = {}
    with tempfile.TemporaryDirectory() as folder, threadpool_limits(args.threads):
        version = load_version(save_version(result, Path(folder) / "v1"))
        for day in days:
            totals[day] = Counter()
            for _, length, ids, counts, sources, _ in courses:
                scored = version.score_course(ids, counts, day, length, sources)
                as_of, checkpoint = scored.as_of_day, scored.checkpoint
                X = model_frame(counts, as_of, length, sources, window=checkpoint)
                since = days_since_last_activity(counts, as_of)
                totals[day] += check_course(scored.frame, X, since, as_of)
                parts = version.models[checkpoint]
                contrib, _ = contributions(parts["estimator"], X, parts["explainer"])
                totals[day]["hidden"] += hidden_rows(contrib, X, as_of)
    print(
        "\n| day | scored | fallback line | High | High with the fallback | good news kept out | "
        + " | ".join(CHECKS)
        + " |"
    )
    print("|---|---|---|---|---|---|" + "---|" * len(CHECKS))
    for day, found in totals.items():
        print(
            f"| {day} | {found['rows']:,} | {found['fallback']:,} | {found['high']:,} | "
            f"{found['high fallback']:,} | {found['hidden']:,} | "
            + " | ".join(f"{found[name]:,}" for name in CHECKS)
            + " |"
        )
    bad = sum(found[name] for found in totals.values() for name in CHECKS)
    print(f"\nEvery check 0: {'yes' if bad == 0 else 'NO'}; total time {time.perf_counter() - started:.0f} s")
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
