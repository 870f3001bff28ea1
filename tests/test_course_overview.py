"""The Courses and Course pages' service: the overview per course, the risk trend, the at-risk rows
with trajectory, change, inactivity and last action, their filters, sort and export, and who sees what."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import numpy as np
import pytest

from db.tables import User, utcnow
from db.tutoring import CourseTutor
from services.course_overview import (
    AtRiskFilters,
    at_risk_csv,
    course_at_risk_rows,
    course_risk_trend,
    courses_overview,
)
from services.errors import InvalidInput, NotFound
from services.tutoring import actions
from tests import helpers
from tests.helpers import store_course

# Probabilities of learners L0..L3 at each scored day (day -> checkpoint, probabilities).
SCORES = {7: (7, [0.2, 0.5, 0.8, 0.3]), 14: (14, [0.1, 0.75, 0.9, 0.305])}
# Active days of L0..L3: L2 never active; L3 once before day 14 and once after it.
ACTIVE = {0: range(0, 16), 1: [3], 2: [], 3: [5, 18]}


def scored_course(code: str, scores=SCORES, today: int = 20):
    """A running course (its day `today`) of four learners with ACTIVE days, scored as `scores` say."""
    return helpers.scored_course(code, scores, ACTIVE, today)


@pytest.fixture
def admin(app, make_user):
    account = make_user("admin")
    with app.app_context():
        yield User.get_by_id(account.id)


def refs(listing) -> list[str]:
    return [item["learner_ref"].rsplit("-", 1)[1] for item in listing["items"]]


def test_rows_carry_trajectory_change_inactivity_reasons_and_last_action(app, admin):
    course, ids = scored_course("C1")
    actions.record_actions(admin, [ids["C1-L1"]], "contacted", "called", "phone")
    listing = course_at_risk_rows(admin, "C1")
    assert (listing["day"], listing["previous_day"], listing["checkpoint_days"]) == (14, 7, [7, 14])
    assert refs(listing) == ["L2", "L1", "L3", "L0"]  # highest probability first
    rows = {item["learner_ref"]: item for item in listing["items"]}
    assert rows["C1-L1"]["trajectory"] == [0.5, 0.75]
    assert rows["C1-L1"]["change"] == pytest.approx(0.25) and rows["C1-L1"]["change_direction"] == "up"
    assert rows["C1-L0"]["change_direction"] == "down"
    assert rows["C1-L3"]["change_direction"] == "same"  # +0.005: within one percentage point
    days = {ref[-2:]: row["days_since_last_activity"] for ref, row in rows.items()}
    assert days == {"L0": 1, "L1": 11, "L2": None, "L3": 9}  # activity before day 14 only
    assert rows["C1-L2"]["top_factors"] == ["reason 2 at 14"]
    last = rows["C1-L1"]["last_action"]
    assert (last["kind"], last["channel"], last["username"]) == ("contacted", "phone", admin.username)
    assert rows["C1-L0"]["last_action"] is None


def test_a_learner_first_scored_at_the_latest_checkpoint_is_new(app, admin):
    scored_course("NEW", {7: (7, [0.2, 0.5, 0.8]), 14: (14, [0.1, 0.75, 0.9, 0.5])})
    rows = {item["learner_ref"]: item for item in course_at_risk_rows(admin, "NEW")["items"]}
    assert rows["NEW-L3"]["change"] is None and rows["NEW-L3"]["change_direction"] == "new"
    assert rows["NEW-L3"]["trajectory"] == [None, 0.5]


def test_the_trend_gives_each_checkpoints_shares_and_daily_scores_stand_for_their_checkpoint(app, admin):
    scored_course("TR")
    trend = course_risk_trend(admin, "TR")
    assert trend["levels"] == ["High", "Medium", "Low"]
    assert [p["day"] for p in trend["points"]] == [7, 14]
    assert trend["points"][0]["shares"] == {"High": 0.25, "Medium": 0.25, "Low": 0.5}
    assert trend["points"][1]["counts"] == {"High": 2, "Medium": 0, "Low": 2}
    daily = {7: (7, [0.2] * 4), 8: (7, [0.5] * 4), 14: (14, [0.8] * 4)}
    scored_course("DAILY", daily)
    assert [p["day"] for p in course_risk_trend(admin, "DAILY")["points"]] == [8, 14]
    listing = course_at_risk_rows(admin, "DAILY")
    assert listing["checkpoint_days"] == [8, 14] and listing["items"][0]["trajectory"] == [0.5, 0.8]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (AtRiskFilters(risk_level="High"), ["L2", "L1"]),
        (AtRiskFilters(change="up"), ["L2", "L1"]),
        (AtRiskFilters(change="down"), ["L0"]),
        (AtRiskFilters(change="same"), ["L3"]),
        (AtRiskFilters(inactive_days=10), ["L2", "L1"]),  # never active counts as inactive
        (AtRiskFilters(no_action=True), ["L2", "L3", "L0"]),
        (AtRiskFilters(learner="c1-l3"), ["L3"]),
        (AtRiskFilters(sort=(("probability", False),)), ["L0", "L3", "L1", "L2"]),
        (AtRiskFilters(sort=(("inactive", True),)), ["L2", "L1", "L3", "L0"]),
        (AtRiskFilters(sort=(("learner", False),)), ["L0", "L1", "L2", "L3"]),
        (AtRiskFilters(sort=(("last_action", True),)), ["L1", "L2", "L3", "L0"]),  # none come last
        (AtRiskFilters(risk_level="Low", sort=(("change", True),)), ["L3", "L0"]),
    ],
)
def test_filters_and_sort(app, admin, filters, expected):
    _, ids = scored_course("C1")
    actions.record_actions(admin, [ids["C1-L1"]], "acknowledged")
    listing = course_at_risk_rows(admin, "C1", filters)
    assert refs(listing) == expected
    assert listing["total"] == 4


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        (AtRiskFilters(risk_level="Extreme"), "risk_level"),
        (AtRiskFilters(change="sideways"), "change"),
        (AtRiskFilters(inactive_days=-1), "inactive_days"),
        (AtRiskFilters(learner="x" * 200), "learner"),
        (AtRiskFilters(sort=(("enrollment; drop", True),)), "sort"),
    ],
)
def test_bad_filters_are_refused(app, admin, filters, field):
    scored_course("C1")
    with pytest.raises(InvalidInput) as raised:
        course_at_risk_rows(admin, "C1", filters)
    assert field in raised.value.fields


def test_the_export_holds_exactly_the_filtered_rows_in_order_with_the_shown_columns(app, admin):
    _, ids = scored_course("C1")
    actions.record_actions(admin, [ids["C1-L2"]], "contacted", None, "email")
    text = at_risk_csv(admin, "C1", AtRiskFilters(change="up", sort=(("probability", False),)))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "Learner",
        "Probability",
        "Rank in course",
        "Risk level",
        "Segment",
        "Trajectory",
        "Change",
        "Days since last activity",
        "Reasons for the risk",
        "In their favour",
        "Last action",
    ]
    assert [row[0] for row in rows[1:]] == ["C1-L1", "C1-L2"]
    # Predictions stored without a segment or rank (before they existed) show empty cells.
    assert rows[2][1:8] == ["90.0%", "", "High", "", "80% → 90%", "▲ +10.0 pp", "never active"]
    assert rows[2][10].startswith(f"Contacted (email) by {admin.username}, ")


def test_overview_shares_at_high_its_change_and_the_last_scoring(app, admin):
    scored_course("C1")
    store_course("EMPTY", np.zeros((2, 30, 7), dtype=int), start=utcnow().date() + timedelta(days=5))
    rows = {row["code"]: row for row in courses_overview(admin)}
    assert set(rows) == {"C1", "EMPTY"}
    one = rows["C1"]
    assert (one["enrollments"], one["status"], one["current_day"]) == (4, "running", 20)
    assert (one["checkpoint_day"], one["high_share"]) == (14, 0.5)
    assert one["high_change"] == pytest.approx(0.25)
    assert one["last_scoring"]["run_status"] == "succeeded"
    empty = rows["EMPTY"]
    assert (empty["status"], empty["high_share"], empty["last_scoring"]) == ("upcoming", None, None)
    assert [r["code"] for r in courses_overview(admin, search="c1")] == ["C1"]
    assert [r["code"] for r in courses_overview(admin, status="upcoming")] == ["EMPTY"]
    with pytest.raises(InvalidInput):
        courses_overview(admin, status="sleeping")


def test_a_tutor_sees_only_their_own_courses_and_a_student_none(app, admin, make_user):
    mine, _ = scored_course("MINE")
    scored_course("THEIRS")
    tutor = User.get_by_id(make_user("tutor").id)
    student = User.get_by_id(make_user("student").id)
    CourseTutor.create(course=mine, user=tutor, assigned_by=admin)
    assert [row["code"] for row in courses_overview(tutor)] == ["MINE"]
    assert len(course_at_risk_rows(tutor, "MINE")["items"]) == 4
    for call in (course_at_risk_rows, course_risk_trend, at_risk_csv):
        with pytest.raises(NotFound):
            call(tutor, "THEIRS")
        with pytest.raises(NotFound):
            call(student, "MINE")
    assert courses_overview(student) == []


def test_a_course_not_scored_yet_lists_nothing_and_says_so(app, admin):
    store_course("FRESH", np.zeros((3, 30, 7), dtype=int), start=utcnow().date() - timedelta(days=3))
    listing = course_at_risk_rows(admin, "FRESH")
    assert listing["items"] == [] and listing["day"] is None and "not been scored" in listing["message"]
    assert course_risk_trend(admin, "FRESH")["points"] == []


def test_the_rows_are_the_at_risk_lists_rows(app, admin):
    """The page reads the rows its own faster way; they agree with
    services.early_warning.enrollments_at_risk."""
    from services.early_warning.enrollments_at_risk import at_risk

    _, ids = scored_course("SAME")
    actions.record_actions(admin, [ids["SAME-L0"]], "useful")
    ours = course_at_risk_rows(admin, "SAME")
    theirs = at_risk(admin, "SAME")
    keys = ("day", "checkpoint", "previous_day")
    assert {k: ours[k] for k in keys} == {k: theirs[k] for k in keys}
    assert [{k: item[k] for k in theirs["items"][0]} for item in ours["items"]] == theirs["items"]
