"""The Models page as an administrator uses it (headless Chromium against the live server)."""

from __future__ import annotations

import pytest
from selenium.webdriver.support.ui import Select

from db.tables import User, utcnow
from modelling.synthetic import generate_dropout, generate_exam
from modelling.tasks.exam import SCHEMA as EXAM
from tests.browser.admin_pages import (
    sign_in,
)
from tests.helpers import GOOD_EXAM

browser = pytest.mark.browser


@browser
def test_retrain_with_progress_then_activate_the_challenger(
    page, app, client, bearer, make_user, active_models, tmp_path
):
    admin = make_user("admin")
    frame = generate_exam(300, 5)
    source = tmp_path / "labelled.csv"
    frame.rename(columns={f.name: f.header for f in EXAM.fields} | {"exam_score": "Exam_Score"}).to_csv(
        source, index=False
    )
    sign_in(page, admin)
    page.open("/models")
    page.wait_for_text(f"#models-row-{active_models['exam-score']}", "active")
    page.wait_for_text("#models-candidates-table", "chosen")
    page.click("label[for='_dbcprivate_radioitems_models-data_input_upload']")
    page.browser.wait_for_element("#models-upload input[type=file]").send_keys(str(source))
    page.wait_for_text("#models-upload-name", "labelled.csv")
    Select(page.browser.wait_for_element("#models-folds")).select_by_value("3")
    for name in ("huber", "gradient_boosting", "keras_mlp"):
        page.click(f"label[for='_dbcprivate_checklist_models-candidate-choice_input_{name}']")
    page.click("#models-train")
    # One small candidate trains in about a second, so "Running" may never be on screen long
    # enough to see; the bar must end full and the job finished.
    page.wait_for_text("#models-progress", "100 %", timeout=300)
    page.wait_for_text("#models-status", "Finished")
    new_version = active_models["exam-score"] + 1
    page.wait_for_text("#models-compare-table", f"Challenger (v{new_version})")
    page.screenshot("models")

    page.click(f"#models-compare button[id*='\"version\":{new_version}']")
    page.wait_for_text("#models-confirm-text", f"exam-score v{new_version} will serve")
    page.click("#models-confirm-yes")
    page.wait_for_text("#models-message", f"exam-score v{new_version}")
    page.wait_for_text(f"#models-row-{new_version}", "active")
    served = client.post("/api/v1/predictions/exam-score", headers=bearer(admin), json=GOOD_EXAM).json
    assert served["model_version"] == new_version

    page.click(f"button[id*='\"version\":{active_models['exam-score']}']")
    page.wait_for_text("#models-confirm-text", f"v{active_models['exam-score']} will serve")
    page.click("#models-confirm-yes")
    page.wait_for_text(f"#models-row-{active_models['exam-score']}", "active")
    served = client.post("/api/v1/predictions/exam-score", headers=bearer(admin), json=GOOD_EXAM).json
    assert served["model_version"] == active_models["exam-score"]


@browser
def test_a_retrain_under_way_is_shown_when_the_models_page_opens(page, app, make_user, active_models):
    from db.tables import Job
    from modelling.data import LoadedData
    from services import model_versions

    admin = make_user("admin")
    with app.app_context():
        trained = model_versions.train_version(
            "dropout",
            LoadedData(generate_dropout(600, 9), [], "test"),
            folds=3,
            candidates=["logistic_regression"],
        )
        # The job as the database holds it while a worker (here: none of this process) trains.
        job = Job.create(
            kind="train",
            params={"task": "dropout", "folds": 3},
            created_by=User.get_by_id(admin.id),
            status="running",
            progress=40,
            message="Cross-validating logistic_regression",
            started_at=utcnow(),
        )
    sign_in(page, admin)
    page.open("/models")
    page.wait_for_text("#models-progress", "40 %")
    assert "Cross-validating logistic_regression" in page.text("#models-status")
    assert page.browser.wait_for_element("#models-task input[value='dropout']").is_selected()

    result = {
        "task": "dropout",
        "version": trained.version,
        "algorithm": trained.algorithm,
        "metrics": trained.metrics,
        "active": False,
        "rows": trained.rows,
        "rejected_rows": 0,
    }
    with app.app_context():
        Job.update(status="succeeded", progress=100, result=result, finished_at=utcnow()).where(
            Job.id == job.id
        ).execute()
    page.wait_for_text("#models-status", "Finished")
    page.wait_for_text("#models-compare-table", f"Challenger (v{trained.version})")
