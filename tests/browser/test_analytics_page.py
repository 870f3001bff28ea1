"""The Analytics page as an administrator uses it (headless Chromium against the live server)."""

from __future__ import annotations

import csv
import time

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By

from modelling.tasks.exam import SCHEMA as EXAM
from tests.browser.admin_pages import (
    choose,
    click_in,
    download,
    figure_data,
    figure_title,
    save_exam_predictions,
    sign_in,
    wait,
)

browser = pytest.mark.browser


def _kpi_rows(page) -> int | None:
    found = page.driver.find_elements(By.CSS_SELECTOR, "#analytics-kpi-rows .fs-4")
    try:
        return int(found[0].text.replace(",", "")) if found else None
    except (ValueError, StaleElementReferenceException):
        return None


def _analytics_graphs(page) -> list[str]:
    ids = page.driver.execute_script(
        "return Array.from(document.querySelectorAll('div[id*=\"analytics-field\"]'))"
        ".map(e => e.id).filter(i => i.startsWith('{'))"
    )
    fields = [f"div[id='{i}']" for i in ids]
    return ["#analytics-graph-levels", "#analytics-graph-value", "#analytics-graph-means"] + [
        "#analytics-graph-correlation",
        *fields,
    ]


@browser
def test_analytics_cohort_filter_changes_every_chart_and_a_heatmap_cell_opens_its_scatter(
    page, app, make_user, active_models
):
    admin = make_user("admin")
    save_exam_predictions(app, admin, 60)
    sign_in(page, admin)
    page.click("#shell-nav-admin")
    page.click("#shell-nav-analytics")
    page.wait_for_path("/analytics")
    page.wait_for_text("#analytics-kpi-rows", "60")
    page.wait_for_text("#analytics-graph-importance .gtitle", "Feature importance of the active model")
    graphs = _analytics_graphs(page)
    assert len(graphs) == 4 + len(EXAM.fields)
    before = {g: figure_data(page, g) for g in graphs}
    assert all(before.values())

    choose(page, "button[id*='school_type']", "Private")
    wait(page, lambda: _kpi_rows(page) not in (None, 60), "the cohort filter changed nothing")
    rows = _kpi_rows(page)
    assert 0 < rows < 60
    page.wait_for_text("#analytics-graph-levels .gtitle", f"n = {rows}")
    after = {g: figure_data(page, g) for g in _analytics_graphs(page)}
    unchanged = [g for g in graphs if after.get(g) == before[g]]
    assert not unchanged, unchanged

    assert page.driver.find_elements(By.CSS_SELECTOR, '#analytics-graph-levels [data-title*="Download plot"]')
    cells = len(EXAM.numeric) + 1
    click_in(page, "#analytics-graph-correlation", ".nsewdrag", 0.5 / cells, 1.5 / cells)
    wait(page, lambda: " vs " in figure_title(page, "#analytics-graph-scatter"), "no scatter opened")
    assert "Attendance vs Hours studied" in figure_title(page, "#analytics-graph-scatter")
    assert figure_data(page, "#analytics-graph-scatter") != "[]"

    page.click('button[id*=\'"figure":"levels"\']')
    with download(page, "exam-score-records-levels.csv").open() as handle:
        table = list(csv.DictReader(handle))
    assert sum(int(r["rows"]) for r in table) == rows
    page.driver.set_window_size(1280, 2300)
    time.sleep(1)
    page.screenshot("analytics")
    page.driver.set_window_size(1280, 900)
    time.sleep(1)

    heights = page.driver.execute_script(
        "return Array.from(document.querySelectorAll('#analytics-graph-levels .bars .point path'))"
        ".map(p => p.getBoundingClientRect().height)"
    )
    tallest = heights.index(max(heights)) + 1
    click_in(page, "#analytics-graph-levels", f".bars .point:nth-of-type({tallest}) path", 0.5, 0.5)
    wait(page, lambda: page.text("#analytics-groups") not in ("", "Every group"), "no group was selected")
    wait(page, lambda: _kpi_rows(page) not in (None, rows), "clicking a group did not filter")

    # "Clear every filter" also empties the range boxes, so nothing filtered stays on screen.
    choose(page, "#analytics-range-field", "Hours studied")
    page.fill("#analytics-range-low", "5")
    page.fill("#analytics-range-high", "20")
    page.click("#analytics-range-add")
    page.wait_for_text("#analytics-range-badges", "Hours studied: 5 to 20")
    page.click("#analytics-clear")
    page.wait_for_text("#analytics-kpi-rows", "60")
    wait(page, lambda: page.text("#analytics-range-badges") == "", "the range filter stayed")
    for box in ("#analytics-range-low", "#analytics-range-high"):
        wait(
            page, lambda box=box: page.browser.find_element(box).get_attribute("value") == "", f"{box} kept"
        )


@browser
def test_analytics_over_training_data(page, make_user, active_models):
    admin = make_user("admin")
    sign_in(page, admin)
    page.open("/analytics")
    page.click("label[for='_dbcprivate_radioitems_analytics-source_input_training']")
    page.wait_for_text("#analytics-graph-levels .gtitle", "Actual exam level")
    assert page.browser.wait_for_element("#analytics-date-from").get_attribute("disabled") is not None


def test_analytics_with_no_stored_predictions_draws_no_made_up_figures(page, make_user, active_models):
    admin = make_user("admin")
    sign_in(page, admin)
    page.open("/analytics")
    page.wait_for_text("#analytics-graph-correlation", "at least two rows", timeout=20)
    levels = page.wait_for_text("#analytics-graph-levels", "No rows in this cohort yet")
    assert "save some" in levels
    # No heatmap cells (no 1.00 diagonal) and no bars with a -1..1 count axis.
    assert figure_data(page, "#analytics-graph-correlation") == "[]"
    assert figure_data(page, "#analytics-graph-levels") == "[]"


@browser
def test_every_bar_of_the_feature_importance_chart_is_labelled(page, make_user, active_models):
    admin = make_user("admin")
    sign_in(page, admin)
    page.open("/analytics")
    page.wait_for_text("#analytics-graph-importance .gtitle", "Feature importance of the active model")

    def counts() -> tuple[int, int]:
        return page.driver.execute_script(
            "const g = document.querySelector('#analytics-graph-importance');"
            "return [g.querySelectorAll('.bars .point').length,"
            " Array.from(g.querySelectorAll('.ytick text')).filter(t => t.textContent).length];"
        )

    wait(page, lambda: counts()[0] >= 19, "the importance bars were not drawn")
    bars, labels = counts()
    assert labels == bars, (bars, labels)
