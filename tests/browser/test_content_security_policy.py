"""Pages render under the Content-Security-Policy with no violation in the browser's console
login, home, a prediction page, and admin pages with Plotly figures and AG Grid."""

from __future__ import annotations

from selenium.webdriver.support.ui import WebDriverWait

from tests.helpers import PASSWORD

PAGES = [
    ("/", "#shell-navbar"),
    ("/predict/exam-score", "button"),
    ("/analytics", ".js-plotly-plot"),
    ("/records", ".ag-root"),
    ("/models", ".js-plotly-plot, .ag-root"),
    ("/users", ".ag-root, table"),
]


def _violations(page) -> list[str]:
    logs = page.driver.get_log("browser")
    return [entry["message"] for entry in logs if "Content Security Policy" in entry["message"]]


def test_pages_render_without_csp_violations(page, make_user, active_models):
    admin = make_user("admin")
    page.open("/login")
    assert page.driver.find_element("css selector", "#login-submit").text == "Sign in"
    assert _violations(page) == []
    page.sign_in(admin.username, PASSWORD)
    page.wait_for_path("/")
    for path, selector in PAGES:
        page.open(path)
        WebDriverWait(page.driver, 20).until(
            lambda d, s=selector: (
                d.find_elements("css selector", s)
                and d.find_element("css selector", "#_pages_content").text.strip()
            ),
            message=f"{path}: {selector}",
        )
        assert _violations(page) == [], path


def test_api_docs_render_without_csp_violations(page):
    page.driver.get(page.base_url + "/api/docs")
    WebDriverWait(page.driver, 20).until(
        lambda d: d.find_elements("css selector", ".opblock"), message="Swagger UI listed no operation"
    )
    assert _violations(page) == []
