"""The share of each segment per checkpoint, and the dropout rate within it where outcomes are known:
on the generated demo courses, and (given its folder) on a real daily-activity data set with one
`course_<code>.csv` per course and a `truth.csv` of labels.

    python -m tests.benchmarks.bench_segments [--daily DIR] [--seed 30]

Each course's enrollments are segmented at each checkpoint day it reached, from their activity before
that day, as scoring does; the figures pool the courses.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from modelling.activity_features import cube_from_frame
from modelling.demo_course_set import demo_courses
from modelling.early_warning.segments import SEGMENTS, segments_for
from modelling.event_types import EVENT_TYPES
from modelling.tasks import EARLY_WARNING
from services.demo_course_seeding import SEED

# (course days, counts, labels or None, days reached) per course.
Course = tuple[int, np.ndarray, np.ndarray | None, int]


def demo(seed: int) -> list[Course]:
    """The generated demo courses: finished ones with their outcomes, running ones up to their day."""
    out = []
    for course in demo_courses(date(2026, 1, 1), seed):
        frame = course.activity.rename(columns={"enrollment_id": "enrollment"})
        ids, counts, _ = cube_from_frame(frame, course.length_days)
        labels = None
        if course.outcomes is not None:
            labels = course.outcomes.set_index("enrollment_id")["label"].reindex(ids).to_numpy(dtype=float)
        reached = course.current_day if course.running else course.length_days
        out.append((course.length_days, counts, labels, reached))
    return out


def real(folder: Path) -> list[Course]:
    """The courses of a daily-activity folder (all 30 days reached), labelled from its truth.csv."""
    truth = pd.read_csv(folder / "truth.csv").set_index("enrollment_id")["label"].astype(float)
    out = []
    for path in sorted(folder.glob("course_*.csv")):
        frame = pd.read_csv(path, parse_dates=["time"])
        frame["day"] = (frame["time"] - frame["time"].min()).dt.days
        renames = {f"event_{name}": name for name in EVENT_TYPES}
        frame = frame.rename(columns={**renames, "enrollment_id": "enrollment"})
        days = int(frame["day"].max()) + 1
        ids, counts, _ = cube_from_frame(frame, days)
        out.append((days, counts, truth.reindex(ids).to_numpy(), days))
    return out


def table(courses: Iterable[Course]) -> pd.DataFrame:
    """Per checkpoint and segment: enrollments, their share, and the dropout rate among the labelled."""
    parts = []
    for days, counts, labels, reached in courses:
        for checkpoint, day in EARLY_WARNING.course.checkpoint_map(days).items():
            if day > reached:
                continue
            names = segments_for(counts, day)
            known = labels if labels is not None else np.full(len(names), np.nan)
            parts.append(pd.DataFrame({"checkpoint": checkpoint, "segment": names, "label": known}))
    frame = pd.concat(parts, ignore_index=True)
    grouped = frame.groupby(["checkpoint", "segment"])["label"]
    out = pd.DataFrame({"enrollments": grouped.size(), "dropout": grouped.mean()}).reset_index()
    out["share"] = out["enrollments"] / out.groupby("checkpoint")["enrollments"].transform("sum")
    return out


def markdown(figures: pd.DataFrame) -> str:
    """A checkpoint per row: each segment's share (and dropout rate, when known), in the rules' order."""
    header = "| checkpoint | enrollments | " + " | ".join(s.label for s in SEGMENTS) + " |"
    lines = [header, "|---" * (len(SEGMENTS) + 2) + "|"]
    for checkpoint, rows in figures.groupby("checkpoint"):
        by = rows.set_index("segment")
        cells = []
        for segment in SEGMENTS:
            if segment.name not in by.index:
                cells.append("0%")
                continue
            share, dropout = by.at[segment.name, "share"], by.at[segment.name, "dropout"]
            cells.append(f"{share:.1%}" + ("" if np.isnan(dropout) else f" ({dropout:.0%} dropped)"))
        lines.append(f"| day {checkpoint} | {int(rows['enrollments'].sum()):,} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--daily", type=Path, help="a folder of course_<code>.csv files and truth.csv")
    parser.add_argument("--seed", type=int, default=SEED, help="the demo courses' seed (seed-demo's)")
    args = parser.parse_args(argv)
    print(f"Generated demo courses (seed {args.seed}):\n{markdown(table(demo(args.seed)))}\n")
    if args.daily is None:
        return 0
    if not (args.daily / "truth.csv").is_file() or not any(args.daily.glob("course_*.csv")):
        print(f"No course files or truth.csv under {args.daily}; skipping the real data.")
        return 0
    print(f"Real daily data:\n{markdown(table(real(args.daily)))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
