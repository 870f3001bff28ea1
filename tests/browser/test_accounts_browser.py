"""Accounts as a person uses them, in headless Chromium against the live server."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser


def test_register_profile_password_sign_out_and_back_in(page, app):
    page.open("/register")
    page.screenshot("register")
    page.fill("#register-username", "grace")
    page.fill("#register-email", "grace@example.org")
    page.fill("#register-full-name", "Grace Hopper")
    page.fill("#register-password", "first-password-1")
    page.fill("#register-confirm", "first-password-1")
    page.click("#register-submit")
    page.wait_for_path("/")
    assert "Welcome, Grace Hopper" in page.wait_for_text("#_pages_content", "Welcome")
    page.screenshot("home-student")

    page.click("#shell-nav-profile")
    page.wait_for_path("/profile")
    page.fill("#profile-full-name", "Grace B. Hopper")
    page.fill("#profile-email", "grace.hopper@example.org")
    page.click("#profile-save")
    page.wait_for_text("#profile-message", "saved")
    page.wait_for_text("#profile-activity", "Profile updated")
    assert "Grace B. Hopper" in page.wait_for_text("#shell-user", "Grace B. Hopper")

    page.fill("#profile-current-password", "first-password-1")
    page.fill("#profile-new-password", "second-password-2")
    page.fill("#profile-confirm-password", "second-password-2")
    page.click("#profile-password-submit")
    page.wait_for_text("#profile-password-message", "Password changed")
    page.wait_for_text("#profile-activity", "Password changed")
    page.screenshot("profile")

    # Still signed in after the change: the session cookies were re-issued.
    page.open("/profile")
    page.wait_for_path("/profile")

    page.sign_out()
    page.sign_in("grace", "first-password-1")
    assert "Wrong username or password" in page.wait_for_text("#login-message", "Wrong")
    page.sign_in("grace.hopper@example.org", "second-password-2")
    page.wait_for_path("/")
    page.wait_for_text("#shell-user", "Grace B. Hopper")


def test_invalid_registration_highlights_fields(page):
    page.open("/register")
    page.fill("#register-username", "x")
    page.fill("#register-email", "nope")
    page.fill("#register-password", "short")
    page.fill("#register-confirm", "short")
    page.click("#register-submit")
    page.wait_for_text("#register-username-feedback", "letters")
    assert "valid email" in page.text("#register-email-feedback")
    assert "8 characters" in page.text("#register-password-feedback")
    assert "is-invalid" in page.browser.find_element("#register-username").get_attribute("class")
    page.wait_for_path("/register")


def test_weak_passwords_are_refused_with_the_reason_on_register_and_profile(page, make_user):
    page.open("/register")
    page.fill("#register-username", "weakling")
    page.fill("#register-email", "weak@example.org")
    page.fill("#register-password", "password")
    page.fill("#register-confirm", "password")
    page.click("#register-submit")
    assert "common password" in page.wait_for_text("#register-password-feedback", "too easy to guess")
    page.wait_for_path("/register")

    account = make_user()
    page.open("/login")
    page.sign_in(account.username, PASSWORD)
    page.wait_for_path("/")
    page.open("/profile")
    page.fill("#profile-current-password", PASSWORD)
    page.fill("#profile-new-password", "12345678")
    page.fill("#profile-confirm-password", "12345678")
    page.click("#profile-password-submit")
    assert "common password" in page.wait_for_text("#profile-new-password-feedback", "too easy to guess")


def test_private_page_redirects_and_returns_after_sign_in(page, make_user):
    account = make_user()
    page.open("/profile")
    page.wait_for_path("/login?next=/profile")
    page.screenshot("login")
    page.sign_in(account.username, PASSWORD)
    page.wait_for_path("/profile")
    assert page.browser.wait_for_element("#profile-email").get_attribute("value") == account.email


def test_student_sees_not_allowed_on_admin_pages(page, make_user):
    student = make_user("student")
    make_user("student", username="someone-else")
    page.open("/login")
    page.sign_in(student.username, PASSWORD)
    page.wait_for_path("/")
    assert not page.driver.find_elements(By.ID, "shell-nav-users")
    page.open("/users")
    assert "Not allowed" in page.wait_for_text("#_pages_content", "Not allowed")
    assert "someone-else" not in page.driver.page_source
    page.screenshot("not-allowed")


def test_admin_deactivates_a_user_who_then_cannot_sign_in(page, make_user):
    admin = make_user("admin")
    student = make_user("student", username="leaving")
    page.open("/login")
    page.sign_in(admin.username, PASSWORD)
    page.wait_for_path("/")
    page.click("#shell-nav-admin")
    page.click("#shell-nav-users")
    page.wait_for_text("#users-table", "leaving")
    page.screenshot("users")
    toggle = '#users-row-leaving button[id*="users-active-toggle"]'
    page.browser.find_element(toggle).click()
    # Nothing changes on one click: a dialog says what will happen; Cancel leaves the account as it was.
    page.wait_for_text("#users-confirm-text", "signed out everywhere")
    page.click("#users-confirm-no")
    page.wait_for_text("#users-row-leaving", "active")
    assert "inactive" not in page.text("#users-row-leaving") and page.text("#users-message") == ""
    page.browser.find_element(toggle).click()
    page.wait_for_text("#users-confirm-text", "signed out everywhere")
    page.click("#users-confirm-yes")
    page.wait_for_text("#users-message", "leaving is now deactivated")
    page.wait_for_text("#users-row-leaving", "inactive")
    page.sign_out()
    page.sign_in(student.username, PASSWORD)
    assert "deactivated" in page.wait_for_text("#login-message", "deactivated")


def test_pages_load_nothing_from_other_hosts(page, make_user, live_server):
    admin = make_user("admin")
    seen: set[str] = set()
    for path in ("/login", "/register", "/about"):
        page.open(path)
        seen |= page.resource_hosts()
    page.open("/login")
    page.sign_in(admin.username, PASSWORD)
    page.wait_for_path("/")
    for path in ("/", "/profile", "/users", "/about", "/api/docs"):
        page.driver.get(live_server + path)
        page.browser.wait_for_element("body")
        seen |= page.resource_hosts()
    assert seen == {live_server}, seen


@pytest.mark.parametrize("encoded", ["/%5Cevil.example", "/%09/evil.example", "/%0A/evil.example"])
def test_sign_in_never_leaves_the_app(page, make_user, encoded):
    account = make_user()
    page.open(f"/login?next={encoded}")
    page.sign_in(account.username, PASSWORD)
    page.wait_for_path("/")
    # Already signed in: the login page sends the user on, still to this app only.
    page.driver.get(page.base_url + f"/login?next={encoded}")
    page.wait_for_path("/")
    assert page.driver.current_url.startswith(page.base_url)


def test_registration_shows_every_field_error_at_once(page):
    page.open("/register")
    page.fill("#register-username", "x")
    page.fill("#register-email", "nope")
    page.fill("#register-password", "password")
    page.fill("#register-confirm", "different")
    page.click("#register-submit")
    page.wait_for_text("#register-confirm-feedback", "differ")
    for field in ("username", "email", "password", "confirm"):
        element = page.browser.wait_for_element(f"#register-{field}")
        assert "is-invalid" in element.get_attribute("class"), field
        assert page.text(f"#register-{field}-feedback"), field
