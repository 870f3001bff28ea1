"""The LTI page as an administrator uses it: the tool's addresses to copy into the LMS, a registration
with a bad field refused and named (what was typed kept), then a platform registered and listed and the
form emptied for the next; on a phone the page fits the screen, and axe-core finds nothing serious."""

from __future__ import annotations

import pytest

from tests.browser import axe
from tests.helpers import PASSWORD

browser = pytest.mark.browser


@browser
@pytest.mark.parametrize("width", [1280, 390])
def test_an_administrator_reads_the_tool_addresses_and_registers_a_platform(page, make_user, width):
    source = axe.script()
    page.driver.set_window_size(width, 900)
    admin = make_user("admin")
    page.open("/login")
    page.sign_in(admin.username, PASSWORD)
    page.wait_for_path("/")
    page.open("/lti")
    assert page.text("#lti-launch-url") == f"{page.base_url}/lti/launch"
    assert page.text("#lti-jwks-url") == f"{page.base_url}/lti/jwks"
    page.wait_for_text("#lti-list", "No platform is registered yet")

    page.fill("#lti-issuer", "https://moodle.example.edu")
    page.fill("#lti-client-id", "Abc123")
    page.fill("#lti-keyset-url", "not a url")
    page.click("#lti-register")
    page.wait_for_text("#lti-message", "Please correct the highlighted fields")
    page.wait_for_text("#lti-keyset-url-feedback", "An http(s) address")

    page.fill("#lti-deployment-ids", "1")
    page.fill("#lti-keyset-url", "https://moodle.example.edu/mod/lti/certs.php")
    page.fill("#lti-auth-login-url", "https://moodle.example.edu/mod/lti/auth.php")
    page.click("#lti-register")
    page.wait_for_text("#lti-message", "Registered https://moodle.example.edu (Abc123)")
    page.wait_for_text("#lti-platforms", "Abc123")
    page.until(lambda: page.value("#lti-issuer") == page.value("#lti-deployment-ids") == "",
               "the form still holds the registered platform")

    fits = page.driver.execute_script("return document.scrollingElement.scrollWidth <= window.innerWidth")
    assert fits, "the page is wider than the screen"
    blocking = axe.violations(page, source)
    assert not blocking, axe.describe(blocking)
    page.screenshot(f"lti-{width}")
