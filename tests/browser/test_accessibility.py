"""Every registered page, for every role, has no axe-core violation of any impact (headless Chromium
against the live server; one browser session per role, reused across the pages); the API docs
(Swagger UI's own markup) none serious or critical."""

from __future__ import annotations

import json
import os
from pathlib import Path

import dash
import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By

from db.tutoring import CourseTutor
from tests.browser import axe
from tests.helpers import PASSWORD, scored_course

pytestmark = pytest.mark.browser
RESULTS = Path(os.environ.get("AXE_RESULTS", Path(__file__).parents[2] / "instance" / "axe"))
ROLES = ("anonymous", "student", "tutor", "admin")
IMPACTS = ("critical", "serious", "moderate", "minor")
# A page drawn from a query string opens on the test's course or enrollment.
QUERIES = {"/course": "?code=A11Y", "/course-outcomes": "?code=A11Y", "/enrollment": "?id={enrollment}"}
SETTLED = (
    "return !document.querySelector('[data-dash-is-loading=\"true\"]')"
    " && document.querySelectorAll('#_pages_content h1').length === 1"
    " && Array.from(document.querySelectorAll('.dash-graph'))"
    ".every((g) => g.querySelector('.main-svg'))"
)

# Charts and grids a screen reader announces by name (a chart's title, a grid's heading).
NAMELESS = (
    'return Array.from(document.querySelectorAll(\'.dash-graph, [role="grid"], [role="treegrid"]\'))'
    ".filter((e) => !(e.getAttribute('aria-label') || '').trim()).map((e) => e.id || e.className)"
)
STATE = (
    "return {text: document.querySelector('#_pages_content').innerText.slice(0, 300),"
    " h1: Array.from(document.querySelectorAll('h1')).map((h) => h.parentElement.outerHTML.slice(0, 200)),"
    " loading: Array.from(document.querySelectorAll('[data-dash-is-loading=\"true\"]')).map((e) => e.id),"
    " graphs: Array.from(document.querySelectorAll('.dash-graph'))"
    ".filter((g) => !g.querySelector('.main-svg')).map((g) => g.id)}"
)


@pytest.fixture
def people(app, make_user):
    """One account per role: the tutor tutors course A11Y, the student is its learner L1."""
    accounts = {role: make_user(role) for role in ROLES[1:]}
    with app.app_context():
        course, ids = scored_course(
            "A11Y", {7: (7, [0.2, 0.5, 0.8]), 14: (14, [0.1, 0.75, 0.9])}, {0: range(0, 16), 1: [3], 2: []}
        )
        CourseTutor.create(course=course, user=accounts["tutor"].id, assigned_by=accounts["admin"].id)
    linked = app.test_cli_runner().invoke(
        args=["link-learner", accounts["student"].username, "A11Y", "A11Y-L1"]
    )
    assert linked.exit_code == 0, linked.output
    return accounts, ids["A11Y-L1"]


def _paths(enrollment: int) -> list[str]:
    """Every registered page's address (with its query, for pages drawn from one)."""
    paths = sorted(entry["path"] for entry in dash.page_registry.values())
    return [path + QUERIES.get(path, "").format(enrollment=enrollment) for path in paths]


def _settle(page, path: str) -> None:
    page.driver.get(page.base_url + path)
    page.browser.wait_for_element("#shell-navbar")
    try:
        page.until(lambda: page.driver.execute_script(SETTLED), "")
    except TimeoutException:
        state = page.driver.execute_script(STATE), page.driver.get_log("browser")[-5:]
        raise AssertionError(f"{path} never finished drawing with one h1: {state}") from None
    try:
        page.until(lambda: not page.driver.execute_script(NAMELESS), "", timeout=5)
    except TimeoutException:
        raise AssertionError(
            f"{path}: unnamed charts or grids {page.driver.execute_script(NAMELESS)}"
        ) from None


@pytest.mark.parametrize("role", ROLES)
def test_no_violation_on_any_page(page, people, active_models, role):
    source = axe.script()
    accounts, enrollment = people
    if role != "anonymous":
        page.open("/login")
        page.sign_in(accounts[role].username, PASSWORD)
        page.wait_for_path("/")
    found, counts = {}, {}
    for path in _paths(enrollment):
        _settle(page, path)
        every = axe.violations(page, source, impacts=IMPACTS)
        counts[path] = {
            **{impact: sum(len(v["nodes"]) for v in every if v["impact"] == impact) for impact in IMPACTS},
            "rules": sorted({v["id"] for v in every}),
        }
        # Every impact: moderate (a heading that skips a level) and minor (a header cell with no
        # name, as a grid's checkbox column) included.
        if every:
            found[path] = axe.describe(every)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{role}.json").write_text(json.dumps(counts, indent=1))
    assert not found, "\n".join(f"{path} ({role}):\n{text}" for path, text in found.items())
    assert page.driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"


def test_the_api_docs_have_no_serious_or_critical_violation(page):
    """Swagger UI is not a Dash page: checked on its own, with every operation listed."""
    source = axe.script()
    page.driver.get(page.base_url + "/api/docs")
    page.until(
        lambda: len(page.driver.find_elements(By.CSS_SELECTOR, ".opblock")) > 10, "no operations listed"
    )
    found = axe.violations(page, source, impacts=IMPACTS)
    RESULTS.mkdir(parents=True, exist_ok=True)
    counts = {i: sum(len(v["nodes"]) for v in found if v["impact"] == i) for i in IMPACTS}
    counts["rules"] = sorted({v["id"] for v in found})
    (RESULTS / "api-docs.json").write_text(json.dumps({"/api/docs": counts}, indent=1))
    blocking = [v for v in found if v["impact"] in axe.BLOCKING]
    assert not blocking, axe.describe(blocking)
