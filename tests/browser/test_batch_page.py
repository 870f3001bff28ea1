"""The Batch scoring page as an administrator uses it (headless Chromium against the live server)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from db.tables import Record
from modelling.synthetic import generate_exam
from modelling.tasks.exam import SCHEMA as EXAM
from tests.browser.admin_pages import (
    download,
    sign_in,
)

browser = pytest.mark.browser


def _exam_csv(path: Path, frame) -> Path:
    frame.rename(columns={f.name: f.header for f in EXAM.fields}).to_csv(path, index=False)
    return path


@browser
def test_batch_scoring_with_good_and_bad_rows_then_download(page, app, make_user, active_models, tmp_path):
    admin = make_user("admin")
    frame = generate_exam(20, 8).drop(columns="exam_score")
    frame.loc[3, "attendance"] = 500
    frame.loc[11, "gender"] = "Robot"
    source = _exam_csv(tmp_path / "cohort.csv", frame)
    sign_in(page, admin)
    page.open("/batch")
    page.browser.wait_for_element("#batch-upload input[type=file]").send_keys(str(source))
    page.wait_for_text("#batch-filename", "cohort.csv")
    page.click("label[for='_dbcprivate_checklist_batch-save_input_save']")
    page.click("#batch-submit")
    page.wait_for_text("#batch-progress", "100 %", timeout=60)
    page.wait_for_text("#batch-summary", "20 rows: 18 scored, 2 with errors")
    errors = page.wait_for_text("#batch-error-rows", "attendance")
    assert "gender" in errors.lower()
    headers = page.driver.execute_script(
        "return Array.from(document.querySelectorAll('#batch-preview .ag-header-cell-text'))"
        ".map(h => h.textContent)"
    )
    # The predictions are what a person came for: they lead, before the 19 inputs.
    assert [h.lower() for h in headers[:5]] == ["score", "level", "interval_low", "interval_high", "error"]
    page.screenshot("batch")

    page.click("#batch-download-button")
    with download(page, "exam-score-scored.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 20 and "Hours_Studied" in rows[0]
    assert sum(1 for r in rows if r["error"]) == 2
    assert all(r["score"] for r in rows if not r["error"])
    with app.app_context():
        assert Record.select().where(Record.task == "exam-score").count() == 18


@browser
def test_batch_file_without_the_columns_fails_with_a_reason(page, make_user, active_models, tmp_path):
    admin = make_user("admin")
    source = tmp_path / "wrong.csv"
    source.write_text("name,age\nada,36\n")
    sign_in(page, admin)
    page.open("/batch")
    page.browser.wait_for_element("#batch-upload input[type=file]").send_keys(str(source))
    page.click("#batch-submit")
    status = page.wait_for_text("#batch-status", "Failed", timeout=30)
    assert "lacks the column" in status and "Traceback" not in page.driver.page_source
