"""Score courses' enrollments into the prediction history: running courses at the checkpoints they
reached (the schedule), or one course or every course at a given day (by hand).

One course is one pass: its activity cube read once, one `score_course` call per day scored, one bulk
upsert in one transaction. A run that fails part-way keeps the courses it finished and every earlier
prediction, and is recorded as failed with its error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from flask import current_app

from db.connection import database
from db.courses import Course, Enrollment
from db.early_warning import EnrollmentPrediction, ScoringRun
from db.tables import ModelVersion, utcnow
from db.text import printable
from modelling.cells import SafeWriter
from modelling.early_warning.segments import with_segments
from modelling.early_warning.serving import EarlyWarningVersion, ScoredCourse
from modelling.levels import CourseShares, FixedBands
from modelling.tasks import EARLY_WARNING, Task
from services import job_owner, jobs
from services.course_activity import course_cube
from services.early_warning import versions
from services.errors import InvalidInput, NotFound
from services.model_files import ModelUnavailable
from services.tutoring import notifications

log = logging.getLogger(__name__)
Progress = Callable[[float, str], None]
CSV_COLUMNS = (
    "course",
    "enrollment_id",
    "day",
    "probability",
    "risk_level",
    "top_factors",
    "model_version",
    "segment",
    "rank_in_course",
)
JOB_KIND = "score-enrollments"
ORPHANED = "interrupted: the scoring process ended (it was killed or crashed)"
# The scored frame's columns stored per row, as the plain Python types they are stored from.
_ROW_KINDS = {
    "enrollment_id": "int64",
    "probability": "float64",
    "risk_level": "object",
    "factors": "object",
    "in_favour": "object",
}
NO_MODEL = (
    "No early-warning model is active: train one with `flask --app wsgi train early-warning --activate`."
)


def _load_active() -> tuple[ModelVersion, EarlyWarningVersion]:
    try:
        return versions.active_version()
    except ModelUnavailable:
        raise
    except (OSError, ValueError, KeyError) as exc:  # files missing or unreadable
        raise ModelUnavailable(f"The active early-warning model's files could not be read: {exc}") from exc


@dataclass
class Target:
    """One course and the days of it to score."""

    course: Course
    days: list[int]


@dataclass
class Outcome:
    """A finished run, and (when asked for) what it scored per course, for a file."""

    run: ScoringRun
    scored: list[tuple[Course, list[str], ScoredCourse]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def first_checkpoint(course: Course) -> int:
    """The course day of the task's first checkpoint in this course's length."""
    return min(EARLY_WARNING.course.checkpoint_days(course.length_days))


def check_day(course: Course, day: int) -> None:
    """A day that can be scored in this course, else a clear 422."""
    if not 0 <= day <= course.length_days:
        raise InvalidInput(
            f"Day {day} is outside course {course.code}: use 0 to {course.length_days}.",
            {"day": f"between 0 and {course.length_days}"},
        )
    first = first_checkpoint(course)
    if day < first:
        raise InvalidInput(
            f"Day {day} is before the first checkpoint of course {course.code} (day {first}): "
            "no prediction yet.",
            {"day": f"at least {first}"},
        )


def current_day(course: Course, today: date) -> int | None:
    """The course day to score today: its day (its length once over), None before it starts or once
    it ended before yesterday."""
    day = course.day_of(today)
    return day if 0 <= day <= course.length_days else None


def due_days(course: Course, today: date, version: EarlyWarningVersion, every_day: bool) -> list[int]:
    """The days of a running course not fully scored yet: the checkpoints it reached (every day from the
    first checkpoint when `every_day`)."""
    day = current_day(course, today)
    if day is None:
        return []
    checkpoints = [
        at
        for cp, at in version.task.course.checkpoint_map(course.length_days).items()
        if cp in version.models
    ]
    if not checkpoints:
        return []
    wanted = range(min(checkpoints), day + 1) if every_day else sorted(set(checkpoints))
    enrollments = Enrollment.select().where(Enrollment.course == course).count()
    stored = EnrollmentPrediction.counts_by_day(course)
    return [d for d in wanted if d <= day and enrollments and stored.get(d, 0) < enrollments]


def course_levels(course: Course, task: Task = EARLY_WARNING) -> CourseShares | FixedBands:
    """How the course's levels are decided: the deployment's shares, or the course's own when an
    administrator set them."""
    return task.levels(current_app.config, course.level_shares)


def _rows(course: Course, scored: ScoredCourse, row: ModelVersion, run: ScoringRun) -> list[dict[str, Any]]:
    frame = scored.frame
    shared = {
        "course": course.id,
        "day": scored.day,
        "checkpoint": scored.checkpoint,
        "model_version": row.id,
        "run": run.id,
        "created_at": utcnow(),
    }
    # tolist(): plain ints, floats and strings in one step (not a numpy scalar converted per row).
    columns = (frame[name].astype(kind).tolist() for name, kind in _ROW_KINDS.items())
    return [
        {
            "enrollment": enrollment,
            "probability": probability,
            "risk_level": level,
            "top_factors": factors,
            "in_favour": favour,
        }
        | shared
        for enrollment, probability, level, factors, favour in zip(*columns, strict=True)
    ]


def _with_segment_columns(rows: list[dict[str, Any]], frame: Any) -> list[dict[str, Any]]:
    """The rows with each enrollment's segment and rank in the course (the frame's, row by row)."""
    segments, ranks = frame["segment"].tolist(), frame["rank_in_course"].astype("int64").tolist()
    for stored, segment, rank in zip(rows, segments, ranks, strict=True):
        stored["segment"], stored["rank_in_course"] = segment, rank
    return rows


def _score_target(
    target: Target,
    version: tuple[ModelVersion, EarlyWarningVersion],
    run: ScoringRun,
    keep: bool,
    outcome: Outcome,
) -> int:
    """Score one course at its days and store the predictions in one transaction; how many rows."""
    row, model = version
    course = target.course
    cube = course_cube(course, max(target.days))
    levels = course_levels(course, model.task)
    rows: list[dict[str, Any]] = []
    for day in target.days:
        scored = model.score_course(cube.ids, cube.counts, day, course.length_days, cube.sources, levels)
        if scored.message and scored.frame.empty:
            outcome.notes.append(f"{course.code}: {scored.message}")
            continue
        scored.frame = with_segments(scored.frame, cube.counts, day)
        rows += _with_segment_columns(_rows(course, scored, row, run), scored.frame)
        if keep:
            outcome.scored.append((course, cube.learner_refs, scored))
    with database.atomic():
        EnrollmentPrediction.upsert_many(rows)
    return len(rows)


def run_scoring(
    trigger: str,
    plan: Callable[[EarlyWarningVersion], list[Target]],
    *,
    run_date: date | None = None,
    job_id: int | None = None,
    progress: Progress | None = None,
    keep: bool = False,
) -> Outcome:
    """Score what `plan` names with the active version, recording the run; raises after recording a
    failure (the courses already finished stay stored)."""
    fail_orphaned_runs()
    run = ScoringRun.create(
        trigger=trigger, run_date=run_date or utcnow().date(), job=job_id, owner=job_owner.identity()
    )
    outcome = Outcome(run)
    try:
        version = _load_active()
        run.model_version = version[0]
        targets = [target for target in plan(version[1]) if target.days]
        for index, target in enumerate(targets):
            count = _score_target(target, version, run, keep, outcome)
            run.courses += 1
            run.enrollments += count
            if progress is not None:
                progress((index + 1) / len(targets), f"{target.course.code}: {count} prediction(s) stored")
    except Exception as exc:
        _record_failure(run, exc)
        raise
    run.finish("succeeded")
    notifications.after_scoring_run(run)
    return outcome


def _record_failure(run: ScoringRun, exc: Exception) -> None:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    log.error("early-warning scoring run %s failed: %s", run.id, error)
    try:
        run.finish("failed", error)
    except Exception:  # the connection itself may be what broke: try once more on a fresh one
        if not database.is_closed():
            database.close()
        database.connect(reuse_if_open=True)
        run.finish("failed", error)


def score_running_courses(
    trigger: str, today: date | None = None, job_id: int | None = None, progress: Progress | None = None
) -> Outcome:
    """Score every running course at the checkpoints it reached that are not stored yet."""
    today = today or utcnow().date()
    every_day = bool(current_app.config.get("EARLY_WARNING_SCORE_DAILY"))

    def plan(version: EarlyWarningVersion) -> list[Target]:
        courses = Course.select().order_by(Course.code)
        return [Target(course, due_days(course, today, version, every_day)) for course in courses]

    return run_scoring(trigger, plan, run_date=today, job_id=job_id, progress=progress)


def resolve_courses(day: int, code: str | None) -> tuple[list[Course], list[str]]:
    """The courses to score at `day` by hand (one, or every course long enough), and notes on the
    ones left out; clear errors for an unknown course or a day it cannot be scored at."""
    if code is not None:
        course = Course.by_code(code)
        if course is None:
            raise NotFound(f"No course {code}.", {"course": "unknown code"})
        check_day(course, day)
        return [course], []
    courses, notes = [], []
    for course in Course.select().order_by(Course.code):
        if day > course.length_days:
            notes.append(f"{course.code}: left out, the course is shorter than {day} days")
        elif day < first_checkpoint(course):
            notes.append(f"{course.code}: left out, day {day} is before its first checkpoint")
        else:
            courses.append(course)
    if not courses:
        raise InvalidInput(f"No course can be scored at day {day}.", {"day": "no course reached it"})
    return courses, notes


def score_at_day(
    trigger: str,
    day: int,
    code: str | None = None,
    job_id: int | None = None,
    progress: Progress | None = None,
    keep: bool = False,
) -> Outcome:
    """Score every enrollment (of one course) at `day`, stored as history."""
    courses, notes = resolve_courses(day, code)
    _load_active_row()
    outcome = run_scoring(
        trigger, lambda _: [Target(c, [day]) for c in courses], job_id=job_id, progress=progress, keep=keep
    )
    outcome.notes[:0] = notes
    return outcome


def _load_active_row() -> ModelVersion:
    """The active version's row (a clear 503 before any run is recorded when there is none)."""
    row = ModelVersion.active(EARLY_WARNING.name)
    if row is None:
        raise ModelUnavailable(NO_MODEL)
    return row


def write_csv(outcome: Outcome, out: str | Path) -> int:
    """Write what a run scored as CSV_COLUMNS (the top factors joined by "; "), every cell through
    modelling/cells.py; how many rows."""
    version = outcome.run.model_version.version if outcome.run.model_version else ""
    written = 0
    with open(out, "w", newline="", encoding="utf-8") as handle:
        writer = SafeWriter(handle)
        writer.writerow(CSV_COLUMNS)
        for course, refs, scored in outcome.scored:
            frame = scored.frame
            columns = ("probability", "risk_level", "top_factors", "segment", "rank_in_course")
            for ref, probability, level, words, segment, rank in zip(
                refs, *(frame[name] for name in columns), strict=True
            ):
                cells = [course.code, ref, scored.day, probability, level, "; ".join(words), version]
                writer.writerow([*cells, segment, rank])
                written += 1
    return written


def start_scoring(code: str, day: int | None, user) -> Any:
    """Queue a job scoring one course now: at `day`, else at today's day of the course (422 when the
    course has not reached its first checkpoint, 503 without an active model)."""
    course = Course.by_code(code)
    if course is None:
        raise NotFound(f"No course {code}.")
    if day is None:
        today = course.day_of(utcnow().date())
        if today < 0:
            raise InvalidInput(f"Course {code} has not started yet: give a day.", {"day": "required"})
        day = min(today, course.length_days)
    check_day(course, day)
    _load_active_row()
    return jobs.create(JOB_KIND, {"course": course.code, "day": day}, user)


def fail_orphaned_runs() -> int:
    """Fail the `running` scoring runs whose process on this host is gone (killed); how many."""
    running = ScoringRun.select(ScoringRun.id, ScoringRun.owner).where(
        (ScoringRun.status == "running") & ScoringRun.owner.is_null(False)
    )
    orphans = [run.id for run in running if job_owner.is_dead_here(run.owner)]
    if orphans:
        ScoringRun.update(status="failed", error=ORPHANED, finished_at=utcnow()).where(
            ScoringRun.id.in_(orphans)
        ).execute()
    return len(orphans)


@jobs.on_failure(JOB_KIND)
def _close_scoring_run(job, error: str) -> None:
    """Fail the scoring run a failed job left `running` (its process killed, say)."""
    running = (ScoringRun.job == job.id) & (ScoringRun.status == "running")
    why = f"interrupted: {printable(error)}"[:2000]
    ScoringRun.update(status="failed", error=why, finished_at=utcnow()).where(running).execute()


@jobs.handler(JOB_KIND)
def _run_scoring_job(job, progress: Progress) -> dict[str, Any]:
    params = job.params
    outcome = score_at_day("api", params["day"], params["course"], job_id=job.id, progress=progress)
    run = outcome.run
    return {
        "run": run.id,
        "courses": run.courses,
        "enrollments": run.enrollments,
        "day": params["day"],
        "notes": outcome.notes,
    }
