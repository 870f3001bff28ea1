"""Whether the early-warning flags were right once a course's outcomes are known:
per checkpoint the precision, recall and lift of the High flags and the share of the course flagged (a
precision of 0.9 in a course where 90% drop out anyway is a lift of 1.0: no better than chance); the
dropout of learners nudged and held back at random, with the difference's interval (services/
nudge_effect.py); the outcomes of flagged learners who were contacted and who were not; the tutors'
feedback per model version."""

from __future__ import annotations

from typing import Any

from db.early_warning import EnrollmentPrediction
from db.tables import User
from db.tutoring import EnrollmentAction
from services.course_overview import flag_level
from services.courses import require_course
from services.tutoring.nudge_effect import CONTACTS, compare_groups, course_nudges, group

FEEDBACK_KINDS = ("not_useful", "incorrectly_flagged")
CONTACT_NOTE = (
    "An observation, not a causal effect: tutors chose whom to contact, so the two groups may differ in "
    "more than the contact."
)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _outcome_message(counts: dict[str, int]) -> tuple[str, str | None]:
    """("none" | "partial" | "complete", what the reader should know)."""
    known = counts["dropped"] + counts["stayed"]
    if known == 0:
        return "none", (
            "No outcomes are known for this course yet: the report needs them. Once the course has "
            "ended, an administrator uploads them on the Data page (Upload outcomes)."
        )
    if counts["unknown"]:
        return "partial", (
            f"Outcomes are known for {known:,} of {known + counts['unknown']:,} enrollments: the figures "
            "below count only those."
        )
    return "complete", None


def _checkpoint_row(checkpoint: int, day: int, counts: dict[tuple[bool, bool | None], int]) -> dict[str, Any]:
    """The figures of one checkpoint from its counts by (flagged, dropped out)."""
    scored = sum(counts.values())
    flagged = counts.get((True, True), 0) + counts.get((True, False), 0)
    dropped = counts.get((True, True), 0) + counts.get((False, True), 0)
    known = scored - counts.get((True, None), 0) - counts.get((False, None), 0)
    precision = _ratio(counts.get((True, True), 0), flagged)
    base_rate = _ratio(dropped, known)
    return {
        "checkpoint": checkpoint,
        "day": day,
        "scored": scored,
        "with_outcomes": known,
        "dropped_out": dropped,
        "flagged": flagged,
        # Of every enrollment scored that day (outcome known or not): the High level's share of the course.
        "flagged_share": _ratio(sum(n for (high, _), n in counts.items() if high), scored),
        "flagged_dropped_out": counts.get((True, True), 0),
        "precision": precision,
        "recall": _ratio(counts.get((True, True), 0), dropped),
        "base_rate": base_rate,
        "lift": precision / base_rate if precision is not None and base_rate else None,
    }


def _checkpoints(course, level: str) -> list[dict[str, Any]]:
    """One row per checkpoint the course was scored with, at that checkpoint's latest scored day."""
    latest = EnrollmentPrediction.latest_day_per_checkpoint(course)
    counts: dict[tuple[int, int], dict[tuple[bool, bool | None], int]] = {}
    for checkpoint, day, risk, dropped_out, n in EnrollmentPrediction.level_outcome_counts(
        course, sorted(set(latest.values()))
    ):
        if latest.get(checkpoint) != day:
            continue  # a day scored with another checkpoint's model belongs to that checkpoint
        cell = counts.setdefault((checkpoint, day), {})
        key = (risk == level, dropped_out)
        cell[key] = cell.get(key, 0) + n
    return [_checkpoint_row(cp, day, counts.get((cp, day), {})) for cp, day in sorted(latest.items())]


def _contacts(course, level: str) -> dict[str, Any]:
    """Outcomes of the learners ever flagged, split by whether they were contacted after the flag."""
    rows = EnrollmentAction.contacts_after_flags(course, level)
    contacted = group([dropped for _, dropped, contacted in rows if contacted])
    not_contacted = group([dropped for _, dropped, contacted in rows if not contacted])
    return {"flagged": len(rows), **compare_groups(contacted, not_contacted, CONTACTS), "note": CONTACT_NOTE}


def _model_versions(course, level: str) -> list[dict[str, Any]]:
    """Per model version: the learners it flagged and how many of those tutors marked as wrong."""
    marked: dict[int, dict[str, set[int]]] = {}
    for version, kind, enrollment in EnrollmentAction.feedback_on_flags(course, level, FEEDBACK_KINDS):
        marked.setdefault(version, {}).setdefault(kind, set()).add(enrollment)
    rows = []
    for version, number, predictions, flagged in EnrollmentPrediction.flags_by_version(course, level):
        kinds = marked.get(version, {})
        either = set().union(*kinds.values()) if kinds else set()
        rows.append(
            {
                "model_version": version,
                "version": number,
                "label": f"v{number}" if number is not None else "unknown version",
                "flag_predictions": predictions,
                "flags": flagged,
                **{kind: len(kinds.get(kind, ())) for kind in FEEDBACK_KINDS},
                "marked": len(either),
                "marked_share": _ratio(len(either), flagged),
            }
        )
    return sorted(rows, key=lambda row: (row["version"] is None, row["version"] or 0))


def outcomes_report(viewer: User, code: str) -> dict[str, Any]:
    """The outcomes report of a course `viewer` may see (404 otherwise): the High flags' precision,
    recall and lift per checkpoint, nudged against held-back learners (randomised), contacted against
    not contacted flagged learners (an observation), and the share of flags marked not useful or
    incorrectly flagged per model version."""
    course = require_course(viewer, code)
    level = flag_level()
    counts = course.outcome_counts()
    status, message = _outcome_message(counts)
    checkpoints = _checkpoints(course, level) if status != "none" else []
    if status != "none" and not checkpoints:
        message = " ".join(filter(None, ["This course has not been scored yet: no flags to judge.", message]))
    return {
        "course": course.code,
        "title": course.title,
        "flag_level": level,
        "outcomes": counts,
        "outcomes_status": status,
        "message": message,
        "checkpoints": checkpoints,
        "contacts": _contacts(course, level) if status != "none" else None,
        "nudges": course_nudges(course) if status != "none" else None,
        "model_versions": _model_versions(course, level),
    }
