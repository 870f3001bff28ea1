"""Demo courses: finished ones with outcomes (to train early warning on) and running ones (to score),
made by the product's generator and brought in through the importer like any platform's export.

Every demo course code starts with DEMO_COURSE_PREFIX; removing them deletes those courses (with their
enrollments, activity and predictions) and nothing else. A demo course that exists is left as it is,
so seeding again adds nothing.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from db.connection import database
from db.courses import Course
from modelling.demo_courses import demo_courses, write_daily_csv, write_outcomes_csv
from services import ingest

DEMO_COURSE_PREFIX = "DEMO-"
SEED = 30


@dataclass(frozen=True)
class SeededCourse:
    """What seeding did for one demo course."""

    code: str
    enrollments: int
    running: bool
    created: bool


def seed_courses(today: date | None = None, seed: int = SEED) -> list[SeededCourse]:
    """Import the demo courses that do not exist yet; one entry per demo course."""
    today = today or date.today()
    seeded = []
    with tempfile.TemporaryDirectory(prefix="ssa-demo-") as folder:
        for course in demo_courses(today, seed):
            created = Course.by_code(course.code) is None
            if created:
                _import(course, Path(folder))
            seeded.append(
                SeededCourse(course.code, course.activity["enrollment_id"].nunique(), course.running, created)
            )
    return seeded


def _import(course, folder: Path) -> None:
    """One demo course through the importer: its activity file, then its outcomes when finished."""
    daily = write_daily_csv(course, folder / f"{course.code}.csv")
    report = ingest.import_file(
        daily, fmt="daily", start=course.start_date, days=course.length_days, course=course.code
    )
    if report.status != "done":
        raise RuntimeError(f"demo course {course.code} was not imported: {report.error}")
    Course.update(title=course.title).where(Course.code == course.code).execute()
    if course.outcomes is not None:
        ingest.import_outcomes(write_outcomes_csv(course, folder / f"{course.code}-outcomes.csv"))


def remove_courses() -> int:
    """Delete every demo course (enrollments, activity and predictions go with it); how many."""
    with database.atomic():
        return Course.delete().where(Course.code.startswith(DEMO_COURSE_PREFIX)).execute()
