"""What a person sees on the pages fixed for accessibility and clarity, at a desk (1280 px) and on a
phone (390 px), in headless Chromium against the live server."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from db.tutoring import CourseTutor
from tests.helpers import PASSWORD, scored_course

pytestmark = pytest.mark.browser
WIDTHS = (1280, 390)
SCORES = {7: (7, [0.2, 0.5, 0.8]), 14: (14, [0.1, 0.75, 0.9])}
ACTIVE = {0: range(0, 16), 1: [3], 2: []}


def _sign_in(page, account, width: int) -> None:
    page.driver.set_window_size(width, 900)
    page.open("/login")
    page.sign_in(account.username, PASSWORD)
    page.wait_for_path("/")


def _viewport(page) -> int:
    return page.driver.execute_script("return document.documentElement.clientWidth")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("role", ["student", "tutor"])
def test_profile_opens_without_saying_anything_was_saved(page, make_user, role, width):
    _sign_in(page, make_user(role), width)
    page.open("/profile")
    page.until(lambda: page.driver.find_elements(By.CSS_SELECTOR, "#profile-activity table"), "no activity")
    assert page.text("#profile-message") == ""
    page.fill("#profile-full-name", "A New Name")
    page.click("#profile-save")
    page.wait_for_text("#profile-message", "Your details were saved.")


@pytest.fixture
def course(app, make_user):
    """Course SEEN: its tutor, and a student linked to its learner L1; the learner's enrollment id."""
    tutor, student = make_user("tutor"), make_user("student")
    with app.app_context():
        row, ids = scored_course("SEEN", SCORES, ACTIVE)
        CourseTutor.create(course=row, user=tutor.id, assigned_by=tutor.id)
    linked = app.test_cli_runner().invoke(args=["link-learner", student.username, "SEEN", "SEEN-L1"])
    assert linked.exit_code == 0, linked.output
    return tutor, student, ids["SEEN-L1"]


@pytest.mark.parametrize("width", WIDTHS)
def test_a_students_enrollment_names_the_course_without_a_link_to_a_page_they_may_not_open(
    page, course, width
):
    _, student, enrollment = course
    _sign_in(page, student, width)
    page.open(f"/enrollment?id={enrollment}")
    page.wait_for_text("#enrollment-course", "SEEN")
    assert page.driver.find_element(By.ID, "enrollment-course").tag_name != "a"
    assert not page.driver.find_elements(By.CSS_SELECTOR, "#enrollment-header a")


def _reasons_on_screen(page) -> bool:
    return page.driver.execute_script(
        "const li = document.querySelector('#enrollment-risk li');"
        "if (!li) { return false; }"
        "const r = li.getBoundingClientRect(), width = document.documentElement.clientWidth;"
        "return r.left >= 0 && r.right <= width && r.width > 0"
        " && document.documentElement.scrollWidth <= width"
        " && li.closest('td').getBoundingClientRect().right <= width;"
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_a_tutor_reads_an_enrollments_reasons_on_screen(page, course, width):
    tutor, _, enrollment = course
    _sign_in(page, tutor, width)
    page.open(f"/enrollment?id={enrollment}")
    page.wait_for_text("#enrollment-risk", "reason 1 at 14")
    assert "Course" in page.text("#enrollment-header")
    assert page.driver.find_element(By.ID, "enrollment-course").tag_name == "a"
    page.until(lambda: _reasons_on_screen(page), f"the reasons are off-screen at {_viewport(page)} px")
    page.screenshot(f"enrollment-risk-{width}", "enrollment-risk")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_outcomes_report_says_where_outcomes_come_from_in_the_product(page, course, make_user, width):
    tutor, _, _ = course
    _sign_in(page, tutor, width)
    page.open("/course-outcomes?code=SEEN")
    told = page.wait_for_text("#course-outcomes-message", "No outcomes are known")
    assert "flask" not in told and "an administrator uploads them on the Data page" in told
    assert not page.driver.find_elements(By.ID, "course-outcomes-upload-link")  # the Data page is not theirs
    page.driver.delete_all_cookies()  # signed out (on a phone the button sits in the collapsed menu)
    _sign_in(page, make_user("admin"), width)
    page.open("/course-outcomes?code=SEEN")
    page.wait_for_text("#course-outcomes-message", "No outcomes are known")
    page.click("#course-outcomes-upload-link")
    page.wait_for_path("/data")


@pytest.mark.parametrize("width", WIDTHS)
def test_an_administrators_home_shows_the_early_warning_model_and_its_figures(
    page, app, make_user, active_models, width
):
    from services.early_warning import training
    from tests.helpers import insert_courses

    with app.app_context():
        insert_courses("home", number=3, signal=True)
        version = training.train(candidates=["spline_logistic"], checkpoints=(7, 14, 30), activate=True)
    _sign_in(page, make_user("admin"), width)
    card = page.wait_for_text("#home-early-warning", f"Version {version.version}")
    for day in ("7", "14", "30"):
        assert f"ROC AUC at day {day}: {version.metrics['auc_by_checkpoint'][day]:.3f}" in card
    page.screenshot(f"home-admin-{width}", "home-models")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_contact_page_gives_the_support_address_and_hours_from_the_footer_and_the_error_pages(
    page, app, make_user, monkeypatch, width
):
    monkeypatch.setitem(app.config, "SUPPORT_EMAIL", "help@campus.example")
    monkeypatch.setitem(app.config, "SUPPORT_HOURS", "weekdays 8:30 to 16:00")
    page.driver.set_window_size(width, 900)
    page.open("/no-such-page")
    page.wait_for_text("#_pages_content", "Page not found")
    page.click("#not-found-404-contact")
    page.wait_for_path("/contact")
    assert page.text("#contact-email") == "help@campus.example"
    assert (
        page.browser.wait_for_element("#contact-email").get_attribute("href") == "mailto:help@campus.example"
    )
    assert page.text("#contact-hours") == "weekdays 8:30 to 16:00"
    page.screenshot(f"contact-{width}")

    _sign_in(page, make_user("student"), width)
    page.open("/users")
    page.wait_for_text("#shell-not-allowed", "Not allowed")
    page.click("#shell-not-allowed-contact")
    page.wait_for_path("/contact")
    page.open("/profile")
    page.click("#shell-contact")  # the footer, under every page
    page.wait_for_path("/contact")
    page.wait_for_text("#contact-hours", "weekdays")


# Each drawn chart: [its id, title overlaps the toolbar, legend overlaps an axis title].
OVERLAPS = """
const meet = (a, b) => a && b && a.width > 0 && b.width > 0 && a.left < b.right && b.left < a.right
    && a.top < b.bottom && b.top < a.bottom;
const rect = (e) => (e ? e.getBoundingClientRect() : null);
return Array.from(document.querySelectorAll('.js-plotly-plot')).filter((g) => g.querySelector('.main-svg'))
  .map((g) => {
    const toolbar = rect(g.querySelector('.modebar'));
    const legend = rect(g.querySelector('.legend'));
    const titles = Array.from(g.querySelectorAll('.xtitle, .ytitle')).map(rect);
    return [g.parentElement.id || g.closest('[id]').id, meet(rect(g.querySelector('.gtitle')), toolbar),
            titles.some((t) => meet(legend, t))];
  });
"""


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", ["/models", "/analytics"])
def test_chart_titles_clear_the_toolbar_and_legends_clear_the_axis_titles(
    page, make_user, active_models, path, width
):
    _sign_in(page, make_user("admin"), width)
    page.open(path)
    page.until(lambda: len(page.driver.execute_script(OVERLAPS)) >= 3, f"no charts drawn on {path}")
    page.until(
        lambda: not page.driver.find_elements(By.CSS_SELECTOR, "[data-dash-is-loading='true']"), "busy"
    )
    charts = page.driver.execute_script(OVERLAPS)
    assert [c[0] for c in charts if c[1]] == [], "titles under the toolbar"
    assert [c[0] for c in charts if c[2]] == [], "legends over axis titles"
    page.screenshot(f"charts{path.replace('/', '-')}-{width}")
