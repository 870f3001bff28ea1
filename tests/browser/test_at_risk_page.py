"""The At-risk page as an administrator uses it (headless Chromium against the live server)."""

from __future__ import annotations

import csv
import re
from datetime import date

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.admin_pages import (
    download,
    seed_dropout,
    sign_in,
    wait,
)

browser = pytest.mark.browser




def _grid_students(page) -> list[str]:
    cells = page.driver.find_elements(
        By.CSS_SELECTOR, "#at-risk-grid .ag-center-cols-container [col-id='student_ref']"
    )
    rows = page.driver.find_elements(By.CSS_SELECTOR, "#at-risk-grid .ag-center-cols-container .ag-row")
    ordered = sorted(zip(rows, cells, strict=False), key=lambda pair: int(pair[0].get_attribute("row-index")))
    return [cell.text for _row, cell in ordered]


@browser
def test_at_risk_list_filters_exports_and_opens_a_students_trend(page, app, make_user):
    admin = make_user("admin")
    seed_dropout(app, admin)
    sign_in(page, admin)
    page.open("/at-risk")
    page.wait_for_text("#at-risk-count", "3 students at or above 70%")
    wait(page, lambda: _grid_students(page) == ["A1", "D4", "C3"], "rows not in risk order")
    assert "Video events (1) raised" in page.text("#at-risk-grid")
    page.screenshot("at-risk")

    page.click("#at-risk-grid [row-index='1'] [col-id='student_ref']")
    page.wait_for_text("#at-risk-modal-title", "Student D4")
    page.wait_for_text("#at-risk-history-table", "85.0%")
    assert "50.0%" in page.text("#at-risk-history-table")

    def ticks() -> list[str]:
        return page.driver.execute_script(
            "return Array.from(document.querySelectorAll('#at-risk-history .xtick text'))"
            ".map(t => t.textContent)"
        )

    ticks = wait(page, ticks, "the history chart has no time axis")
    # Dates on the time axis, not milliseconds since 1970.
    assert ticks and not any(t.replace(",", "").replace(".", "").isdigit() for t in ticks), ticks
    assert any(str(date.today().year) in t or re.search("[A-Z][a-z]{2}", t) for t in ticks), ticks
    page.driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    wait(page, lambda: not page.driver.find_elements(By.CSS_SELECTOR, "#at-risk-modal.show"), "modal stays")

    page.click("#at-risk-export")
    with download(page, "at-risk.csv").open() as handle:
        assert [r["student_ref"] for r in csv.DictReader(handle)] == ["A1", "D4", "C3"]

    page.fill("#at-risk-threshold", "0\n")
    page.wait_for_text("#at-risk-count", "5 students at or above 0%")
    wait(page, lambda: len(_grid_students(page)) == 5, "threshold 0 should list everyone")
    page.fill("#at-risk-grid .ag-floating-filter input", "B")
    wait(page, lambda: _grid_students(page) == ["B2"], "the student filter did not apply")
    page.fill("#at-risk-grid .ag-floating-filter input", "")

    # A person types a percentage: 70 means 70%.
    page.fill("#at-risk-threshold", "70\n")
    page.wait_for_text("#at-risk-count", "3 students at or above 70%")
    for nonsense in ("170\n", "\n"):
        page.fill("#at-risk-threshold", nonsense)
        page.wait_for_text("#at-risk-message", "percentage from 0 to 100")
        assert "is-invalid" in page.browser.wait_for_element("#at-risk-threshold").get_attribute("class")
        assert "NaN" not in page.text("#at-risk-count") and page.text("#at-risk-count") == ""
