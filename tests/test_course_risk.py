"""Risk across courses from the scored enrollments (the At-risk page's table) and a tutor's "new since
your last visit" (Home): per course share at High and its change, tutor scoping, the visit recorded."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from db.courses import EVENT_TYPES, Enrollment
from db.early_warning import EnrollmentPrediction, ScoringRun
from db.tables import User, utcnow
from db.tutoring import CourseTutor, EnrollmentAction
from services import course_risk
from services.errors import Forbidden
from tests.helpers import store_course


def _course(code: str, learners: int):
    course = store_course(code, np.ones((learners, 30, len(EVENT_TYPES)), dtype=int))
    return course, [row[0] for row in Enrollment.of_course(course)]


LEVELS = {"H": ("High", 0.9), "M": ("Medium", 0.5), "L": ("Low", 0.1)}


def _predict(enrollment, course, day, level, when, probability=None, run=None):
    """One prediction of `enrollment` at `day` at `level` (H, M or L), made at `when`."""
    name, default = LEVELS[level]
    EnrollmentPrediction.create(
        enrollment=enrollment,
        course=course.id,
        day=day,
        checkpoint=day,
        probability=default if probability is None else probability,
        risk_level=name,
        top_factors=[{"text": f"Reason for {name}."}],
        run=run,
        created_at=when,
    )


def _score(course, ids, day, levels, when, run=None):
    """Store one scored day: `levels` per enrollment (H, M or L), made at `when`."""
    for enrollment, level in zip(ids, levels, strict=True):
        _predict(enrollment, course, day, level, when, run=run)


@pytest.fixture
def scored(app, make_user):
    tutor, other = make_user("tutor"), make_user("tutor")
    now = utcnow()
    with app.app_context():
        first, first_ids = _course("CR-A", 4)
        second, second_ids = _course("CR-B", 2)
        _course("CR-C", 1)  # never scored
        _score(first, first_ids, 7, "HLLL", now - timedelta(days=8))
        _score(first, first_ids, 14, "HHHL", now - timedelta(days=1))
        _score(second, second_ids, 7, "HH", now - timedelta(days=8))
        for code in ("CR-A", "CR-C"):
            CourseTutor.create(
                course=Enrollment.get(Enrollment.learner_ref == f"{code}-L0").course_id, user=tutor.id
            )
        CourseTutor.create(course=second.id, user=other.id)
    return tutor, other, first_ids


def test_per_course_share_at_high_and_change_since_the_previous_checkpoint(app, make_user, scored):
    admin = make_user("admin")
    with app.app_context():
        summary = course_risk.course_risk(User.get_by_id(admin.id))
    rows = {row["code"]: row for row in summary["courses"]}
    assert list(rows) == ["CR-A", "CR-B", "CR-C"]
    a = rows["CR-A"]
    shown = (a["checkpoint_day"], a["checkpoint"], a["scored"], a["high"], a["high_share"])
    assert shown == (14, 14, 4, 3, 0.75)
    assert a["previous_high_share"] == 0.25 and a["high_change"] == pytest.approx(0.5)
    assert (rows["CR-B"]["high_share"], rows["CR-B"]["high_change"]) == (1.0, None)
    c = rows["CR-C"]
    assert (c["checkpoint_day"], c["scored"], c["high_share"]) == (None, 0, None)
    assert rows["CR-A"]["status"] == "finished"
    assert summary["overall"] == {"courses": 3, "scored_courses": 2, "scored": 6, "high": 5, "share": 5 / 6}


def test_a_tutor_sees_only_their_courses_and_a_student_none(app, make_user, scored):
    tutor, other, _ = scored
    student = make_user()
    with app.app_context():
        mine = course_risk.course_risk(User.get_by_id(tutor.id))
        theirs = course_risk.course_risk(User.get_by_id(other.id))
        with pytest.raises(Forbidden):
            course_risk.course_risk(User.get_by_id(student.id))
    assert [row["code"] for row in mine["courses"]] == ["CR-A", "CR-C"]
    assert mine["overall"]["scored"] == 4 and mine["overall"]["high"] == 3
    assert [row["code"] for row in theirs["courses"]] == ["CR-B"]


def test_new_news_stays_until_the_tutor_marks_it_seen(app, make_user, scored):
    tutor, other, ids = scored
    now = utcnow()
    with app.app_context():
        User.update(last_visit_at=now - timedelta(days=3)).where(User.id == tutor.id).execute()
        run = ScoringRun.create(
            trigger="cli", status="succeeded", run_date=now.date(), courses=1, enrollments=4
        )
        EnrollmentPrediction.update(run=run.id).where(EnrollmentPrediction.day == 14).execute()
        EnrollmentAction.create(
            enrollment=ids[1],
            course=Enrollment.get_by_id(ids[1]).course_id,
            user=other.id,
            kind="contacted",
            channel="email",
        )
        EnrollmentAction.create(
            enrollment=ids[2], course=Enrollment.get_by_id(ids[2]).course_id, user=tutor.id, kind="useful"
        )
        home = course_risk.tutor_home(User.get_by_id(tutor.id))
        news = home["news"]
        # L0 was already High at the last visit; L1 and L2 became High since; L3 stays Low.
        assert [item["learner_ref"] for item in news["newly_high"]] == ["CR-A-L1", "CR-A-L2"]
        assert news["newly_high"][0]["reasons"] == ["Reason for High."] and news["newly_high_total"] == 2
        assert [(a["username"], a["kind"]) for a in news["actions"]] == [(other.username, "contacted")]
        assert [r["id"] for r in news["runs"]] == [run.id]
        assert [row["code"] for row in home["courses"]] == ["CR-A", "CR-C"]
        # A visit keeps the news (a look at a learner and Back); marking it seen clears it.
        again = course_risk.tutor_home(User.get_by_id(tutor.id))["news"]
        assert [item["learner_ref"] for item in again["newly_high"]] == ["CR-A-L1", "CR-A-L2"]
        assert len(again["actions"]) == 1 and [r["id"] for r in again["runs"]] == [run.id]
        drawn = utcnow()
        course_risk.mark_news_seen(User.get_by_id(tutor.id), drawn)
        assert User.get_by_id(tutor.id).last_visit_at == drawn
        seen = course_risk.tutor_home(User.get_by_id(tutor.id))["news"]
        assert seen["newly_high"] == [] and seen["actions"] == [] and seen["runs"] == []
        # What arrived after the page was drawn stays new; the mark never moves back.
        later = EnrollmentAction.create(
            enrollment=ids[1], course=Enrollment.get_by_id(ids[1]).course_id, user=other.id, kind="useful"
        )
        assert course_risk.mark_news_seen(User.get_by_id(tutor.id), drawn - timedelta(days=1)) == drawn
        news = course_risk.since_last_visit(User.get_by_id(tutor.id))
        assert [a["id"] for a in news["actions"]] == [later.id]
        with pytest.raises(Forbidden):
            course_risk.mark_news_seen(User.get_by_id(make_user("student").id))


def test_a_first_visit_looks_back_a_week(app, scored):
    tutor, _, _ = scored
    with app.app_context():
        news = course_risk.since_last_visit(User.get_by_id(tutor.id))
    assert news["first_visit"] is True
    # Day 7 was scored 8 days ago (outside the week); day 14 a day ago: L1 and L2 became High.
    assert [item["learner_ref"] for item in news["newly_high"]] == ["CR-A-L1", "CR-A-L2"]


def _news_since(app, make_user, course, visit):
    tutor = make_user("tutor")
    with app.app_context():
        CourseTutor.create(course=course.id, user=tutor.id)
        User.update(last_visit_at=visit).where(User.id == tutor.id).execute()
        return course_risk.since_last_visit(User.get_by_id(tutor.id))


def test_newly_high_is_high_now_and_was_not_at_the_last_visit(app, make_user):
    now = utcnow()
    visit, old, new = now - timedelta(days=3), now - timedelta(days=5), now - timedelta(days=1)
    histories = {
        "was High before": [(7, "H", old), (14, "H", new)],
        "was Medium before": [(7, "M", old), (14, "H", new)],
        "no prediction before": [(14, "H", new)],
        "High now but Medium at the latest day": [(14, "H", new), (21, "M", new)],
        "High long ago, Low at the visit": [(7, "H", old), (10, "L", old), (14, "H", new)],
        "High, made before the visit": [(7, "L", old), (14, "H", old)],
        "High before, rescored High": [(7, "H", old), (14, "H", old), (21, "H", new)],
        "Low": [(7, "H", old), (14, "L", new)],
    }
    with app.app_context():
        course, ids = _course("CR-N", len(histories))
        for enrollment, history in zip(ids, histories.values(), strict=True):
            for day, level, when in history:
                _predict(enrollment, course, day, level, when)
        refs = dict(zip(histories, (Enrollment.get_by_id(i).learner_ref for i in ids), strict=True))
    news = _news_since(app, make_user, course, visit)
    listed = {item["learner_ref"] for item in news["newly_high"]}
    newly = {history for history, ref in refs.items() if ref in listed}
    assert newly == {"was Medium before", "no prediction before", "High long ago, Low at the visit"}
    assert news["newly_high_total"] == 3
    assert {item["day"] for item in news["newly_high"]} == {14}


def test_newly_high_lists_the_highest_risk_first_and_counts_them_all(app, make_user):
    now = utcnow()
    learners = course_risk.NEW_LIMIT + 5
    probabilities = [0.7 + (index % 4) * 0.05 for index in range(learners)]  # ties, broken by learner
    with app.app_context():
        course, ids = _course("CR-M", learners)
        for enrollment, probability in zip(ids, probabilities, strict=True):
            _predict(enrollment, course, 7, "M", now - timedelta(days=5))
            _predict(enrollment, course, 14, "H", now - timedelta(days=1), probability)
        refs = [Enrollment.get_by_id(i).learner_ref for i in ids]
    news = _news_since(app, make_user, course, now - timedelta(days=3))
    expected = sorted(zip(probabilities, refs, strict=True), key=lambda pair: (-pair[0], pair[1]))
    listed = [(item["probability"], item["learner_ref"]) for item in news["newly_high"]]
    assert [ref for _, ref in listed] == [ref for _, ref in expected[: course_risk.NEW_LIMIT]]
    assert [p for p, _ in listed] == pytest.approx([p for p, _ in expected[: course_risk.NEW_LIMIT]])
    assert news["newly_high_total"] == learners
