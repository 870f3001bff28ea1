"""The Course page's at-risk list as a person uses it: from the keyboard alone, and what they see at a
desk (1280 px) and on a phone (390 px), in headless Chromium against the live server."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from db.tables import User
from db.tutoring import CourseTutor
from tests.helpers import PASSWORD, scored_course

pytestmark = pytest.mark.browser
LONG_REF = "KB-L1-a-learner-reference-as-long-as-a-platform-makes-it"
SCORES = {7: (7, [0.2, 0.5, 0.8, 0.3]), 14: (14, [0.1, 0.75, 0.9, 0.305])}
ACTIVE = {0: range(0, 16), 1: [3], 2: [], 3: [5, 18]}
WIDTHS = (1280, 390)


@pytest.fixture
def tutor(app, make_user):
    """A tutor of course KB, whose learner L1 has a long reference."""
    from db.courses import Enrollment

    account = make_user("tutor")
    with app.app_context():
        course, ids = scored_course("KB", SCORES, ACTIVE)
        Enrollment.update(learner_ref=LONG_REF).where(Enrollment.id == ids["KB-L1"]).execute()
        CourseTutor.create(course=course, user=User.get_by_id(account.id), assigned_by=account.id)
    return account, ids


def _open_course(page, account, width: int) -> None:
    page.driver.set_window_size(width, 900)
    page.open("/login")
    page.sign_in(account.username, PASSWORD)
    page.wait_for_path("/")
    page.open("/course?code=KB")
    page.wait_for_text("#course-count", "4 of 4 enrollments")
    page.until(lambda: _focused_row_ids(page) or _rows(page), "the list never loaded")


def _rows(page) -> list[str]:
    return page.driver.execute_script(
        "return Array.from(document.querySelectorAll('#course-grid .ag-center-cols-container .ag-row'))"
        ".sort((a, b) => Number(a.getAttribute('row-index')) - Number(b.getAttribute('row-index')))"
        ".map((r) => r.getAttribute('row-id'))"
    )


def _focused_row_ids(page) -> str | None:
    return page.driver.execute_script(
        "const row = document.activeElement && document.activeElement.closest('#course-grid .ag-row');"
        "return row ? row.getAttribute('row-id') : null;"
    )


def _active_id(page) -> str:
    return page.driver.execute_script("return document.activeElement ? document.activeElement.id : ''")


def _press(page, *keys: str) -> None:
    ActionChains(page.driver).send_keys(*keys).perform()


def _tab_until(page, reached, backwards: bool = False, limit: int = 150) -> None:
    """Tab (or Shift+Tab) until `reached()`; fails after `limit` presses."""
    for _ in range(limit):
        if reached():
            return
        if backwards:
            ActionChains(page.driver).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
        else:
            _press(page, Keys.TAB)
    raise AssertionError(f"never reached by Tab; focus is on {_active_id(page)!r}")


def _cell(page, enrollment: int, column: str) -> str:
    found = page.driver.find_elements(By.CSS_SELECTOR, f".ag-row[row-id='{enrollment}'] [col-id='{column}']")
    return found[0].text if found else ""


def test_with_keys_only_a_tutor_selects_a_learner_and_records_an_action(page, tutor):
    account, ids = tutor
    _open_course(page, account, 1280)
    target = str(ids["KB-L3"])
    page.driver.execute_script("document.activeElement && document.activeElement.blur()")
    # Into the list, down to the learner's row, Space to select it.
    _tab_until(page, lambda: _focused_row_ids(page) is not None or "ag-header" in _focus_class(page))
    for _ in range(10):
        if _focused_row_ids(page) == target:
            break
        _press(page, Keys.ARROW_DOWN)
    assert _focused_row_ids(page) == target, _rows(page)
    _press(page, Keys.SPACE)
    page.wait_for_text("#course-selected", "1 selected")
    # Back to the action bar: the note, then Record for selected with Enter.
    _tab_until(page, lambda: _active_id(page) == "course-action-note", backwards=True)
    _press(page, "Phoned from the keyboard")
    _tab_until(page, lambda: _active_id(page) == "course-action-record")
    _press(page, Keys.ENTER)
    page.wait_for_text("#course-message", "for 1 learner")
    expected = f"Contacted (email) by {account.username}"
    page.until(lambda: _cell(page, int(target), "last_action").startswith(expected), "no last action shown")


def _focus_class(page) -> str:
    return page.driver.execute_script(
        "return document.activeElement ? String(document.activeElement.className) : ''"
    )


def _inactive_days(page) -> list[int]:
    values = page.driver.execute_script(
        "return Array.from(document.querySelectorAll('#course-grid .ag-center-cols-container .ag-row'))"
        ".sort((a, b) => Number(a.getAttribute('row-index')) - Number(b.getAttribute('row-index')))"
        ".map((r) => r.querySelector('[col-id=\"inactive\"]').innerText.trim())"
    )
    return [int(v) for v in values if v.isdigit()]


def _learner_cut(page, enrollment: int) -> bool:
    """Whether the learner's cell hides part of its reference (cut off or behind an ellipsis)."""
    return page.driver.execute_script(
        "const c = document.querySelector(`.ag-row[row-id='${arguments[0]}'] [col-id='learner']`);"
        "if (!c) { return true; }"
        # On screen first: the grid draws no text for what is scrolled out of the window.
        "c.scrollIntoView({block: 'center'});"
        "const link = c.querySelector('a');"
        "return c.scrollWidth > c.clientWidth + 1 || c.scrollHeight > c.clientHeight + 1"
        " || link.innerText.trim() !== arguments[1];",
        enrollment,
        LONG_REF,
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_the_at_risk_list_shows_whole_references_selects_all_clears_the_note_and_sorts_longest_idle_first(
    page, tutor, width
):
    account, ids = tutor
    _open_course(page, account, width)
    page.until(lambda: not _learner_cut(page, ids["KB-L1"]), "the long learner reference is cut off")
    page.screenshot(f"course-at-risk-{width}", "course-count")

    # On a phone the column is scrolled to, as a person swipes the list sideways.
    page.driver.execute_script(
        "window.dash_ag_grid.getApiAsync('course-grid').then((api) => api.ensureColumnVisible('inactive'))"
    )
    page.click(".ag-header-cell[col-id='inactive'] .ag-header-cell-label")
    page.until(
        lambda: (days := _inactive_days(page)) and days == sorted(days, reverse=True), "not longest first"
    )

    page.click("#course-select-all")
    page.wait_for_text("#course-selected", "4 selected")
    page.fill("#course-action-note", "Emailed the whole list")
    page.click("#course-action-record")
    page.wait_for_text("#course-message", "for 4 learners")
    page.until(lambda: page.value("#course-action-note") == "", "the note stayed for the next learners")
    page.wait_for_text("#course-selected", "0 selected")
