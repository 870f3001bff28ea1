"""The Data page's nudge cards as an administrator uses them: a contacts CSV with bad rows stores the
good ones and lists each bad one with its line; a template with an unknown placeholder is refused with
the field named, a good edit is saved."""

from __future__ import annotations

import numpy as np
import pytest
from selenium.webdriver.support.ui import Select

from db.nudges import LearnerContact, NudgeTemplate
from tests.helpers import PASSWORD, store_course
from tests.nudges_data import seed_templates

browser = pytest.mark.browser


def _sign_in_to_data(page, account) -> None:
    page.open("/login")
    page.sign_in(account.username, PASSWORD)
    page.wait_for_path("/")
    page.open("/data")


@browser
def test_admin_imports_contacts_and_reads_each_rejected_line(page, app, make_user, tmp_path):
    admin = make_user("admin")
    with app.app_context():
        store_course("DC", np.ones((2, 5, 7), dtype=int), days=5)
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(
        "learner_ref,email,name\nDC-L0,ada@example.org,Ada\nDC-L1,oops,Bob\nGHOST,g@example.org,\n"
    )
    _sign_in_to_data(page, admin)
    page.browser.wait_for_element("#data-contacts-upload input[type=file]").send_keys(str(contacts))
    page.wait_for_text("#data-contacts-filename", "contacts.csv")
    page.click("#data-contacts-submit")
    shown = page.wait_for_text("#data-contacts-result", "1 contacts stored from 3 rows; 2 rejected.")
    assert "Line 3: invalid email: 'oops'" in shown
    assert "Line 4: unknown learner: 'GHOST' is in no course" in shown
    with app.app_context():
        assert [row.email for row in LearnerContact.select()] == ["ada@example.org"]


@browser
def test_admin_edits_a_template_and_an_unknown_placeholder_is_refused(page, app, make_user):
    admin = make_user("admin")
    with app.app_context():
        seed_templates()
        first = NudgeTemplate.select().order_by(NudgeTemplate.name).first()
    _sign_in_to_data(page, admin)
    Select(page.browser.wait_for_element("#data-templates-pick")).select_by_value(str(first.id))
    page.until(lambda: page.value("#data-templates-name") == first.name, "the template is not shown")
    page.fill("#data-templates-subject", "Hello {firstname}")
    page.click("#data-templates-save")
    refused = page.wait_for_text("#data-templates-message", "subject: Unknown placeholder {firstname}")
    assert "{name}, {course}, {days_inactive}, {link}" in refused
    page.fill("#data-templates-subject", "Back to {course}, {name}?")
    page.click("#data-templates-save")
    page.wait_for_text("#data-templates-message", f"Saved “{first.name}”.")
    with app.app_context():
        assert NudgeTemplate.get_by_id(first.id).subject == "Back to {course}, {name}?"
