"""The Users page as an administrator uses it (headless Chromium against the live server)."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.admin_pages import (
    sign_in,
    wait,
)
from tests.helpers import PASSWORD

browser = pytest.mark.browser


@browser
def test_users_activity_log_then_deactivation_blocks_sign_in(page, make_user):
    admin = make_user("admin")
    student = make_user("student", username="leaving")
    sign_in(page, admin)
    page.open("/users")
    page.wait_for_text("#users-table", "leaving")
    page.click('#users-row-leaving button[id*="users-active-toggle"]')
    page.wait_for_text("#users-confirm-text", "leaving will be signed out")
    page.click("#users-confirm-yes")
    page.wait_for_text("#users-message", "leaving is now deactivated")
    page.click('#users-row-leaving button[id*="users-activity-open"]')  # found again if re-rendered
    page.wait_for_text("#users-activity-title", "Activity of leaving")
    page.wait_for_text("#users-activity-table", "Account changed by an administrator")
    assert "Account created" in page.text("#users-activity-table")
    page.screenshot("users")
    page.driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    wait(page, lambda: not page.driver.find_elements(By.CSS_SELECTOR, "#users-activity-modal.show"), "modal")
    page.sign_out()
    page.sign_in(student.username, PASSWORD)
    assert "deactivated" in page.wait_for_text("#login-message", "deactivated")
