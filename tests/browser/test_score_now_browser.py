"""Score now as a tutor and an administrator use it (headless Chromium against the live server): the
button on the Course and Courses pages, the job's progress, then the new scores on the page; the
offer under a finished import on the Data page."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.digests import DAY, daily_csv, running_course
from tests.helpers import PASSWORD, early_warning_version

browser = pytest.mark.browser


@pytest.fixture
def courses(app, make_user):
    """Running courses SA (tutor-a's) and SB (tutor-b's) at day 16, never scored; an active model."""
    from services.tutoring import tutors

    early_warning_version(app)
    tutor = make_user("tutor", "tutor-a")
    make_user("tutor", "tutor-b")
    with app.app_context():
        running_course("SA", 11, enrollments=12)
        running_course("SB", 12, enrollments=12)
        tutors.assign_tutor(None, "tutor-a", "SA")
        tutors.assign_tutor(None, "tutor-b", "SB")
    return tutor


def _sign_in(page, account) -> None:
    page.open("/login")
    page.sign_in(account.username, PASSWORD)
    page.wait_for_path("/")


def _buttons(page) -> list[str]:
    """The courses whose Score now button shows, as the ids name them."""
    found = page.driver.find_elements(By.CSS_SELECTOR, "[id*='-score\"'][id*='\"code\"']")
    return sorted(element.get_attribute("id").split('"code":"')[1].split('"')[0] for element in found)


@browser
def test_a_tutor_scores_their_course_from_the_course_page_and_sees_the_new_scores(page, courses):
    _sign_in(page, courses)
    page.open("/course?code=SA")
    page.wait_for_text("#course-last-scoring", "never")
    page.wait_for_text("#course-count", "not been scored", timeout=20)
    page.click("#course-score-block button")
    button = "#course-score-block button"
    page.wait_for_text("#course-score-status", "Finished.", timeout=60)
    page.until(lambda: page.driver.find_element("css selector", button).is_enabled(), "the button stays off")
    assert page.text("#course-score-progress") == "100 %"
    page.wait_for_text("#course-score-result", f"SA scored at day {DAY}: 12 prediction(s) stored")
    page.wait_for_text("#course-count", f"12 of 12 enrollments at day {DAY}")
    assert "never" not in page.text("#course-last-scoring")
    page.screenshot("score-now-course", "course-score-block")
    # Another tutor's course does not open for them, so it offers no button either.
    page.open("/course?code=SB")
    page.wait_for_text("#course-missing", "No such course")
    assert not page.driver.find_elements(By.CSS_SELECTOR, "#course-score-block")


@browser
def test_the_courses_page_scores_a_course_and_shows_its_share(page, courses, make_user):
    _sign_in(page, courses)
    page.open("/courses")
    page.wait_for_text("#courses-list", "not scored yet")
    assert page.until(lambda: _buttons(page), "no Score now button") == ["SA"]
    page.click('[id=\'{"code":"SA","type":"courses-score"}\']')
    page.wait_for_text("#courses-score-status", "Finished.", timeout=60)
    page.wait_for_text("#courses-list", f"(day {DAY})")
    assert "not scored yet" not in page.text("#courses-list")
    page.sign_out()
    admin = make_user("admin")
    _sign_in(page, admin)
    page.open("/courses")
    page.wait_for_text("#courses-list", "SB")
    assert page.until(lambda: _buttons(page) == ["SA", "SB"] and _buttons(page), "admin's buttons") == [
        "SA",
        "SB",
    ]


@browser
def test_an_import_into_a_running_course_offers_score_now(page, app, make_user, tmp_path):
    early_warning_version(app)
    admin = make_user("admin")
    source = tmp_path / "running.csv"
    source.write_bytes(daily_csv("RUN"))
    _sign_in(page, admin)
    page.open("/data")
    page.browser.wait_for_element("#data-import-upload input[type=file]").send_keys(str(source))
    page.wait_for_text("#data-import-filename", "running.csv")
    from datetime import timedelta

    from db.tables import utcnow

    start = utcnow().date() - timedelta(days=DAY)
    page.driver.execute_script(
        "const input = document.getElementById('data-import-start');"
        "const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;"
        "set.call(input, arguments[0]); input.dispatchEvent(new Event('input', {bubbles: true}));",
        start.isoformat(),
    )
    page.fill("#data-import-days", "30")
    page.click("#data-import-submit")
    page.wait_for_text("#data-import-status", "Finished.", timeout=60)
    page.wait_for_text("#data-score-offer", "Score the imported courses now")
    page.click('[id=\'{"code":"RUN","type":"data-score"}\']')
    page.wait_for_text("#data-score-result", f"RUN scored at day {DAY}: 12 prediction(s) stored", timeout=60)
    page.click("#data-score-result a")
    page.wait_for_path("/course?code=RUN")
    page.wait_for_text("#course-count", f"12 of 12 enrollments at day {DAY}")
