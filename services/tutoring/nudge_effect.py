"""Does contacting learners help? Once outcomes are known, the dropout rate of learners nudged and of
learners held back at random (NUDGE_HOLDOUT_SHARE), per course and over the viewer's courses, with a
95% confidence interval for the difference and a plain verdict; and the same figures for flagged
learners a tutor contacted in person against those not contacted, which tutors chose (an observation).

A learner counts once, in the group of their first nudge decision from a send with the holdout on
(intention to treat: a learner held back and nudged later still counts as held back); sends made with
the holdout off compare nothing and are left out."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from db.courses import Course
from db.tables import User
from db.tutoring import EnrollmentAction
from modelling.difference import Arm, Difference, mantel_haenszel, newcombe
from services.courses import visible_courses

# Fewer learners with a known outcome in either group, or a wider interval, and the report says it
# cannot tell: an interval wider than 20 points cannot tell a useful effect (a few points) from none.
MIN_PER_GROUP = 30
MAX_WIDTH = 0.20
NUDGES = {"first": "nudged", "second": "held_back", "who": "Nudged learners", "than": "held-back learners"}
CONTACTS = {
    "first": "contacted",
    "second": "not_contacted",
    "who": "Flagged learners contacted in person",
    "than": "those not contacted",
}


def group(outcomes: Iterable[bool | None]) -> dict[str, Any]:
    """A group's learners with a known outcome, dropouts, dropout rate and learners of unknown outcome."""
    values = list(outcomes)
    known = [dropped for dropped in values if dropped is not None]
    dropped = sum(known)
    return {
        "learners": len(known),
        "dropped_out": dropped,
        "stayed": len(known) - dropped,
        "dropout_rate": dropped / len(known) if known else None,
        "unknown_outcome": len(values) - len(known),
    }


def _arm(found: dict[str, Any]) -> Arm:
    return Arm(found["learners"], found["dropped_out"])


def _points(value: float) -> str:
    return f"{abs(value) * 100:.1f}"


def _signed(value: float) -> str:
    return f"{value * 100:+.1f}".replace("-", "−")


def verdict(first: Arm, second: Arm, found: Difference | None, words: dict[str, str]) -> tuple[str, str]:
    """(verdict, what it says in words): "none", "too_few", "lower", "higher" or "no_difference"."""
    if found is None:
        return "none", f"No outcomes are known yet for both {words['who'].lower()} and {words['than']}."
    span = f"95% interval {_signed(found.low)} to {_signed(found.high)} points"
    if min(first.learners, second.learners) < MIN_PER_GROUP or found.width > MAX_WIDTH:
        return "too_few", (
            f"Too few learners to tell: {first.learners:,} against {second.learners:,} with a known "
            f"outcome ({span}). Telling needs at least {MIN_PER_GROUP} in each group and an interval "
            f"narrower than {MAX_WIDTH * 100:.0f} points."
        )
    if found.high < 0:
        return "lower", (
            f"{words['who']} dropped out less: {_points(found.difference)} points fewer than "
            f"{words['than']} ({span})."
        )
    if found.low > 0:
        return "higher", (
            f"{words['who']} dropped out more: {_points(found.difference)} points more than "
            f"{words['than']} ({span})."
        )
    return "no_difference", (
        f"No difference shown: {words['who'].lower()} dropped out {_signed(found.difference)} points "
        f"against {words['than']}, and the {span} includes no difference."
    )


def compare(first: dict[str, Any], second: dict[str, Any], found: Difference | None, words) -> dict[str, Any]:
    """Two groups, the difference of their dropout rates (first minus second) with its interval, and
    the verdict."""
    kind, says = verdict(_arm(first), _arm(second), found, words)
    return {
        words["first"]: first,
        words["second"]: second,
        "difference": found.difference if found else None,
        "low": found.low if found else None,
        "high": found.high if found else None,
        "verdict": kind,
        "says": says,
    }


def compare_groups(first: dict[str, Any], second: dict[str, Any], words) -> dict[str, Any]:
    """`compare` for one course (Newcombe's interval)."""
    return compare(first, second, newcombe(_arm(first), _arm(second)), words)


def _nudge_groups(course_ids) -> dict[int, dict[str, list[bool | None]]]:
    """Course id -> {"nudged": outcomes, "held_back": outcomes} of its randomised learners."""
    found: dict[int, dict[str, list[bool | None]]] = {}
    for course_id, kind, dropped_out in EnrollmentAction.first_randomised_nudges(course_ids):
        found.setdefault(course_id, {"nudged": [], "held_back": []})[kind].append(dropped_out)
    return found


def course_nudges(course: Course) -> dict[str, Any] | None:
    """The course's nudged and held-back learners compared (None when it never sent with a holdout)."""
    groups = _nudge_groups([course.id]).get(course.id)
    if groups is None:
        return None
    return compare_groups(group(groups["nudged"]), group(groups["held_back"]), NUDGES)


def overall(rows: list[dict[str, Any]], words) -> dict[str, Any]:
    """The courses' comparisons together: summed groups, and the Mantel-Haenszel difference that
    compares learners within their own course only."""
    first = group([])
    second = group([])
    for row in rows:
        for total, part in ((first, row[words["first"]]), (second, row[words["second"]])):
            for key in ("learners", "dropped_out", "stayed", "unknown_outcome"):
                total[key] += part[key]
    for total in (first, second):
        total["dropout_rate"] = total["dropped_out"] / total["learners"] if total["learners"] else None
    strata = [(_arm(row[words["first"]]), _arm(row[words["second"]])) for row in rows]
    return compare(first, second, mantel_haenszel(strata), words)


def nudges_across_courses(viewer: User) -> dict[str, Any]:
    """Per course the viewer may see (those that sent with a holdout) and overall: nudged against
    held-back learners."""
    courses = visible_courses(viewer)
    groups = _nudge_groups(courses.select(Course.id))
    named = {course.id: course for course in courses.where(Course.id.in_(list(groups)))}
    rows = [
        {
            "course": named[course_id].code,
            "title": named[course_id].title,
            **compare_groups(group(found["nudged"]), group(found["held_back"]), NUDGES),
        }
        for course_id, found in groups.items()
    ]
    rows.sort(key=lambda row: row["course"])
    return {
        "courses": rows,
        "overall": overall(rows, NUDGES),
        "min_per_group": MIN_PER_GROUP,
        "max_width": MAX_WIDTH,
    }
