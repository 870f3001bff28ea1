"""The Data page's upload of Caliper events as an administrator uses it: a file of Canvas Live Events in
their Caliper form, pretty-printed as Canvas documents them, is detected as Caliper, its learner's events
stored in the Canvas course, and what is not a learner's activity counted under one reason."""

from __future__ import annotations

import json

import pytest
from selenium.webdriver.common.by import By

from tests import caliper_data as data
from tests.helpers import PASSWORD

browser = pytest.mark.browser


@browser
def test_admin_uploads_canvas_caliper_events_detected_from_the_file(page, make_user, tmp_path):
    source = tmp_path / "canvas-live-events.json"
    source.write_text("\n".join(json.dumps(envelope, indent=2) for envelope in data.CANVAS))
    page.open("/login")
    page.sign_in(make_user("admin").username, PASSWORD)
    page.wait_for_path("/")
    page.open("/data")
    page.browser.wait_for_element("#data-import-upload input[type=file]").send_keys(str(source))
    page.wait_for_text("#data-import-filename", "canvas-live-events.json")
    page.click("#data-import-submit")
    page.wait_for_text("#data-import-status", "Finished.", timeout=60)
    page.wait_for_text("#data-import-summary", "Rows read")
    figures = {key: page.text(f"#data-import-figure-{key}").splitlines()[-1]
               for key in ("format", "read", "imported", "rejected", "courses")}
    course = figures.pop("courses")  # a long code is shown cut in the middle
    assert figures == {"format": "caliper", "read": "8", "imported": "4", "rejected": "4"}, figures
    assert course.startswith("urn:instructure:") and course.endswith(data.CANVAS_COURSE[-12:]), course
    reasons = [tuple(td.text for td in row.find_elements(By.TAG_NAME, "td"))
               for row in page.driver.find_elements(By.CSS_SELECTOR, "#data-import-reasons tbody tr")]
    assert reasons == [("not learner activity", "4")]
