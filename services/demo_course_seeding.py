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
from db.courses import ActivityDay, Course, Enrollment
from db.tables import User
from modelling.demo_course_set import demo_courses, write_daily_csv, write_outcomes_csv
from services import ingest, learner_links
from services.courses import course_calendar
from services.tutoring import tutors

DEMO_COURSE_PREFIX = "DEMO-"
DEMO_STUDENT_ACTIVE_DAYS = 3  # the demo student is a learner active on at least this many days
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


def _is_demo():
    return Course.code.startswith(DEMO_COURSE_PREFIX)


def remove_courses() -> int:
    """Delete every demo course (enrollments, activity and predictions go with it); how many."""
    with database.atomic():
        return Course.delete().where(_is_demo()).execute()


def assign_demo_tutor(username: str) -> list[str]:
    """Make the account `username` a tutor of every demo course (again: no change); the codes of the
    courses it tutors."""
    for course in Course.select(Course.code).where(_is_demo()).order_by(Course.code):
        tutors.assign_tutor(None, username, course.code)
    return tutors.courses_of(User.by_login(username))


def link_demo_student(username: str) -> learner_links.Link | None:
    """Make the account `username` a learner of the first running demo course, once: its first learner
    active on a few days, so that the student's page shows something (None when it is linked already,
    or there is no such account or running demo course)."""
    student = User.by_login(username)
    if student is None or Enrollment.linked_to(student):
        return None
    demo = Course.select().where(_is_demo()).order_by(Course.code)
    running = next((course for course in demo if course_calendar(course)["status"] == "running"), None)
    learner = ActivityDay.first_active_on(running, DEMO_STUDENT_ACTIVE_DAYS) if running else None
    if learner is None:
        return None
    return learner_links.link_learner(None, username, running.code, learner.learner_ref)
