"""The Models page's early-warning section, as an administrator uses it (headless Chromium, live server):
figures per checkpoint, a refused version's reasons, activation with a confirmation, retraining as a job."""

from __future__ import annotations

import json

import pytest
from selenium.webdriver.common.by import By

from tests.helpers import PASSWORD, insert_courses

browser = pytest.mark.browser


def _train(app, prefix: str, signal: bool, activate: bool):
    from db.courses import Course
    from services.early_warning import training

    with app.app_context():
        Course.delete().execute()
        insert_courses(prefix, number=3, signal=signal)
        return training.train(candidates=["spline_logistic"], checkpoints=(7, 14, 30), activate=activate)


def _figure(page, selector: str) -> dict:
    raw = page.driver.execute_script(
        "const g = document.querySelector(arguments[0] + ' .js-plotly-plot');"
        "return g && g.data ? JSON.stringify({data: g.data, title: g.layout.title.text}) : null;",
        selector,
    )
    return json.loads(raw) if raw else {}


@browser
def test_the_models_page_shows_early_warning_and_activates_a_refused_version_after_confirming(
    page, app, make_user, active_models
):
    good = _train(app, "good", signal=True, activate=True)
    weak = _train(app, "noise", signal=False, activate=True)
    assert good.is_active and not weak.is_active
    admin = make_user("admin")
    page.open("/login")
    page.sign_in(admin.username, PASSWORD)
    page.wait_for_path("/")
    page.open("/models")
    page.wait_for_text(f"#models-ew-row-{good.version}", "active")
    page.wait_for_text(f"#models-ew-row-{weak.version}", "refused")
    table = page.wait_for_text("#models-ew-candidates-table", "chosen")
    assert "day 7" in table and "day 30" in table and "spline logistic" in table
    # The High level relative to the course: its precision beside the base rate, the lift, the share.
    for heading in ("Precision of High", "Base rate", "Lift of High", "Share at High"):
        assert heading in table
    day14 = good.metrics["checkpoints"]["14"]["candidates"]["spline_logistic"]
    assert f"{day14['lift']:.4f}" in table and f"{day14['base_rate']:.4f}" in table
    page.browser.wait_for_element("#models-ew-auc .js-plotly-plot")
    figure = _figure(page, "#models-ew-auc")
    assert "How early can we tell" in figure["title"]
    chosen = next(trace for trace in figure["data"] if trace["name"] == "chosen model")
    assert chosen["x"] == [7, 14, 30]
    assert chosen["y"] == pytest.approx([good.metrics["auc_by_checkpoint"][d] for d in ("7", "14", "30")])
    assert "Calibration" in _figure(page, "#models-ew-calibration")["title"]
    page.screenshot("models-early-warning", "models-ew-section")

    page.click(f"button[id*='models-ew-activate'][id*='\"version\":{weak.version}']")
    reasons = page.wait_for_text("#models-ew-confirm-reasons", "below the floor")
    assert reasons
    page.click("#models-ew-confirm-no")
    page.wait_for_text(f"#models-ew-row-{good.version}", "active")
    page.click(f"button[id*='models-ew-activate'][id*='\"version\":{weak.version}']")
    page.wait_for_text("#models-ew-confirm-reasons", "below the floor")
    page.click("#models-ew-confirm-yes")
    page.wait_for_text("#models-ew-message", f"v{weak.version} now serves")
    page.wait_for_text(f"#models-ew-row-{weak.version}", "active")

    # Retrain as a job: one checkpoint, one candidate; the bar runs to the end and the list grows.
    for day in (7, 21, 30):
        page.click(f"label[for='_dbcprivate_checklist_models-ew-checkpoints_input_{day}']")
    for name in ("gradient_boosting", "keras_sequence", "ensemble"):
        page.click(f"label[for='_dbcprivate_checklist_models-ew-candidate-choice_input_{name}']")
    page.click("#models-ew-train")
    page.wait_for_text("#models-ew-progress", "100 %", timeout=180)
    page.wait_for_text("#models-ew-status", "Finished")
    page.wait_for_text("#models-ew-message", f"v{weak.version + 1}")
    page.wait_for_text(f"#models-ew-row-{weak.version + 1}", f"v{weak.version + 1}")
    assert not page.driver.find_elements(By.CSS_SELECTOR, ".dash-fe-error__title")
