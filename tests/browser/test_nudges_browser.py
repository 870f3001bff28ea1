"""Nudging from the Course page (headless Chromium against the live server): a tutor selects learners,
previews the email the first one gets, sends, and sees who was emailed and who was not; the email
arrives at a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from db.nudges import LearnerContact
from db.tables import User
from db.tutoring import CourseTutor
from tests.digests import SmtpServer
from tests.helpers import PASSWORD, scored_course
from tests.nudges_data import ACTIVE, SCORES, seed_templates

browser = pytest.mark.browser


def _cell(page, enrollment: int, column: str) -> str:
    found = page.driver.find_elements(By.CSS_SELECTOR, f".ag-row[row-id='{enrollment}'] [col-id='{column}']")
    try:
        return found[0].text if found else ""
    except Exception:  # re-rendered meanwhile: read again next time
        return ""


@browser
def test_a_tutor_previews_then_sends_a_nudge_from_the_course_page(app, page, make_user, mail_to):
    tutor = make_user("tutor")
    with app.app_context():
        seed_templates()
        course, ids = scored_course("NB", SCORES, ACTIVE)
        CourseTutor.create(course=course, user=User.get_by_id(tutor.id))
        LearnerContact.create(enrollment=ids["NB-L1"], email="bob@example.org", name="Bob")
    with SmtpServer() as smtp:
        mail_to(smtp.port)
        page.open("/login")
        page.sign_in(tutor.username, PASSWORD)
        page.wait_for_path("/")
        page.open("/course?code=NB")
        page.wait_for_text("#course-count", "4 of 4 enrollments at day 14")
        for ref in ("NB-L1", "NB-L2"):
            page.click(f".ag-row[row-id='{ids[ref]}'] input.ag-checkbox-input")
        page.wait_for_text("#course-selected", "2 selected")
        assert not page.browser.wait_for_element("#course-nudge-send").is_enabled()
        Select(page.browser.wait_for_element("#course-nudge-template")).select_by_value("We miss you")
        page.click("#course-nudge-preview")
        shown = page.wait_for_text("#course-nudge-shown", "1 learner will get this email")
        assert "To: bob@example.org" in shown and "Subject: We miss you in NB" in shown
        assert "Hello Bob," in shown and "17 days since your last visit" in shown
        assert "NB-L2: no email address" in shown
        assert smtp.mailbox.messages == []
        page.until(lambda: page.browser.wait_for_element("#course-nudge-send").is_enabled(), "Send stays off")
        page.click("#course-nudge-send")
        page.wait_for_text("#course-nudge-shown", "Sent to 1 learner.")
        smtp.mailbox.wait_for(1)
        (message,) = smtp.mailbox.messages
    assert message["To"] == "bob@example.org"
    assert message.get_body(("plain",)).get_content().startswith("Hello Bob,")
    page.until(lambda: _cell(page, ids["NB-L1"], "last_action").startswith("Nudged by"), "no last action")
    page.screenshot("course-nudge", "course-nudge")
    # The learner follows the email's unsubscribe link in a browser where nobody is signed in.
    (path,) = re.findall(
        r"http://ssa\.example\.org(/unsubscribe/\S+)", message.get_body(("plain",)).get_content()
    )
    page.sign_out()
    page.driver.get(page.base_url + path)
    page.wait_for_text("h1", "You are unsubscribed")
    assert "You will not receive any more of these emails about NB." in page.text("p")
    with app.app_context():
        assert LearnerContact.get(LearnerContact.email == "bob@example.org").unsubscribed_at is not None
