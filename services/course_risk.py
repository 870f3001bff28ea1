"""Risk across courses from the scored enrollments: per visible course, how many were scored at its
latest scored day and how many of them are at High, with the change since the previous checkpoint;
and what is new for a tutor since their last visit (newly High learners, others' actions, scoring runs).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from db.courses import Course, Enrollment
from db.early_warning import EnrollmentPrediction, ScoringRun
from db.tables import User, utcnow
from db.tutoring import EnrollmentAction
from services.course_overview import courses_overview, flag_level
from services.courses import visible_courses
from services.errors import Forbidden

FIRST_VISIT_DAYS = 7  # with no recorded visit, "new" means this many days back
NEW_LIMIT = 20  # rows listed per kind of news (the totals are counted in full)


def _require_staff(viewer: User) -> None:
    if not viewer.is_staff:
        raise Forbidden("Risk across courses is for tutors and administrators.")


def course_risk(viewer: User) -> dict[str, Any]:
    """Per course `viewer` may see (by code, as the Courses page shows it): its scored enrollments and
    those at the flag level at its latest checkpoint, the share and its change; and the same over all."""
    _require_staff(viewer)
    rows = courses_overview(viewer)
    scored = sum(row["scored"] for row in rows)
    high = sum(row["high"] for row in rows)
    overall = {
        "courses": len(rows),
        "scored_courses": sum(1 for row in rows if row["checkpoint_day"] is not None),
        "scored": scored,
        "high": high,
        "share": high / scored if scored else None,
    }
    return {"level": flag_level(), "courses": rows, "overall": overall}


def _newly_high(viewer: User, since: datetime) -> tuple[list[dict[str, Any]], int]:
    """Enrollments at High at their latest scored day, scored since `since`, that were not at High as
    of `since` (their latest prediction made by then was lower, or there was none): highest risk first."""
    courses = visible_courses(viewer).select(Course.id)
    found, total = EnrollmentPrediction.newly_at(flag_level(), since, courses, NEW_LIMIT)
    items = [
        {
            "enrollment": p.enrollment_id,
            "learner_ref": p.enrollment.learner_ref,
            "course": p.enrollment.course.code,
            "day": p.day,
            "probability": p.probability,
            "reasons": [factor.get("text", "") for factor in p.top_factors or []],
        }
        for p in found
    ]
    return items, total


def _others_actions(viewer: User, since: datetime) -> tuple[list[dict[str, Any]], int]:
    """Actions taken by others on the viewer's courses since `since`, newest first."""
    query = (
        EnrollmentAction.with_people()
        .select_extend(Enrollment, Course)
        .switch(EnrollmentAction)
        .join(Enrollment, on=(EnrollmentAction.enrollment == Enrollment.id))
        .join(Course, on=(Enrollment.course == Course.id))
        .where(
            EnrollmentAction.course.in_(visible_courses(viewer).select(Course.id))
            & (EnrollmentAction.created_at > since)
            & ((EnrollmentAction.user != viewer.id) | EnrollmentAction.user.is_null())
        )
        .order_by(EnrollmentAction.created_at.desc(), EnrollmentAction.id.desc())
    )
    items = [
        {
            **action.to_dict(),
            "learner_ref": action.enrollment.learner_ref,
            "course": action.enrollment.course.code,
        }
        for action in query.limit(NEW_LIMIT)
    ]
    return items, query.count()


def _new_runs(viewer: User, since: datetime) -> list[dict[str, Any]]:
    """Scoring runs since `since` that scored any of the viewer's courses, newest first."""
    scored = EnrollmentPrediction.select(EnrollmentPrediction.run).where(
        EnrollmentPrediction.course.in_(visible_courses(viewer).select(Course.id))
        & (EnrollmentPrediction.created_at > since)
    )
    query = (
        ScoringRun.select()
        .where(ScoringRun.id.in_(scored))
        .order_by(ScoringRun.started_at.desc())
        .limit(NEW_LIMIT)
    )
    return [
        {
            "id": run.id,
            "trigger": run.trigger,
            "status": run.status,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "courses": run.courses,
            "enrollments": run.enrollments,
        }
        for run in query
    ]


def since_last_visit(viewer: User, now: datetime | None = None) -> dict[str, Any]:
    """What is new on the viewer's courses since their last visit (or the last FIRST_VISIT_DAYS days
    on a first visit): newly High enrollments, actions by others, scoring runs."""
    _require_staff(viewer)
    now = now or utcnow()
    since = viewer.last_visit_at or now - timedelta(days=FIRST_VISIT_DAYS)
    newly, newly_total = _newly_high(viewer, since)
    actions, actions_total = _others_actions(viewer, since)
    return {
        "since": since,
        "first_visit": viewer.last_visit_at is None,
        "newly_high": newly,
        "newly_high_total": newly_total,
        "actions": actions,
        "actions_total": actions_total,
        "runs": _new_runs(viewer, since),
    }


def tutor_home(viewer: User) -> dict[str, Any]:
    """A tutor's Home: their courses with the share at High and what is new since they last marked it
    seen (a visit does not: the news stays until the tutor says they saw it)."""
    summary = course_risk(viewer)
    return {**summary, "news": since_last_visit(viewer)}


def mark_news_seen(viewer: User, until: datetime | None = None) -> datetime:
    """Mark the viewer's news seen up to `until` (when the page showing it was drawn, so that what came
    later stays new; now at most), never moving the mark back; the mark."""
    _require_staff(viewer)
    now = utcnow()
    until = min(until or now, now)
    if viewer.last_visit_at is not None and viewer.last_visit_at >= until:
        return viewer.last_visit_at
    User.update(last_visit_at=until).where(User.id == viewer.id).execute()
    viewer.last_visit_at = until
    return until
