"""What an import stored for some courses, in a form two imports can be compared by: each course's
window, its daily counts and event keys by learner and calendar date, and what it keeps aside."""

from __future__ import annotations

from datetime import timedelta

from db.courses import ActivityDay, Course, Enrollment
from db.ingest import DayEvents
from db.outside import OutsideEvent


def stored(codes: list[str], rename=lambda code: code) -> dict:
    """The stored activity of the courses `codes` (call in an app context), codes shown by `rename`."""
    return {rename(code): _course(Course.by_code(code)) for code in codes}


def _course(course: Course | None) -> dict | None:
    if course is None:
        return None
    start = course.start_date
    counted = [field for field in ActivityDay._meta.sorted_fields
               if field.name not in ("course", "enrollment", "day")]
    days = (ActivityDay.select(Enrollment.learner_ref, ActivityDay.day, *counted)
            .join(Enrollment, on=ActivityDay.enrollment == Enrollment.id)
            .where(ActivityDay.course == course.id).tuples())
    keys = (DayEvents.select(Enrollment.learner_ref, DayEvents.day, DayEvents.keys, DayEvents.codes)
            .join(Enrollment, on=DayEvents.enrollment == Enrollment.id)
            .where(DayEvents.course == course.id).tuples())
    aside = (OutsideEvent.select(OutsideEvent.learner_ref, OutsideEvent.date, OutsideEvent.key,
                                 OutsideEvent.code).where(OutsideEvent.course == course.id).tuples())
    return {
        "window": (start, course.length_days, course.window_learned),
        # by calendar date, so that rows keep comparing equal whatever start their course has
        "days": sorted((ref, start + timedelta(days=day), *row) for ref, day, *row in days),
        "keys": sorted((ref, start + timedelta(days=day), bytes(k), bytes(c)) for ref, day, k, c in keys),
        "aside": sorted(aside),
    }
