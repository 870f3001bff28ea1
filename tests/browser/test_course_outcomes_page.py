"""The outcomes report page as an administrator opens it (headless Chromium, live server): the figures
worked out by hand in tests/outcomes_data.py, rendered."""

from __future__ import annotations

import pytest

from tests.helpers import PASSWORD
from tests.outcomes_data import outcomes_course

browser = pytest.mark.browser


def _rows(page, table_id: str) -> list[str]:
    """The table's rows as a person reads them, once it has any (read again if Dash re-renders it)."""
    selector = f"#{table_id} tbody tr"
    return page.until(
        lambda: [row.text for row in page.driver.find_elements("css selector", selector)], f"no {selector}"
    )


@browser
def test_an_admin_reads_the_outcomes_report_of_a_course(page, app, make_user):
    code, versions = outcomes_course(app, "OUT/2")  # a platform code with a slash
    admin = make_user("admin")
    page.open("/login")
    page.sign_in(admin.username, PASSWORD)
    page.wait_for_path("/")
    page.open("/course-outcomes?code=OUT%2F2")
    page.wait_for_text("#course-outcomes-page", "Outcomes report: OUT/2")
    assert "known for 10 of 11 enrollments" in page.text("#course-outcomes-message")

    assert _rows(page, "course-outcomes-checkpoints") == [
        "Day 7 10 10 3 27.3% 2 66.7% 50.0% 40.0% 1.67×",
        "Day 14 14 10 4 45.5% 3 75.0% 75.0% 40.0% 1.88×",
    ]
    page.browser.wait_for_element("#course-outcomes-chart .js-plotly-plot")
    chart = page.driver.execute_script(
        "const g = document.querySelector('#course-outcomes-chart .js-plotly-plot');"
        "return g.data.map(t => [t.name, t.x, t.y]);"
    )
    assert chart[0][:2] == ["Precision", ["day 7", "day 14"]]
    assert chart[0][2] == pytest.approx([2 / 3, 0.75])
    assert chart[1][0] == "Recall" and chart[1][2] == pytest.approx([0.5, 0.75])

    assert _rows(page, "course-outcomes-contacts") == [
        "Contacted 3 1 33.3% 1",
        "Not contacted 5 2 40.0% 0",
    ]
    assert "observation, not a causal effect" in page.text("#course-outcomes-contact-note")
    assert _rows(page, "course-outcomes-nudges") == [
        "Nudged (emailed) 4 2 50.0% 1",
        "Held back at random 3 1 33.3% 0",
    ]
    assert page.text("#course-outcomes-nudges-verdict").startswith(
        "Too few learners to tell: 4 against 3 with a known outcome (95% interval −41.1 to +61.0 points)"
    )
    v1, v2 = (f"v{version.version}" for version in versions)
    assert _rows(page, "course-outcomes-versions") == [f"{v1} 7 2 1 2 28.6%", f"{v2} 5 0 1 1 20.0%"]
    back = page.browser.wait_for_element("#course-outcomes-back")
    assert back.get_attribute("href").endswith("/course?code=OUT%2F2")
    page.screenshot("course-outcomes", "course-outcomes-page")


@browser
def test_a_course_without_outcomes_says_so_on_the_page(page, app, make_user):
    import numpy as np

    from tests.helpers import store_course

    with app.app_context():
        store_course("NOOUT", np.zeros((2, 30, 7), dtype=int))
    admin = make_user("admin")
    page.open("/login")
    page.sign_in(admin.username, PASSWORD)
    page.wait_for_path("/")
    page.open("/course-outcomes?code=NOOUT")
    page.wait_for_text("#course-outcomes-message", "No outcomes are known for this course yet")


@browser
@pytest.mark.parametrize("width", (1280, 390))
def test_a_tutor_reads_whether_nudging_helped_across_their_courses(page, app, make_user, width):
    from db.tutoring import CourseTutor
    from tests.browser import axe

    source = axe.script()
    code, _versions = outcomes_course(app, "OUT/3")
    tutor = make_user("tutor")
    with app.app_context():
        from db.courses import Course

        CourseTutor.create(course=Course.by_code(code).id, user=tutor.id)
    page.driver.set_window_size(width, 900)
    page.open("/login")
    page.sign_in(tutor.username, PASSWORD)
    page.wait_for_path("/")
    page.open("/course-outcomes?code=OUT%2F3")
    page.wait_for_text("#course-outcomes-page", "Outcomes report: OUT/3")
    page.click("#course-outcomes-across")
    page.wait_for_text("#course-outcomes-page", "Did nudging help?")
    rows = _rows(page, "course-outcomes-across-table")
    assert rows[0] == "OUT/3 4 · 50.0% 3 · 33.3% +16.7 (−41.1 to +61.0) Too few to tell"
    assert rows[1].startswith("All courses 4 · 50.0% 3 · 33.3% +16.7") and rows[1].endswith("Too few to tell")
    assert page.text("#course-outcomes-across-verdict").startswith("Too few learners to tell: 4 against 3")
    fits = page.driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    assert fits, f"the page scrolls sideways at {width} px"
    found = axe.violations(page, source)
    assert not found, axe.describe(found)
    page.screenshot(f"nudge-outcomes-{width}", "course-outcomes-across-table")
    page.click("#course-outcomes-why")
    page.wait_for_path("/about#about-contacting")
    told = page.wait_for_text("#about-contacting", "Randomisation removes the choice")
    assert "Tutors choose whom to contact" in told
