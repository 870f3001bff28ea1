"""A tutor's "This week" on Home as they read it (headless Chromium against the live server), on a desktop
and a phone: the learners in priority order with what to do, the sentence saying how the order is made;
recording an action takes the learner off the list and counts it as done."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from db.tables import User
from db.tutoring import CourseTutor
from tests.helpers import PASSWORD
from tests.worklist_data import tutored_course

browser = pytest.mark.browser
# At equal level (High), gone quiet and slipping come before not started whatever the probability.
LEARNERS = [(0.9, "gone_quiet"), (0.95, "not_started"), (0.8, "slipping"), (0.1, "steady")]


def _rows(page) -> list[str]:
    """The learner of each row of "This week", top to bottom (the first line of each row)."""
    found = page.driver.find_elements(By.CSS_SELECTOR, "#home-worklist .home-worklist-row")
    return [row.text.splitlines()[0] for row in found if row.text]


def _viewport(page, width: int) -> None:
    page.driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
    )


@browser
@pytest.mark.parametrize("width", [1280, 390])
def test_this_week_lists_learners_in_order_and_recording_an_action_removes_one(page, app, make_user, width):
    tutor = make_user("tutor")
    with app.app_context():
        tutored_course("WEEK", LEARNERS, tutor.id)
        assert CourseTutor.select().where(CourseTutor.user == User.get_by_id(tutor.id)).count() == 1
    _viewport(page, width)
    try:
        page.open("/login")
        page.sign_in(tutor.username, PASSWORD)
        page.wait_for_path("/")
        page.wait_for_text("#home-worklist", "WEEK-L0")
        expected = ["WEEK-L0 in WEEK", "WEEK-L2 in WEEK", "WEEK-L1 in WEEK", "WEEK-L3 in WEEK"]
        page.until(lambda: _rows(page) == expected, f"rows not in order: {_rows(page)}")
        order = page.text("#home-worklist-order")
        assert "High first" in order and "gone quiet and slipping before not started" in order
        first = page.text("#home-worklist .home-worklist-row")
        assert "High 90%" in first and "Gone quiet: Contact personally" in first and "reason 0 at 14" in first
        assert page.text("#home-worklist-done") == "Done this week: 0"
        fits = page.driver.execute_script("return document.documentElement.scrollWidth")
        assert fits <= width, fits  # nothing wider than the screen
        page.screenshot(f"home-this-week-{width}", "home-worklist-section")

        page.click("#home-worklist .home-worklist-row button")  # Record (Contacted) for WEEK-L0
        page.wait_for_text("#home-worklist-done", "Done this week: 1")
        page.wait_for_text("#home-worklist-message", "Recorded “Contacted”")
        page.until(lambda: _rows(page) == expected[1:], f"WEEK-L0 still listed: {_rows(page)}")
        page.open("/")
        page.until(lambda: _rows(page) == expected[1:], f"WEEK-L0 back after a reload: {_rows(page)}")
        assert page.text("#home-worklist-done") == "Done this week: 1"
    finally:
        page.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


@browser
def test_the_capacity_set_on_profile_limits_this_week(page, app, make_user):
    tutor = make_user("tutor")
    with app.app_context():
        tutored_course("CAP", LEARNERS, tutor.id)
    page.open("/login")
    page.sign_in(tutor.username, PASSWORD)
    page.wait_for_path("/")
    page.until(lambda: len(_rows(page)) == 4, f"not the four learners: {_rows(page)}")
    page.open("/profile")
    assert page.value("#profile-worklist-capacity") == "25"
    page.fill("#profile-worklist-capacity", "500")
    page.click("#profile-worklist-save")
    page.wait_for_text("#profile-worklist-capacity-feedback", "A whole number from 1 to 200.")
    page.fill("#profile-worklist-capacity", "2")
    page.click("#profile-worklist-save")
    page.wait_for_text("#profile-worklist-message", "Saved: your worklist lists up to 2 learners.")
    page.open("/")
    page.until(lambda: _rows(page) == ["CAP-L0 in CAP", "CAP-L2 in CAP"], f"not the first two: {_rows(page)}")
    assert "Up to 2 learners" in page.text("#home-worklist-section")
