"""A tutor's news and digests as they read them (headless Chromium against the live server): what is new
on Home stays through a look at a learner and Back until "Mark as seen"; a digest of a whole course
flagged lists ten learners, counts the rest and links to the full list."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from db.tables import User
from db.tutoring import CourseTutor
from tests.digests import flag_a_whole_course
from tests.helpers import PASSWORD, scored_course

browser = pytest.mark.browser
# At day 14, L1 and L2 are High: both new on a first visit (the last 7 days), L2 the riskier.
SCORES = {7: (7, [0.2, 0.5, 0.8, 0.3]), 14: (14, [0.1, 0.75, 0.9, 0.305])}
ACTIVE = {0: range(0, 16), 1: [3], 2: [], 3: [5, 18]}


def _sign_in(page, account) -> None:
    page.open("/login")
    page.sign_in(account.username, PASSWORD)
    page.wait_for_path("/")


@browser
def test_news_stays_after_a_look_at_a_learner_until_marked_seen(page, app, make_user):
    tutor = make_user("tutor")
    with app.app_context():
        course, _ids = scored_course("NEWS", SCORES, ACTIVE)
        CourseTutor.create(course=course, user=User.get_by_id(tutor.id))
    _sign_in(page, tutor)
    assert "NEWS-L1" in page.wait_for_text("#home-newly-high", "NEWS-L2")
    page.click("#home-newly-high a")
    page.wait_for_text("#_pages_content", "Learner NEWS-L2")
    page.driver.back()
    page.wait_for_path("/")
    page.wait_for_text("#home-newly-high", "NEWS-L1")  # still new: only the tutor says when it is seen
    page.open("/")
    page.wait_for_text("#home-newly-high", "NEWS-L1")
    page.click("#home-news-seen")
    page.wait_for_text("#home-newly-high", "No learner newly at High")
    page.wait_for_text("#home-news", "since you marked it seen")
    page.open("/")
    page.wait_for_text("#home-newly-high", "No learner newly at High")


@browser
def test_a_digest_of_a_whole_course_lists_ten_and_links_to_the_rest(page, app, make_user, monkeypatch):
    tutor, flagged = flag_a_whole_course(app, make_user, monkeypatch, "WIDE")
    _sign_in(page, tutor)
    page.open("/notifications")
    card = page.wait_for_text("[id^='notifications-item-']", f"{flagged} newly at High")
    assert f"… and {flagged - 10} more: the full list of WIDE." in card
    rows = page.driver.find_elements(By.CSS_SELECTOR, "[id^='notifications-item-'] tbody tr")
    assert len(rows) == 10
    height = page.driver.execute_script(
        "return document.querySelector(\"[id^='notifications-item-']\").getBoundingClientRect().height"
    )
    assert height < 900, height  # one screen, not a page per learner
    page.screenshot("notifications-digest-capped")
    page.click(".notifications-more a")
    page.wait_for_path("/course?code=WIDE")
    page.wait_for_text("#course-count", "enrollments at day 14")
