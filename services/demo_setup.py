"""Setting up and removing the demo: the demo accounts, courses, tutor, linked student and cohort, and
a first scoring of the running demo courses. Each step says what it did through `say` (one line each)."""

from __future__ import annotations

from collections.abc import Callable

from db.tables import ModelVersion, User
from modelling.tasks import EARLY_WARNING
from services import accounts, demo, demo_course_seeding, model_versions
from services.early_warning import scoring
from services.errors import ServiceError

DEMO_USERS = [
    ("demo-admin", "admin@demo.local", "violet-harbour-71", "Demo Administrator", "admin"),
    ("demo-student", "student@demo.local", "amber-lantern-52", "Demo Student", "student"),
    ("demo-tutor", "tutor@demo.local", "cedar-meadow-38", "Demo Tutor", "tutor"),
]

DEMO_TUTOR = "demo-tutor"
DEMO_STUDENT = "demo-student"

Say = Callable[[str], None]


def set_up(courses_only: bool, say: Say) -> None:
    """Create the demo courses, then (unless courses_only) the demo accounts, tutor, student and cohort,
    and score the running demo courses."""
    _seed_demo_courses(say)
    if courses_only:
        return
    _seed_demo_users(say)
    _assign_demo_tutor(say)
    _link_demo_student(say)
    _seed_demo_cohort(say)
    _score_demo_courses(say)


def remove() -> tuple[int, int]:
    """Delete the demo cohort and the demo courses; return (saved predictions, courses) removed."""
    return demo.remove_cohort(), demo_course_seeding.remove_courses()


def _seed_demo_users(say: Say) -> None:
    for username, email, password, full_name, role in DEMO_USERS:
        if User.by_login(username) is None:
            accounts.register(username, email, password, full_name, role=role)
            state = "created"
        else:
            state = "exists"
        say(f"  {role:<8} username: {username:<13} password: {password}   ({state})")


def _seed_demo_courses(say: Say) -> None:
    seeded = demo_course_seeding.seed_courses()
    created = [course for course in seeded if course.created]
    running = sum(course.running for course in seeded)
    say(
        f"  demo courses: {len(seeded)} ({len(seeded) - running} finished with outcomes, {running} running),"
        f" {'created ' + str(len(created)) if created else 'exist'}"
    )


def _assign_demo_tutor(say: Say) -> None:
    """The demo tutor tutors every demo course (assigning again changes nothing)."""
    assigned = demo_course_seeding.assign_demo_tutor(DEMO_TUTOR)
    say(f"  {DEMO_TUTOR} tutors: {', '.join(assigned) or 'no course'}")


def _link_demo_student(say: Say) -> None:
    link = demo_course_seeding.link_demo_student(DEMO_STUDENT)
    if link is not None:
        say(f"  {DEMO_STUDENT} is the learner {link.learner_ref} of {link.course}")


def _seed_demo_cohort(say: Say) -> None:
    try:
        added = demo.seed_cohort()
    except model_versions.ModelUnavailable as exc:
        say(f"  No demo cohort: {exc} (run ensure-models first).")
        return
    if added:
        say(f"  demo cohort: {added} saved predictions of {demo.COHORT_SIZE} students (created)")
    else:
        say("  demo cohort: exists")


def _score_demo_courses(say: Say) -> None:
    """Score the running courses now, so that a fresh install shows risks before the nightly run."""
    if ModelVersion.active(EARLY_WARNING.name) is None:
        say("  Running courses not scored: no early-warning model is active.")
        return
    try:
        outcome = scoring.score_running_courses("cli")
    except ServiceError as exc:
        say(f"  Running courses not scored: {exc.message}")
        return
    run = outcome.run
    say(f"  running courses scored: {run.enrollments} enrollments of {run.courses} courses")
