"""The default demo courses: some finished with outcomes, some running now, dated relative to today.

A running course at day D started D days ago; its activity covers days 0..D-1 (no day from today
on) and its outcomes are unknown. Files are written in the daily and outcomes CSV formats of
the product's import formats, so its importer reads them like any platform's export.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from modelling.cells import frame_csv
from modelling.event_types import EVENT_TYPES
from modelling.synthetic_courses import CourseSpec, generate_courses

# code, title, enrollments, days since the course ended (finished) ...
FINISHED = [
    ("DEMO-PY101", "Introduction to Python", 600, 12),
    ("DEMO-DS201", "Data Analysis with pandas", 500, 26),
    ("DEMO-ST110", "Statistics for Everyone", 700, 40),
    ("DEMO-WB120", "Web Development Basics", 450, 54),
    ("DEMO-ML301", "Machine Learning Foundations", 800, 68),
    ("DEMO-EC100", "Principles of Economics", 350, 82),
]
# ... code, title, enrollments, current day (running)
RUNNING = [
    ("DEMO-AI150", "AI Ethics in Practice", 400, 5),
    ("DEMO-CS105", "Algorithms and Data Structures", 500, 12),
    ("DEMO-DB210", "Databases and SQL", 450, 20),
    ("DEMO-PH101", "Introduction to Philosophy", 350, 27),
]
DAILY_COLUMNS = ["enrollment_id", "time", *(f"event_{name}" for name in EVENT_TYPES), "course_id"]
OUTCOME_COLUMNS = ["enrollment_id", "label", "course_id"]


@dataclass(frozen=True)
class DemoCourse:
    """One demo course: its dates, every enrollment's activity per observed day, outcomes when finished."""

    code: str
    title: str
    start_date: date
    length_days: int
    current_day: int | None  # None: finished
    activity: pd.DataFrame  # course, enrollment_id, day, date, the seven type counts (zeros included)
    outcomes: pd.DataFrame | None  # course, enrollment_id, label; None while running

    @property
    def running(self) -> bool:
        """Whether the course is still going on today."""
        return self.current_day is not None


def demo_specs(length_days: int = 30) -> list[tuple[CourseSpec, int]]:
    """The demo courses to generate, each with its start offset in days before today."""
    specs = [(CourseSpec(code, title, n), length_days + ended) for code, title, n, ended in FINISHED]
    specs += [(CourseSpec(code, title, n, observed_days=day), day) for code, title, n, day in RUNNING]
    return specs


def demo_courses(today: date, seed: int) -> list[DemoCourse]:
    """Finished courses with outcomes and running courses without, dated relative to `today`."""
    plan = demo_specs()
    courses, activity, outcomes = generate_courses([spec for spec, _ in plan], seed)
    out = []
    for (spec, offset), row in zip(plan, courses.itertuples(index=False), strict=True):
        start = today - timedelta(days=offset)
        days = activity[activity["course"] == spec.code].reset_index(drop=True)
        days.insert(3, "date", [start + timedelta(days=int(d)) for d in days["day"]])
        running = row.observed_days < row.length_days
        known = outcomes[outcomes["course"] == spec.code].reset_index(drop=True)
        out.append(
            DemoCourse(
                code=spec.code,
                title=spec.title,
                start_date=start,
                length_days=int(row.length_days),
                current_day=int(row.observed_days) if running else None,
                activity=days,
                outcomes=None if running else known,
            )
        )
    return out


def write_daily_csv(course: DemoCourse, path: Path | str) -> Path:
    """The course's activity as a daily CSV: one row per enrollment and observed day."""
    frame = course.activity.rename(columns={name: f"event_{name}" for name in EVENT_TYPES})
    frame = frame.assign(time=frame["date"].map(date.isoformat), course_id=course.code)
    frame_csv(frame[DAILY_COLUMNS], path, index=False)
    return Path(path)


def write_outcomes_csv(course: DemoCourse, path: Path | str) -> Path:
    """The finished course's outcomes as an outcomes CSV: enrollment_id, label, course_id."""
    if course.outcomes is None:
        raise ValueError(f"{course.code} is still running: its outcomes are not known yet")
    frame_csv(course.outcomes.assign(course_id=course.code)[OUTCOME_COLUMNS], path, index=False)
    return Path(path)
