"""An administrator uploads a Moodle logs download (Excel) on the Data page, month first and in New York
time: the fields sit side by side on a desk and one below the other on a phone, nothing serious for
axe-core, and the report shows the Moodle format, its one course and the rows it left out. The Moodle
fields leave the form when another format is chosen, and a course code as long as a platform's course
IRI can be typed in whole."""

from __future__ import annotations

import pytest
from selenium.webdriver.support.ui import Select

from db.courses import Course
from tests import moodle_logs_data as data
from tests.browser import axe
from tests.helpers import PASSWORD

FIELDS = ("#data-import-date-order", "#data-import-time-zone")
LONG_IRI = "https://courses.edx.org/course/course-v1:UTAustinX+UT.7.10x+3T2016"  # 66 characters
TOPS = "return Array.from(arguments).map((s) => document.querySelector(s).getBoundingClientRect().top)"


@pytest.mark.browser
def test_admin_uploads_a_moodle_excel_download_with_its_date_order_and_zone(page, app, make_user, tmp_path):
    source = data.write_xlsx(tmp_path / "biology-logs.xlsx")
    admin = make_user("admin")
    page.driver.set_window_size(1280, 900)
    page.open("/login")
    page.sign_in(admin.username, PASSWORD)
    page.wait_for_path("/")
    page.open("/data")
    page.wait_for_text("#data-history-table", "No import yet")
    assert page.value("#data-import-time-zone") == "UTC"  # the site's setting
    for fmt, shown in (("xapi", False), ("moodle", True), ("edx", False), ("auto", True)):
        Select(page.driver.find_element("css selector", "#data-import-format")).select_by_value(fmt)
        page.until(lambda shown=shown: [_displayed(page, field) for field in FIELDS] == [shown, shown],
                   f"the Moodle fields shown={shown} for {fmt}")
    page.fill("#data-import-course", LONG_IRI)
    assert page.value("#data-import-course") == LONG_IRI
    page.fill("#data-import-course", "")
    tops = page.driver.execute_script(TOPS, *FIELDS)
    assert tops[0] == tops[1], "the date order and the time zone are not side by side"
    blocking = axe.violations(page, axe.script())
    assert not blocking, axe.describe(blocking)

    page.driver.set_window_size(390, 844)
    tops = page.driver.execute_script(TOPS, *FIELDS)
    assert tops[0] < tops[1]
    fits = page.driver.execute_script("return document.scrollingElement.scrollWidth <= window.innerWidth")
    assert fits, "the page is wider than the phone's screen"
    page.browser.wait_for_element("#data-import-upload input[type=file]").send_keys(str(source))
    page.wait_for_text("#data-import-filename", "biology-logs.xlsx")
    Select(page.driver.find_element("css selector", "#data-import-date-order")).select_by_value("mdy")
    page.fill("#data-import-time-zone", "America/New_York")
    page.click("#data-import-submit")
    page.wait_for_text("#data-import-status", "Finished.", timeout=60)
    page.wait_for_text("#data-import-summary", "Rows read")
    assert page.text("#data-import-figure-format").splitlines()[-1] == "moodle"
    assert page.text("#data-import-figure-courses").splitlines()[-1] == data.COURSE_CODE
    page.wait_for_text("#data-import-reasons", "not learner activity")
    page.screenshot("data-import-moodle-390", "data-import-result")
    with app.app_context():
        # month first: 7/12/23 is July 12; 12:59 in New York is 16:59 UTC, the same day
        assert Course.by_code(data.COURSE_CODE).start_date.isoformat() == "2023-07-12"


def _displayed(page, selector: str) -> bool:
    return page.driver.find_element("css selector", selector).is_displayed()
