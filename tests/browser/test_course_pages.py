"""The Courses and Course pages as a tutor uses them (headless Chromium against the live server): only
their courses listed, a bulk action shown as the learners' last action, the export of what is shown."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from db.courses import Course
from db.early_warning import EnrollmentPrediction
from db.tables import User
from db.tutoring import CourseTutor
from tests.helpers import PASSWORD, assert_error, early_warning_version, scored_course
from tests.segments_data import segmented_course

browser = pytest.mark.browser
# Learners L0..L3 at two checkpoints: at day 14, L1 and L2 are High, L0 and L3 Low.
SCORES = {7: (7, [0.2, 0.5, 0.8, 0.3]), 14: (14, [0.1, 0.75, 0.9, 0.305])}
ACTIVE = {0: range(0, 16), 1: [3], 2: [], 3: [5, 18]}


@pytest.fixture
def courses(app, make_user):
    """A tutor of course MINE (with a slash-free code) and of nothing else; THEIRS is another course."""
    admin = make_user("admin")
    tutor = make_user("tutor")
    with app.app_context():
        mine, ids = scored_course("MINE", SCORES, ACTIVE)
        scored_course("THEIRS", SCORES, ACTIVE)
        CourseTutor.create(course=mine, user=User.get_by_id(tutor.id), assigned_by=admin.id)
    return tutor, ids


def _sign_in(page, account) -> None:
    page.open("/login")
    page.sign_in(account.username, PASSWORD)
    page.wait_for_path("/")


def _wait(page, condition, message: str):
    return page.until(condition, message)  # the suite's one patience (WAIT), sized for a busy machine


def _cell(page, enrollment: int, column: str) -> str:
    found = page.driver.find_elements(By.CSS_SELECTOR, f".ag-row[row-id='{enrollment}'] [col-id='{column}']")
    try:
        return found[0].text if found else ""
    except Exception:  # re-rendered meanwhile: read again next time
        return ""


def _shown_learners(page) -> list[str]:
    """The learner column's cells, top to bottom, as the grid draws them."""
    return page.driver.execute_script(
        "return Array.from(document.querySelectorAll('#course-grid .ag-center-cols-container .ag-row'))"
        ".sort((a, b) => Number(a.getAttribute('row-index')) - Number(b.getAttribute('row-index')))"
        ".map(r => r.querySelector('[col-id=\"learner\"]').innerText.trim())"
    )


@browser
def test_a_tutor_sees_only_their_courses_and_a_student_is_not_allowed(page, courses, make_user):
    tutor, _ = courses
    _sign_in(page, tutor)
    page.click("#shell-nav-courses")
    page.wait_for_path("/courses")
    listed = page.wait_for_text("#courses-list", "MINE")
    assert "THEIRS" not in listed
    assert "50%" in listed and "+25 pp" in listed  # share at High at day 14 and its change from day 7
    page.screenshot("courses-page")
    page.fill("#courses-search", "nothing like it\n")
    page.wait_for_text("#courses-empty", "No course matches")
    page.sign_out()
    student = make_user("student")
    _sign_in(page, student)
    page.open("/courses")
    assert "Not allowed" in page.text("#shell-not-allowed")
    assert not page.driver.find_elements(By.ID, "courses-list")
    page.open("/course?code=MINE")
    assert "Not allowed" in page.text("#shell-not-allowed")


@browser
def test_a_bulk_action_shows_as_last_action_in_the_list_the_export_and_the_enrollment_page(page, courses):
    tutor, ids = courses
    _sign_in(page, tutor)
    page.open("/course?code=THEIRS")
    assert "No such course" in page.text("#course-missing")
    page.open("/courses")
    page.click("#courses-list a[href='/course?code=MINE']")
    page.wait_for_text("#course-count", "4 of 4 enrollments at day 14")
    first, second = ids["MINE-L1"], ids["MINE-L3"]
    _wait(page, lambda: _cell(page, first, "change").startswith("▲ +25.0 pp"), "no change shown")
    assert _cell(page, second, "inactive") == "9"
    link = page.driver.find_element(By.CSS_SELECTOR, f".ag-row[row-id='{first}'] a.course-learner-link")
    assert link.get_attribute("href").endswith(f"/enrollment?id={first}")
    for enrollment in (first, second):
        page.click(f".ag-row[row-id='{enrollment}'] input.ag-checkbox-input")
    page.wait_for_text("#course-selected", "2 selected")
    Select(page.browser.wait_for_element("#course-action-kind")).select_by_value("contacted")
    Select(page.browser.wait_for_element("#course-action-channel")).select_by_value("phone")
    page.fill("#course-action-note", "Called about week 2")
    page.click("#course-action-record")
    page.wait_for_text("#course-message", "Recorded “Contacted” for 2 learners")
    expected = f"Contacted (phone) by {tutor.username}"
    for enrollment in (first, second):
        _wait(page, lambda e=enrollment: _cell(page, e, "last_action").startswith(expected), "no last action")
    assert _cell(page, ids["MINE-L0"], "last_action") == ""
    page.screenshot("course-page")
    page.screenshot("course-at-risk-list", "course-count")
    exported = {row[0]: row for row in _export(page, "MINE")[1:]}
    assert exported["MINE-L1"][-1].startswith(expected) and exported["MINE-L3"][-1].startswith(expected)
    assert exported["MINE-L0"][-1] == ""
    page.click(f".ag-row[row-id='{first}'] a.course-learner-link")
    log = page.wait_for_text("#enrollment-actions", "Called about week 2")
    assert "Contacted" in log and tutor.username in log


def _export(page, code: str) -> list[list[str]]:
    """Click Export CSV and read the file the browser downloaded."""
    path = Path(page.browser.download_path) / f"at-risk-{code}.csv"
    path.unlink(missing_ok=True)
    page.click("#course-export")
    _wait(page, lambda: path.is_file() and path.stat().st_size > 0, "the CSV was not downloaded")
    time.sleep(0.3)
    return list(csv.reader(path.open(encoding="utf-8")))


@browser
def test_the_export_holds_exactly_the_filtered_rows_in_the_order_shown(page, courses):
    tutor, _ = courses
    _sign_in(page, tutor)
    page.open("/course?code=MINE")
    page.wait_for_text("#course-count", "4 of 4")
    Select(page.browser.wait_for_element("#course-risk-level")).select_by_value("High")
    page.wait_for_text("#course-count", "2 of 4")
    page.click(".ag-header-cell[col-id='probability'] .ag-header-cell-label")  # sort: highest first
    page.click(".ag-header-cell[col-id='probability'] .ag-header-cell-label")  # then lowest first
    _wait(page, lambda: _shown_learners(page) == ["MINE-L1", "MINE-L2"], "not sorted lowest first")
    rows = _export(page, "MINE")
    # The checkbox column's header ("Select") is for screen readers only: no column of the file.
    shown = "#course-grid .ag-header-cell:not([col-id='ag-Grid-SelectionColumn']) .ag-header-cell-text"
    headers = [h.text for h in page.driver.find_elements(By.CSS_SELECTOR, shown) if h.text]
    assert rows[0] == headers
    assert [row[0] for row in rows[1:]] == _shown_learners(page) == ["MINE-L1", "MINE-L2"]
    # Stored without a segment or rank (written by hand here): their cells are empty.
    assert rows[1][1:7] == ["75.0%", "", "High", "", "50% → 75%", "▲ +25.0 pp"]


def _rows_call(code: str) -> dict:
    """The grid's rows callback as Dash's renderer posts it."""
    return {
        "output": "..course-grid.getRowsResponse...course-count.children..",
        "outputs": [
            {"id": "course-grid", "property": "getRowsResponse"},
            {"id": "course-count", "property": "children"},
        ],
        "inputs": [
            {"id": "course-grid", "property": "getRowsRequest", "value": {"startRow": 0, "endRow": 100}}
        ],
        "state": [
            {"id": "course-filters", "property": "data", "value": {}},
            {"id": "course-code", "property": "data", "value": code},
        ],
        "changedPropIds": ["course-grid.getRowsRequest"],
    }


def _signed_in(app, client, account) -> dict[str, str]:
    """Sign `account` in on `client` with the session cookies the sign-in sets (issued directly, without
    the sign-in form); returns the CSRF header a callback sends."""
    from flask_jwt_extended import get_csrf_token

    from server.security import issue_tokens

    with app.app_context():
        token = issue_tokens(User.get_by_id(account.id))["access_token"]
        csrf = get_csrf_token(token)
    client.set_cookie("access_token_cookie", token)
    return {"X-CSRF-TOKEN": csrf}


def test_the_rows_callback_refuses_students_and_other_tutors_courses(app, client, courses, make_user):
    tutor, _ = courses
    headers = _signed_in(app, client, make_user("student"))
    refused = client.post("/_dash-update-component", json=_rows_call("MINE"), headers=headers)
    assert_error(refused, 403)
    headers = _signed_in(app, client, tutor)
    mine = client.post("/_dash-update-component", json=_rows_call("MINE"), headers=headers)
    assert mine.status_code == 200 and "MINE-L1" in mine.get_data(as_text=True)
    theirs = client.post("/_dash-update-component", json=_rows_call("THEIRS"), headers=headers)
    text = theirs.get_data(as_text=True)
    assert theirs.status_code == 200 and "THEIRS-L" not in text and "No course THEIRS" in text


@browser
def test_a_failed_last_scoring_says_so_on_the_course_page_as_on_the_courses_page(app, page, courses):
    tutor, ids = courses
    with app.app_context():
        run = EnrollmentPrediction.get(EnrollmentPrediction.enrollment == ids["MINE-L0"]).run
        run.finish("failed", "the early-warning model could not be loaded")
    _sign_in(page, tutor)
    page.open("/courses")
    listed = page.wait_for_text("#courses-list", "MINE")
    row = next(line for line in listed.splitlines() if line.startswith("MINE"))
    page.open("/course?code=MINE")
    shown = page.wait_for_text("#course-last-scoring", "(failed)")
    assert shown.endswith("UTC (failed)") and row.removesuffix(" Score now").endswith(shown)


def _learners_and_segments(page) -> list[tuple[str, str]]:
    """(learner, segment) of each row the grid draws, top to bottom; rows still being drawn left out."""
    rows = page.driver.execute_script(
        "return Array.from(document.querySelectorAll('#course-grid .ag-center-cols-container .ag-row'))"
        ".sort((a, b) => Number(a.getAttribute('row-index')) - Number(b.getAttribute('row-index')))"
        ".map(r => [r.querySelector('[col-id=\"learner\"]'), r.querySelector('[col-id=\"segment\"]')])"
        ".filter(([l, s]) => l && s).map(([l, s]) => [l.innerText.trim(), s.innerText.trim()])"
    )
    return [tuple(row) for row in rows]


@browser
def test_the_segment_filter_shows_only_that_segments_learners_and_what_it_suggests(app, page, make_user):
    early_warning_version(app)
    admin = make_user("admin")
    with app.app_context():
        segmented_course("SEGS")
    _sign_in(page, admin)
    page.open("/course?code=SEGS")
    page.wait_for_text("#course-count", "5 of 5 enrollments at day 14")
    legend = page.wait_for_text("#course-segments-legend", "Gone quiet")
    assert "Not started" in legend and "bulk nudge" in legend and "Contact personally" in legend
    _wait(page, lambda: len(_learners_and_segments(page)) == 5, "the five learners are not listed")
    assert sorted(_learners_and_segments(page)) == [
        ("SEGS-L0", "Not started"),
        ("SEGS-L1", "Gone quiet"),
        ("SEGS-L2", "Slipping"),
        ("SEGS-L3", "Steady"),
        ("SEGS-L4", "Steady"),
    ]
    Select(page.browser.wait_for_element("#course-segment")).select_by_value("gone_quiet")
    page.wait_for_text("#course-count", "1 of 5 enrollments")
    _wait(
        page,
        lambda: _learners_and_segments(page) == [("SEGS-L1", "Gone quiet")],
        "only the learner gone quiet should be listed",
    )
    Select(page.browser.wait_for_element("#course-segment")).select_by_value("steady")
    page.wait_for_text("#course-count", "2 of 5 enrollments")
    _wait(
        page,
        lambda: sorted(_learners_and_segments(page)) == [("SEGS-L3", "Steady"), ("SEGS-L4", "Steady")],
        "only the steady learners should be listed",
    )
    page.screenshot("course-segment-filter", "course-segments-legend")


@browser
def test_the_course_page_says_what_the_levels_mean_and_an_admin_sets_the_course_shares(app, page, courses):
    tutor, _ = courses
    _sign_in(page, tutor)
    page.open("/course?code=MINE")
    # Day 14: probabilities 10%, 75%, 90%, 30.5%; L1 and L2 at High.
    assert page.wait_for_text("#course-base-rate", "51%") == "51%"
    assert page.text("#course-high-rate") == "82% (2 learners)"
    assert page.text("#course-shares") == "High: riskiest 20%, Medium: next 30% (the deployment's)"
    assert not page.driver.find_elements(By.CSS_SELECTOR, "#course-share-control")  # a tutor's page
    page.sign_out()

    with app.app_context():
        admin = User.get(User.role == "admin")
    page.open("/login")
    page.sign_in(admin.username, PASSWORD)
    page.wait_for_path("/")
    page.open("/course?code=MINE")
    page.wait_for_text("#course-base-rate", "51%")
    page.fill("#course-share-high", "60")
    page.fill("#course-share-medium", "50")
    page.click("#course-share-save")
    page.wait_for_text("#course-share-message", "High and Medium together are 110%: at most 100%.")
    page.fill("#course-share-high", "10")
    page.fill("#course-share-medium", "30")
    page.click("#course-share-save")
    own = "High: riskiest 10%, Medium: next 30% (this course's own)"
    page.wait_for_text("#course-share-message", f"Saved: {own}")
    assert page.text("#course-shares") == own
    with app.app_context():
        assert Course.by_code("MINE").level_shares == [0.1, 0.3]
    page.open("/course?code=MINE")  # kept: the form shows the course's own shares
    assert page.until(lambda: page.value("#course-share-high") == "10", "the saved High share")
    page.click("#course-share-clear")
    page.wait_for_text("#course-shares", "High: riskiest 20%, Medium: next 30% (the deployment's)")
    with app.app_context():
        assert Course.by_code("MINE").level_shares is None



LONG_REASONS = [
    "not active yet in 14 days; the course median is 3 days",
    "no video events so far; the course median is 12",
    "active on 0 of the last 7 days; the course median is 4",
]
FAVOUR = ["first active on day 0 of the course; most learners were active on day 0"]


def _header(page, column: str) -> str:
    """A column's header text, the grid scrolled sideways to it (a narrow screen draws fewer columns)."""
    return page.driver.execute_script(
        # On screen first: the grid draws no text for what is scrolled out of the window.
        "document.getElementById('course-grid').scrollIntoView({block: 'center'});"
        "dash_ag_grid.getApi('course-grid').ensureColumnVisible(arguments[0]);"
        "const cell = document.querySelector(`#course-grid .ag-header-cell[col-id='${arguments[0]}']`);"
        "return cell ? cell.innerText.trim() : '';",
        column,
    )


def _reason_cell_fits(page, enrollment: int, column: str) -> bool:
    """Whether the cell shows all of its text: scrolled into view, nothing cut off at its side or foot."""
    return page.driver.execute_script(
        "const api = dash_ag_grid.getApi('course-grid'); api.ensureColumnVisible(arguments[1]);"
        "const cell = document.querySelector(`.ag-row[row-id='${arguments[0]}'] [col-id='${arguments[1]}']`);"
        "if (!cell) return false;"
        "const value = cell.querySelector('.ag-cell-value') || cell;"
        "const row = cell.closest('.ag-row').getBoundingClientRect(), box = value.getBoundingClientRect();"
        "return value.scrollWidth <= value.clientWidth + 1 && value.scrollHeight <= value.clientHeight + 1"
        " && box.bottom <= row.bottom + 1 && box.height > 0;",
        enrollment,
        column,
    )


@browser
@pytest.mark.parametrize("width", [1280, 390])
def test_the_reasons_read_in_full_without_hovering(page, courses, app, width):
    """Long reasons wrap and their row grows: every word is on the screen at a desktop and a phone width,
    the reasons for the risk and what is in the learner's favour in their own labelled columns."""
    tutor, ids = courses
    learner = ids["MINE-L2"]
    with app.app_context():
        EnrollmentPrediction.update(
            top_factors=[
                {"feature": "x", "contribution": 0.5, "direction": "raises", "text": t} for t in LONG_REASONS
            ],
            in_favour=[
                {"feature": "y", "contribution": -0.2, "direction": "lowers", "text": t} for t in FAVOUR
            ],
        ).where((EnrollmentPrediction.enrollment == learner) & (EnrollmentPrediction.day == 14)).execute()
    page.driver.set_window_size(width, 900)
    _sign_in(page, tutor)
    page.open("/course?code=MINE")
    page.wait_for_text("#course-count", "as of day 14")
    for column, header in (("reasons", "Reasons for the risk"), ("in_favour", "In their favour")):
        _wait(page, lambda c=column, h=header: _header(page, c) == h, f"no {header} column")
    full = "; ".join(LONG_REASONS)
    _wait(
        page,
        lambda: _cell(page, learner, "reasons").replace("\n", " ") == full,
        "the reasons are not all shown",
    )
    _wait(page, lambda: _reason_cell_fits(page, learner, "reasons"), f"the reasons are cut off at {width} px")
    _wait(
        page,
        lambda: _reason_cell_fits(page, learner, "in_favour"),
        f"'in their favour' is cut off at {width} px",
    )
    _wait(page, lambda: _cell(page, learner, "in_favour").replace("\n", " ") == FAVOUR[0],
          "'in their favour' does not read in full")
    page.screenshot(f"course-reasons-{width}", "course-grid")
