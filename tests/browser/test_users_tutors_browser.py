"""The Users page as an administrator runs tutoring: make a student a tutor, choose the tutor's courses
in a multi-select, see them listed on the tutor's row; the tutor then reaches exactly those courses."""

from __future__ import annotations

from datetime import date

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.helpers import PASSWORD

browser = pytest.mark.browser


def _choose(page, code: str) -> None:
    """Open the multi-select and pick a course code, as a person does."""
    page.click("#users-courses-select")
    WebDriverWait(page.driver, 10).until(lambda d: _option(d, code) is not None, message=f"no option {code}")
    _option(page.driver, code).click()
    page.click("#users-courses-title")  # closes the list, not the dialog (Escape would)


def _option(driver, text: str):
    found = [o for o in driver.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option") if o.text == text]
    return found[0] if found else None


@browser
def test_admin_makes_a_tutor_and_assigns_courses_on_the_users_page(page, app, client, make_user):
    from db.courses import Course

    admin = make_user("admin")
    make_user("student", username="tina")
    with app.app_context():
        for code in ("BIO-101", "CHEM-201", "PHYS-301"):
            Course.create(code=code, title=code, start_date=date(2024, 3, 4))
    page.open("/login")
    page.sign_in(admin.username, PASSWORD)
    page.wait_for_path("/")
    page.open("/users")
    page.wait_for_text("#users-table", "tina")
    page.browser.find_element('#users-row-tina button[id*="\\"role\\":\\"tutor\\""]').click()
    page.wait_for_text("#users-confirm-text", "tina will become a tutor")
    page.click("#users-confirm-yes")
    page.wait_for_text("#users-message", "tina is now a tutor")
    page.wait_for_text("#users-courses-tina", "none")

    page.click('#users-courses-tina button[id*="users-courses-open"]')
    page.wait_for_text("#users-courses-title", "Courses tina tutors")
    _choose(page, "BIO-101")
    _choose(page, "PHYS-301")
    page.click("#users-courses-save")
    page.wait_for_text("#users-message", "tina now tutors BIO-101, PHYS-301")
    listed = page.wait_for_text("#users-courses-tina", "PHYS-301")
    assert "BIO-101" in listed and "CHEM-201" not in listed
    page.screenshot("users-tutor-courses")

    login = client.post("/api/v1/auth/login", json={"username": "tina", "password": PASSWORD}).json
    headers = {"Authorization": f"Bearer {login['access_token']}"}
    codes = [course["code"] for course in client.get("/api/v1/courses", headers=headers).json["items"]]
    assert codes == ["BIO-101", "PHYS-301"]
