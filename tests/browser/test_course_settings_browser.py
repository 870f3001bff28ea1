"""Course settings as an administrator uses them: from the Data page, choose a course, see a window that
would leave activity out refused, save a new title and length, remove the course after a confirmation
that names what goes; on a phone the page fits the screen."""

from __future__ import annotations

from datetime import date

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from db.courses import Course
from tests.browser import axe
from tests.helpers import PASSWORD, scored_course

browser = pytest.mark.browser


def _choose(page, dropdown: str, option: str) -> None:
    """Open the dropdown and click the option, looking again if the list re-renders meanwhile."""
    page.click(dropdown)

    def click_option() -> bool:
        for found in page.driver.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option"):
            if found.text == option:
                found.click()
                return True
        return False

    page.until(click_option, f"no option {option}")
    page.driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)


@browser
@pytest.mark.parametrize("width", [1280, 390])
def test_an_administrator_edits_and_removes_a_course(page, app, make_user, width):
    with app.app_context():
        scored_course("EDIT-1", {7: (1, [0.2, 0.9]), 14: (2, [0.3, 0.8])}, {0: [3, 12], 1: [5]})
        scored_course("KEEP-1", {7: (1, [0.5])}, {0: [1]})
    page.driver.set_window_size(width, 900)
    admin = make_user("admin")
    page.open("/login")
    page.sign_in(admin.username, PASSWORD)
    page.wait_for_path("/")
    page.open("/data")
    page.click("#data-course-settings-link")
    page.wait_for_path("/course-settings")
    _choose(page, "#course-settings-code", "EDIT-1")
    page.until(lambda: page.value("#course-settings-title") == "EDIT-1", "the course's title is not shown")
    assert page.value("#course-settings-length") == "30"

    page.fill("#course-settings-length", "12")
    page.click("#course-settings-save")
    error = page.wait_for_text("#course-settings-message", "holds activity from")
    assert "length days: must keep the stored activity inside the window" in error

    page.fill("#course-settings-title", "Biology for beginners")
    page.fill("#course-settings-length", "40")
    page.click("#course-settings-save")
    page.wait_for_text("#course-settings-message", "EDIT-1 saved: Biology for beginners")
    with app.app_context():
        saved = Course.by_code("EDIT-1")
    assert (saved.title, saved.length_days) == ("Biology for beginners", 40)
    fits = page.driver.execute_script("return document.scrollingElement.scrollWidth <= window.innerWidth")
    assert fits, "the page is wider than the screen"
    page.screenshot(f"course-settings-{width}")

    page.click("#course-settings-remove")
    text = page.wait_for_text("#course-settings-confirm-text", "Removing EDIT-1 deletes its")
    assert "2 enrollments, 3 days of activity, 4 predictions" in text
    page.click("#course-settings-confirm-yes")
    page.wait_for_text("#course-settings-message", "EDIT-1 removed with its 2 enrollment(s)")
    with app.app_context():
        assert Course.codes() == ["KEEP-1"]


@browser
def test_a_tutor_is_not_allowed_in_course_settings(page, make_user):
    tutor = make_user("tutor")
    page.open("/login")
    page.sign_in(tutor.username, PASSWORD)
    page.wait_for_path("/")
    page.open("/course-settings")
    page.wait_for_text("#_pages_content", "Not allowed")
    assert not page.driver.find_elements(By.CSS_SELECTOR, "#course-settings-save")


@browser
@pytest.mark.parametrize("width", [1280, 390])
def test_activity_kept_aside_is_shown_and_counted_when_the_window_covers_it(page, app, make_user, width):
    from services.ingest import formats, write_chunks

    events = [{"enrollment_id": f"u{i}", "course_id": "ASIDE-1", "time": f"2025-03-0{1 + i}T10:00:00Z",
               "event": "video"} for i in range(4)]  # March 1st to 4th; a one-day window on the 1st
    with app.app_context():
        Course.create(code="ASIDE-1", title="Aside", start_date=date(2025, 3, 1), length_days=1)
        report = write_chunks([formats.event_rows_chunk(events)])
        assert (report.rows_imported, report.outside_window) == (1, 3)
    page.driver.set_window_size(width, 900)
    page.open("/login")
    page.sign_in(make_user("admin").username, PASSWORD)
    page.wait_for_path("/")
    page.open("/course-settings?code=ASIDE-1")
    page.wait_for_text("#course-settings-outside", "3 rows of activity arrived outside this window")
    page.fill("#course-settings-length", "10")
    page.click("#course-settings-save")
    page.wait_for_text("#course-settings-message", "3 rows kept aside outside the old window are now counted")
    page.wait_for_text("#course-settings-outside", "No activity is kept aside")
    found = axe.violations(page, axe.script())
    assert not found, axe.describe(found)
    with app.app_context():
        assert Course.by_code("ASIDE-1").length_days == 10


@browser
@pytest.mark.parametrize("width", [1280, 390])
def test_an_administrator_archives_a_course_and_the_page_says_so(page, app, make_user, width):
    from db.courses import ActivityDay
    from db.ingest import DayEvents
    from tests.browser import axe

    with app.app_context():
        course, _ = scored_course("ARCH-1", {7: (1, [0.2, 0.9])}, {0: [3, 12], 1: [5]})
        DayEvents.insert_many([{"course": course.id, "enrollment": e, "day": d, "keys": b"k", "codes": b"c"}
                               for e, d in ActivityDay.select(ActivityDay.enrollment, ActivityDay.day)
                               .where(ActivityDay.course == course.id).tuples()]).execute()
    page.driver.set_window_size(width, 900)
    page.open("/login")
    page.sign_in(make_user("admin").username, PASSWORD)
    page.wait_for_path("/")
    page.open("/course-settings?code=ARCH-1")
    page.wait_for_text("#course-settings-archive-state", "Not archived.")
    assert "Daily activity: 730 days after the course's last day" in page.text("body")
    page.click("#course-settings-archive")
    page.wait_for_text("#course-settings-archive-confirm-text", "deletes its raw event keys")
    page.click("#course-settings-archive-confirm-yes")
    page.wait_for_text("#course-settings-message", "ARCH-1 archived: 3 event-key row(s) deleted")
    page.wait_for_text("#course-settings-archive-state", "Archived on")
    assert not page.driver.find_element(By.ID, "course-settings-archive").is_enabled()
    with app.app_context():
        assert DayEvents.select().count() == 0 and ActivityDay.select().count() == 3
    fits = page.driver.execute_script("return document.scrollingElement.scrollWidth <= window.innerWidth")
    assert fits, "the page is wider than the screen"
    blocking = axe.violations(page, axe.script())
    assert not blocking, axe.describe(blocking)
