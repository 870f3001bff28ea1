"""The enrollment page, a tutor's Home and the At-risk page across courses, as people use them
(headless Chromium against the live server)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from db.courses import EVENT_TYPES, Enrollment
from db.early_warning import EnrollmentPrediction
from db.tables import User, utcnow
from db.tutoring import CourseTutor
from tests.helpers import PASSWORD, store_course

browser = pytest.mark.browser


def _sign_in(page, account) -> None:
    page.open("/login")
    page.sign_in(account.username, PASSWORD)
    page.wait_for_path("/")


def _flagged_course(code: str, learners: int = 3) -> tuple[int, list[int]]:
    """A course whose learner L0 was scored Low at day 7 and High at day 14 (call in an app context)."""
    counts = np.zeros((learners, 30, len(EVENT_TYPES)), dtype=int)
    counts[:, :10, 0] = 3
    counts[0, 2, 4] = 5
    course = store_course(code, counts)
    ids = [row[0] for row in Enrollment.of_course(course)]
    for day, probability, level, reason in (
        (7, 0.2, "Low", "Watched videos."),
        (14, 0.88, "High", "No activity since day 9."),
    ):
        for enrollment in ids:
            high = enrollment == ids[0]
            EnrollmentPrediction.create(
                enrollment=enrollment,
                course=course.id,
                day=day,
                checkpoint=day,
                probability=probability if high else 0.1,
                risk_level=level if high else "Low",
                top_factors=[{"feature": "x", "contribution": 0.3, "direction": "up", "text": reason}],
                in_favour=[
                    {
                        "feature": "y",
                        "contribution": -0.2,
                        "direction": "lowers",
                        "text": f"Kept up at {day}.",
                    }
                ],
            )
    return course.id, ids


@browser
def test_a_tutor_records_an_action_and_sees_it_in_the_log(page, app, make_user):
    tutor = make_user("tutor")
    with app.app_context():
        course_id, ids = _flagged_course("EP-1")
        CourseTutor.create(course=course_id, user=tutor.id)
    _sign_in(page, tutor)
    page.open(f"/enrollment?id={ids[0]}")
    page.wait_for_text("#_pages_content", "Learner EP-1-L0")
    assert "EP-1" in page.text("#enrollment-course")
    page.browser.wait_for_element("#enrollment-heatmap .js-plotly-plot")
    page.browser.wait_for_element("#enrollment-daily .js-plotly-plot")
    assert "Course median" in page.text("#enrollment-daily")
    risk = page.wait_for_text("#enrollment-risk", "No activity since day 9.")
    assert "Watched videos." in risk and "88%" in risk and "High risk" in risk
    # The level in the header comes with the probability: High says where in the course, 88% how likely,
    # against the course's average that day ((88 + 10 + 10) / 3).
    assert page.text("#enrollment-header").endswith("High risk 88% dropout probability · course average 36%")
    # What raises the risk and what is in the learner's favour, each in its labelled column, as of a day.
    assert "Reasons for the risk" in risk and "In their favour" in risk and "Kept up at 14." in risk
    assert "day 14 model, as of day 14" in risk
    page.wait_for_text("#enrollment-actions", "No action recorded yet.")
    Select(page.browser.wait_for_element("#enrollment-kind")).select_by_value("contacted")
    Select(page.browser.wait_for_element("#enrollment-channel")).select_by_value("phone")
    page.fill("#enrollment-note", "Called about the week 2 quiz.")
    page.click("#enrollment-record")
    log = page.wait_for_text("#enrollment-actions", "Called about the week 2 quiz.")
    assert "Contacted (phone)" in log and tutor.username in log
    page.wait_for_text("#enrollment-action-message", "Recorded")
    page.screenshot("enrollment")
    page.screenshot("enrollment-actions", "enrollment-actions")
    page.open(f"/enrollment?id={ids[0]}")  # kept: the log is read back from the store
    page.wait_for_text("#enrollment-actions", "Called about the week 2 quiz.")
    # Another kind: the channel is hidden (still holding "phone") and not sent with it.
    Select(page.browser.wait_for_element("#enrollment-kind")).select_by_value("acknowledged")
    page.click("#enrollment-record")
    page.wait_for_text("#enrollment-action-message", "Recorded: Acknowledged.")
    assert "Acknowledged" in page.wait_for_text("#enrollment-actions", "Acknowledged")


@browser
def test_a_linked_student_finds_their_course_on_home_and_sees_only_their_own_enrollment(page, app, make_user):
    student = make_user()
    with app.app_context():
        _, ids = _flagged_course("EP-2")
    result = app.test_cli_runner().invoke(args=["link-learner", student.username, "EP-2", "EP-2-L1"])
    assert result.exit_code == 0, result.output
    _sign_in(page, student)
    page.wait_for_text("#home-my-courses", "EP-2")
    page.click("#home-my-courses a")
    page.wait_for_text("#_pages_content", "Learner EP-2-L1")
    page.open(f"/enrollment?id={ids[0]}")
    page.wait_for_text("#enrollment-missing", "No such enrollment")
    assert "EP-2-L0" not in page.text("#_pages_content")
    page.open(f"/enrollment?id={ids[1]}")
    page.wait_for_text("#_pages_content", "Learner EP-2-L1")
    page.browser.wait_for_element("#enrollment-heatmap .js-plotly-plot")
    text = page.text("#_pages_content")
    assert "Risk" not in text and "Actions" not in text and "%" not in text
    assert not page.driver.find_elements(By.ID, "enrollment-record")


@browser
def test_a_tutors_home_and_at_risk_page_show_only_their_courses(page, app, make_user):
    tutor = make_user("tutor")
    with app.app_context():
        mine, ids = _flagged_course("EP-MINE")
        _flagged_course("EP-OTHER")
        CourseTutor.create(course=mine, user=tutor.id)
        User.update(last_visit_at=utcnow() - timedelta(days=2)).where(User.id == tutor.id).execute()
    _sign_in(page, tutor)
    page.wait_for_text("#home-courses", "EP-MINE")
    assert "EP-OTHER" not in page.text("#_pages_content")
    newly = page.wait_for_text("#home-newly-high", "EP-MINE-L0")
    assert "88%" in newly and "No activity since day 9." in newly
    page.screenshot("home-tutor")
    page.click("#home-newly-high a")
    page.wait_for_text("#_pages_content", "Learner EP-MINE-L0")
    page.open("/at-risk")
    table = page.wait_for_text("#at-risk-courses", "EP-MINE")
    assert "EP-OTHER" not in table
    assert "+33.3 pts" in table and "33%" in table  # 1 of 3 at High, none at the previous checkpoint
    assert not page.driver.find_elements(By.ID, "at-risk-grid")  # saved predictions: administrators only
    page.screenshot("at-risk-tutor")
    page.open("/")
    page.wait_for_text("#home-newly-high", "EP-MINE-L0")  # the news stays until marked seen
