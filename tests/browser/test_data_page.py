"""The Data page as an administrator uses it: create a platform's API key (shown once), see it listed,
revoke it after a confirmation; a student gets "Not allowed" and no key."""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from db.api_keys import ApiKey
from services import api_keys
from tests.helpers import PASSWORD, assert_error

browser = pytest.mark.browser
PUSH = "/api/v1/activity"
EVENT = {"enrollment_id": "E1", "course_id": "DEMO-C1", "time": "2024-03-01T10:00:00Z", "event": "video"}


def _sign_in(page, account) -> None:
    page.open("/login")
    page.sign_in(account.username, PASSWORD)
    page.wait_for_path("/")


@browser
def test_admin_creates_sees_once_and_revokes_a_key(page, app, client, make_user):
    _sign_in(page, make_user("admin"))
    page.click("#shell-nav-admin")
    page.click("#shell-nav-data")
    page.wait_for_path("/data")
    page.wait_for_text("#data-keys-table", "No API key yet")
    page.fill("#data-key-name", "moodle nightly")
    page.click("#data-key-create")
    page.wait_for_text("#data-key-name-feedback", "letters, digits")
    page.fill("#data-key-name", "moodle-nightly")
    page.fill("#data-key-courses", "DEMO-*, BIO-101")
    page.click('#data-key-limits input[value="may_create_courses"]')
    page.click("#data-key-create")
    shown = page.wait_for_text("#data-key-secret", "shown only once")
    (secret,) = re.findall(r"ssa_[0-9a-f]{8}_[\w-]+", shown)
    assert page.text("#data-key-lrs-user") == secret.split("_")[1]  # the LRS user name: the key's prefix
    page.wait_for_text("#data-key-row-moodle-nightly", "active")
    assert page.text("#data-key-row-moodle-nightly td:nth-child(6)") == "never"
    row = page.text("#data-key-row-moodle-nightly")
    assert "ingest" in row and secret not in row and secret.split("_")[1] in row
    assert "DEMO-*, BIO-101; creates courses" in row
    page.screenshot("data-api-keys")
    console = [entry["message"] for entry in page.driver.get_log("browser")]
    assert not [message for message in console if "Content Security Policy" in message], console
    pushed = client.post(PUSH, json={"events": [EVENT]}, headers={"X-API-Key": secret})
    assert (pushed.status_code, pushed.json["accepted"]) == (200, 1), pushed.json

    page.open("/data")  # a fresh visit never shows the secret again, and the use is listed
    page.wait_for_text("#data-key-row-moodle-nightly", "UTC")
    assert secret not in page.driver.page_source
    assert page.text("#data-key-row-moodle-nightly td:nth-child(6)").endswith("UTC")  # last used

    page.click('#data-key-row-moodle-nightly button[id*="data-key-revoke"]')
    page.wait_for_text("#data-keys-confirm-text", "moodle-nightly stops working")
    page.click("#data-keys-confirm-no")
    WebDriverWait(page.driver, 10).until(
        lambda d: not d.find_elements(By.CSS_SELECTOR, "#data-keys-confirm.show")
    )
    assert_error(client.post(PUSH, json={"events": []}, headers={"X-API-Key": secret}), 422)
    page.click('#data-key-row-moodle-nightly button[id*="data-key-revoke"]')
    page.wait_for_text("#data-keys-confirm-text", "moodle-nightly stops working")
    page.click("#data-keys-confirm-yes")
    page.wait_for_text("#data-keys-message", "Key moodle-nightly revoked")
    page.wait_for_text("#data-key-row-moodle-nightly", "revoked")
    assert not page.driver.find_elements(By.CSS_SELECTOR, "#data-key-row-moodle-nightly button")
    assert_error(client.post(PUSH, json={"events": [EVENT]}, headers={"X-API-Key": secret}), 401)


@browser
def test_student_gets_not_allowed_on_the_data_page(page, app, make_user):
    with app.app_context():
        api_keys.create("secret-platform", "ingest")
    _sign_in(page, make_user("student"))
    assert not page.driver.find_elements(By.ID, "shell-nav-data")
    page.open("/data")
    assert "Not allowed" in page.wait_for_text("#_pages_content", "Not allowed")
    assert "secret-platform" not in page.driver.page_source


def test_student_cannot_create_or_revoke_through_the_callbacks(app, client, make_user):
    """The Data page's callbacks refuse a student even when called directly."""
    student = make_user()
    client.post("/api/v1/auth/login", json=student.login_json())
    csrf = client.get_cookie("csrf_access_token").value
    outputs = [
        ("data-key-secret", "children"),
        ("data-key-name", "invalid"),
        ("data-key-name-feedback", "children"),
        ("data-key-name", "value"),
        ("data-keys-version", "data"),
    ]
    body = {  # the create callback exactly as the page registers it (an unknown callback is a 400)
        "output": "".join(f"..{i}.{p}." for i, p in outputs) + ".",
        "outputs": [{"id": i, "property": p} for i, p in outputs],
        "inputs": [{"id": "data-key-create", "property": "n_clicks", "value": 1}],
        "state": [
            {"id": "data-key-name", "property": "value", "value": "sneaky"},
            {"id": "data-key-scope", "property": "value", "value": "ingest"},
            {"id": "data-key-courses", "property": "value", "value": ""},
            {"id": "data-key-limits", "property": "value", "value": ["may_create_courses"]},
            {"id": "data-keys-version", "property": "data", "value": 0},
        ],
        "changedPropIds": ["data-key-create.n_clicks"],
    }
    assert_error(client.post("/_dash-update-component", json=body, headers={"X-CSRF-TOKEN": csrf}), 403)
    with app.app_context():
        assert ApiKey.by_name("sneaky") is None
