"""The bell and the notifications page after a scoring run, and the profile's digest-email switch, as a
tutor uses them in headless Chromium."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.digests import scored_with_tutors
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser


def _sign_in(page, username: str) -> None:
    page.open("/login")
    page.sign_in(username, PASSWORD)
    page.wait_for_path("/")


def test_the_bell_counts_the_digest_and_the_page_lists_it_and_clears_the_count(app, make_user, page):
    from db.tables import User
    from db.tutoring import Notification

    scored_with_tutors(app, make_user)
    with app.app_context():
        (note,) = Notification.select().join(User).where(User.username == "tutor-a")
        learners = note.payload["courses"][0]["learners"]
    _sign_in(page, "tutor-a")
    assert page.wait_for_text("#shell-bell-count", "1") == "1"

    page.click("#shell-bell")
    page.wait_for_path("/notifications")
    listed = page.wait_for_text("#notifications-list", learners[0]["learner"])
    assert note.title in listed and "New" in listed
    assert all(learner["learner"] in listed for learner in learners)
    assert "NB-" not in listed  # the other tutor's course
    link = page.driver.find_element(By.LINK_TEXT, learners[0]["learner"])
    assert link.get_attribute("href").endswith(f"/enrollment?id={learners[0]['enrollment']}")
    page.screenshot("notifications-digest")

    page.click("#notifications-mark-read")
    page.wait_for_text("#notifications-message", "1 marked read.")
    WebDriverWait(page.driver, 10).until(
        lambda d: not d.find_elements(By.CSS_SELECTOR, "#shell-bell-count"), "the count stayed"
    )
    assert "New" not in page.text("#notifications-list")
    with app.app_context():
        assert Notification.get_by_id(note.id).read_at is not None


def test_a_tutor_turns_digest_emails_off_on_the_profile(app, make_user, page):
    from db.tables import User

    tutor = make_user("tutor")
    _sign_in(page, tutor.username)
    page.open("/profile")
    switch = page.browser.wait_for_element("#profile-email-notifications")
    assert switch.is_selected()
    page.click("#profile-email-notifications")
    page.wait_for_text("#profile-notifications-message", "no longer be emailed")
    with app.app_context():
        assert User.get_by_id(tutor.id).email_notifications is False
    page.open("/profile")
    assert not page.browser.wait_for_element("#profile-email-notifications").is_selected()
    page.click("#profile-email-notifications")
    page.wait_for_text("#profile-notifications-message", "will be emailed")
    with app.app_context():
        assert User.get_by_id(tutor.id).email_notifications is True
