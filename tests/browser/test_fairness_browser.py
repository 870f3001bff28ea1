"""The Models page's fairness report of a version, as an administrator reads it on a desktop and a phone
(headless Chromium against the live server): the figures per group with their intervals, the largest
gaps, the fairness gate's reasons, and activating the refused version after a confirmation that names them."""

from __future__ import annotations

import numpy as np
import pytest

from modelling.data import LoadedData
from modelling.synthetic import generate_exam
from tests.browser import axe
from tests.helpers import PASSWORD

browser = pytest.mark.browser


def _refused_exam_version(app, monkeypatch):
    """An exam version trained where female students score 15 points less, refused by a 0.2 limit."""
    from services import model_versions

    frame = generate_exam(500, 5)
    female = frame["gender"] == "Female"
    frame.loc[female, "exam_score"] = np.clip(frame.loc[female, "exam_score"] - 15, 0, 100)
    monkeypatch.setitem(app.config, "FAIRNESS_MAX_GAP", 0.2)
    with app.app_context():
        return model_versions.train_version(
            "exam-score", LoadedData(frame, [], "gap.csv"), folds=3, candidates=["linear_regression"]
        )


def _viewport(page, width: int) -> None:
    page.driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
    )


def _fits(page, selector: str) -> bool:
    """Whether the element is whole on the screen: no wider than its container nor the window."""
    return page.driver.execute_script(
        "const t = document.querySelector(arguments[0]);"
        "if (!t) return false;"
        "const box = t.getBoundingClientRect();"
        "return box.width > 0 && box.left >= 0 && box.right <= window.innerWidth + 1"
        " && t.scrollWidth <= t.parentElement.clientWidth + 1;",
        selector,
    )


@browser
@pytest.mark.parametrize("width", [1280, 390])
def test_the_models_page_shows_the_fairness_report_and_the_gates_reasons(
    page, app, make_user, monkeypatch, width
):
    row = _refused_exam_version(app, monkeypatch)
    gender = row.fairness["reports"][0]["report"]["attributes"][0]
    female = next(g for g in gender["groups"] if g["group"] == "Female")
    admin = make_user("admin")
    _viewport(page, width)
    try:
        page.open("/login")
        page.sign_in(admin.username, PASSWORD)
        page.wait_for_path("/")
        page.open("/models")
        page.wait_for_text("#models-fairness", "Fairness by group", timeout=40)
        refused = page.wait_for_text("#models-fairness-refused", "Refused by the fairness gate")
        assert "Gender: the share flagged Needs improvement or at risk differs by" in refused
        table = page.text("#models-fairness-0-gender-groups")
        share = female["flag_rate"]
        assert f"Female\nn = {female['size']:,}" in table
        assert f"{share['value']:.0%}\n{share['low']:.0%}–{share['high']:.0%}" in table
        for heading in ("Base rate", "MAE (points)", "Mean predicted score", "Observed score", "Recall"):
            assert heading in table
        gaps = page.text("#models-fairness-0-gender-gaps")
        assert "Share flagged" in gaps and "Female vs Male" in gaps
        assert page.text("#models-fairness-0-family_income-groups").count("n = ") == 3
        tables = ("gender-groups", "family_income-groups", "family_income-gaps")
        for selector in (f"#models-fairness-0-{name}" for name in tables):
            page.until(lambda s=selector: _fits(page, s), f"{selector} does not fit {width} px")
        assert page.driver.execute_script("return document.documentElement.scrollWidth") <= width
        page.screenshot(f"models-fairness-{width}", "models-fairness")
        if width == 1280:
            source = axe.script()
            found = axe.violations(page, source)
            assert not found, axe.describe(found)
            page.click(f"button[id*='models-activate'][id*='\"version\":{row.version}']")
            page.wait_for_text("#models-confirm-text", "The evaluation gate refused it")
            page.click("#models-confirm-yes")
            page.wait_for_text("#models-message", f"v{row.version} (linear_regression) now serves")
    finally:
        page.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
