"""The Privacy page as an administrator uses it (headless Chromium against the live server, at a desk's
1280 px and a phone's 390 px): what is held about a learner, the confirmation naming every table, the
erasure, and the access log listing it; axe-core finds nothing serious."""

from __future__ import annotations

import pytest

from tests.browser import axe
from tests.helpers import PASSWORD
from tests.learner_data import REF, hold_everything

browser = pytest.mark.browser
FITS = "return document.scrollingElement.scrollWidth <= window.innerWidth + 1"


@browser
@pytest.mark.parametrize("width", [1280, 390])
def test_an_administrator_erases_a_learner_after_seeing_what_goes(page, app, make_user, width):
    source = axe.script()
    admin, tutor = make_user("admin"), make_user("tutor")
    hold_everything(app, admin.id, tutor.id)
    page.driver.set_window_size(width, 900)
    page.open("/login")
    page.sign_in(admin.username, PASSWORD)
    page.wait_for_path("/")
    page.open("/privacy")
    page.wait_for_text("#privacy-log", "enrollment view")  # the tutor's look at the learner, listed
    page.fill("#privacy-ref", REF)
    page.click("#privacy-erase")
    text = page.wait_for_text("#privacy-confirm-text", "activity_days")
    for table in ("enrollments", "enrollment_predictions", "learner_contacts", "notifications", "records"):
        assert table in text
    assert "not retrained" in text
    found = axe.violations(page, source)
    assert not found, axe.describe(found)
    assert page.driver.execute_script(FITS), f"the page scrolls sideways at {width} px"
    page.screenshot(f"privacy-confirm-{width}")
    page.click("#privacy-confirm-yes")
    page.wait_for_text("#privacy-message", "Erased")
    page.fill("#privacy-log-learner", REF + "\n")
    page.wait_for_text("#privacy-log", "erasure")
    page.until(lambda: "enrollment view" not in page.text("#privacy-log"), "the learner's views still listed")
    found = axe.violations(page, source)
    assert not found, axe.describe(found)
    assert page.driver.execute_script(FITS), f"the page scrolls sideways at {width} px"
    page.screenshot(f"privacy-erased-{width}")
