"""The enrollment page's service: activity matrix, the course median line, risk with reasons, the
action log, and who sees which of them (staff of the course, the linked student, the setting)."""

from __future__ import annotations

import numpy as np
import pytest

from db.courses import EVENT_TYPES, ActivityDay, Enrollment
from db.early_warning import EnrollmentPrediction
from db.tables import User
from db.tutoring import CourseTutor
from services import enrollment_timeline
from services.errors import Forbidden, NotFound
from tests.helpers import store_course


def _counts() -> np.ndarray:
    """Four learners over a 5-day course; learner 3 never active (a zero in every day's median)."""
    counts = np.zeros((4, 5, len(EVENT_TYPES)), dtype=int)
    counts[0, 0, 0], counts[0, 0, 4], counts[0, 2, 3] = 2, 3, 7  # day 0: 5 events, day 2: 7
    counts[1, 0, 1], counts[1, 1, 1], counts[1, 2, 1] = 1, 4, 2
    counts[2, 0, 6], counts[2, 2, 2], counts[2, 4, 5] = 9, 1, 6
    return counts


def add_predictions(course, enrollment_id: int, rows: list[tuple[int, float, str, list[str]]]) -> None:
    """Store an enrollment's predictions: (day, probability, level, reason texts)."""
    for day, probability, level, reasons in rows:
        EnrollmentPrediction.create(
            enrollment=enrollment_id,
            course=course.id,
            day=day,
            checkpoint=day,
            probability=probability,
            risk_level=level,
            top_factors=[
                {"feature": "x", "contribution": 0.1, "direction": "up", "text": t} for t in reasons
            ],
        )


@pytest.fixture
def course(app):
    with app.app_context():
        course = store_course("EV1", _counts(), days=5)
        first = Enrollment.get((Enrollment.course == course) & (Enrollment.learner_ref == "EV1-L0"))
        add_predictions(
            course, first.id, [(2, 0.35, "Low", ["Few videos."]), (4, 0.81, "High", ["No activity."])]
        )
        yield course, first.id


def test_matrix_daily_total_and_course_median(app, make_user, course):
    code, enrollment_id = course[0], course[1]
    admin = make_user("admin")
    with app.app_context():
        view = enrollment_timeline.enrollment_view(User.get_by_id(admin.id), enrollment_id)
    assert view["course"]["code"] == code.code and view["learner_ref"] == "EV1-L0"
    assert view["days"] == [0, 1, 2, 3, 4]
    assert view["event_types"] == list(EVENT_TYPES)
    assert view["matrix"][0] == [2, 0, 0, 0, 3, 0, 0] and view["matrix"][2][3] == 7
    assert view["daily_total"] == [5, 0, 7, 0, 0]
    # Day totals of the four learners: d0 5,1,9,0; d1 0,4,0,0; d2 7,2,1,0; d3 all 0; d4 0,0,6,0.
    assert view["course_median"] == [3.0, 0.0, 1.5, 0.0, 0.0]
    assert [(r["day"], r["risk_level"], r["reasons"]) for r in view["risk"]] == [
        (2, "Low", ["Few videos."]),
        (4, "High", ["No activity."]),
    ]
    assert view["actions"] == [] and view["staff"] is True


def test_median_of_a_course_without_activity_is_zero(app):
    with app.app_context():
        empty = store_course("EV0", np.zeros((3, 4, len(EVENT_TYPES)), dtype=int), days=4)
        assert enrollment_timeline.course_median_totals(empty, 4).tolist() == [0, 0, 0, 0]


def test_recording_an_action_returns_the_log(app, make_user, course):
    admin = make_user("admin")
    with app.app_context():
        viewer = User.get_by_id(admin.id)
        enrollment_timeline.record(viewer, course[1], "contacted", "phone", "Called, will catch up.")
        log = enrollment_timeline.record(viewer, course[1], "useful", None, "")
        assert [(a["kind"], a["channel"], a["username"]) for a in log] == [
            ("useful", None, admin.username),
            ("contacted", "phone", admin.username),
        ]
        assert enrollment_timeline.enrollment_view(viewer, course[1])["actions"] == log


def test_linked_student_sees_activity_and_their_risk_only_with_the_setting(app, make_user, course):
    student, other = make_user(), make_user()
    with app.app_context():
        Enrollment.update(user=student.id).where(Enrollment.id == course[1]).execute()
        viewer = User.get_by_id(student.id)
        view = enrollment_timeline.enrollment_view(viewer, course[1])
        assert view["daily_total"] == [5, 0, 7, 0, 0] and view["course_median"][0] == 3.0
        assert view["risk"] is None and view["actions"] is None and view["staff"] is False
        app.config["STUDENT_SEES_OWN_RISK"] = True
        try:
            shown = enrollment_timeline.enrollment_view(viewer, course[1])
        finally:
            app.config.pop("STUDENT_SEES_OWN_RISK")
        assert [r["reasons"] for r in shown["risk"]] == [["Few videos."], ["No activity."]]
        assert shown["actions"] is None
        # The course's average of one scored learner would be their own probability: not shown.
        assert shown["course_base_rate"] is None
        with pytest.raises(Forbidden):
            enrollment_timeline.record(viewer, course[1], "acknowledged")
        with pytest.raises(NotFound):
            enrollment_timeline.enrollment_view(User.get_by_id(other.id), course[1])


def test_the_learners_probability_comes_with_the_courses_average_on_their_last_scored_day(
    app, make_user, course
):
    admin = make_user("admin")
    with app.app_context():
        second = Enrollment.get((Enrollment.course == course[0]) & (Enrollment.learner_ref == "EV1-L1"))
        add_predictions(course[0], second.id, [(2, 0.9, "High", []), (4, 0.21, "Low", [])])
        view = enrollment_timeline.enrollment_view(User.get_by_id(admin.id), course[1])
        # Day 4, the last scored: (0.81 + 0.21) / 2; day 2's figures are not mixed in.
        assert view["risk"][-1]["day"] == 4 and view["course_base_rate"] == pytest.approx(0.51)
        unscored = Enrollment.get((Enrollment.course == course[0]) & (Enrollment.learner_ref == "EV1-L2"))
        view = enrollment_timeline.enrollment_view(User.get_by_id(admin.id), unscored.id)
        assert view["risk"] == [] and view["course_base_rate"] is None


def test_a_student_sees_the_courses_average_once_twenty_learners_make_it(app, make_user):
    student = make_user()
    counts = np.ones((20, 5, len(EVENT_TYPES)), dtype=int)
    with app.app_context():
        course = store_course("EV3", counts, days=5)
        ids = [row[0] for row in Enrollment.of_course(course)]
        for enrollment in ids:
            add_predictions(course, enrollment, [(4, 0.9 if enrollment == ids[0] else 0.5, "Low", [])])
        Enrollment.update(user=student.id).where(Enrollment.id == ids[0]).execute()
        app.config["STUDENT_SEES_OWN_RISK"] = True
        try:
            view = enrollment_timeline.enrollment_view(User.get_by_id(student.id), ids[0])
        finally:
            app.config.pop("STUDENT_SEES_OWN_RISK")
        assert view["course_base_rate"] == pytest.approx((0.9 + 19 * 0.5) / 20)


def test_a_tutor_sees_only_the_enrollments_of_their_courses(app, make_user, course):
    tutor, stranger = make_user("tutor"), make_user("tutor")
    with app.app_context():
        other = store_course("EV2", _counts(), days=5)
        CourseTutor.create(course=course[0].id, user=tutor.id)
        CourseTutor.create(course=other.id, user=stranger.id)
        view = enrollment_timeline.enrollment_view(User.get_by_id(tutor.id), course[1])
        assert view["staff"] and view["risk"][-1]["risk_level"] == "High" and view["actions"] == []
        with pytest.raises(NotFound):
            enrollment_timeline.enrollment_view(User.get_by_id(stranger.id), course[1])
        with pytest.raises(NotFound):
            enrollment_timeline.record(User.get_by_id(stranger.id), course[1], "acknowledged")


@pytest.mark.parametrize("learners", [41, 40])
def test_course_median_is_the_median_over_every_learner_of_the_course(app, learners):
    rng = np.random.default_rng(learners)
    counts = rng.integers(0, 4, size=(learners, 30, len(EVENT_TYPES)))
    counts[rng.random((learners, 30)) < 0.6] = 0  # most learners idle on most days
    counts[: learners // 3, 20:] = 0  # a third gone quiet after day 20
    with app.app_context():
        course = store_course(f"EVM{learners}", counts)
        store_course(f"EVM{learners}-OTHER", rng.integers(50, 60, size=(5, 30, len(EVENT_TYPES))))
        idle = Enrollment.get((Enrollment.course == course) & (Enrollment.learner_ref == f"EVM{learners}-L0"))
        ActivityDay.delete().where((ActivityDay.enrollment == idle) & (ActivityDay.day == 3)).execute()
        ActivityDay.create(course=course.id, enrollment=idle.id, day=3)  # a stored day without events
        counts[0, 3] = 0
        for days in (30, 12, 0):
            expected = np.median(counts.sum(axis=2)[:, :days], axis=0) if days else np.zeros(0)
            assert enrollment_timeline.course_median_totals(course, days).tolist() == expected.tolist()
