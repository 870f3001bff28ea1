"""The pages every signed-in user works with, as a person uses them, in headless Chromium."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from tests.helpers import GOOD_DROPOUT, GOOD_EXAM, PASSWORD

pytestmark = pytest.mark.browser


def _sign_in(page, account) -> None:
    page.open("/login")
    page.sign_in(account.username, PASSWORD)
    page.wait_for_path("/")


def _records(app, **where):
    from db.tables import Record

    with app.app_context():
        query = Record.select()
        for name, value in where.items():
            query = query.where(getattr(Record, name) == value)
        return list(query)


def _save(app, account, task: str, values: dict, student_ref: str | None = None, days_ago: float = 0) -> int:
    """Store a prediction through the service layer, dated `days_ago`."""
    from db.tables import Record, User, utcnow
    from services import predictions

    with app.app_context():
        user = User.get_by_id(account.id)
        result = predictions.predict(task, values, user=user, save=True, student_ref=student_ref)
        when = utcnow() - timedelta(days=days_ago)
        Record.update(created_at=when).where(Record.id == result["id"]).execute()
        return result["id"]


def _history(app, account, days: int = 8) -> None:
    """A student's saved predictions over `days` days, improving as study habits improve."""
    for day in range(days):
        exam = {**GOOD_EXAM, "hours_studied": 10 + 3 * day, "attendance": 70 + 3 * day}
        _save(app, account, "exam-score", exam, days_ago=days - day)
        activity = {**GOOD_DROPOUT, "study_days": 2 + day, "active_span_days": 12, "video": 6 + 4 * day}
        activity["browser"] = GOOD_DROPOUT["browser"] + 4 * day
        _save(app, account, "dropout", activity, days_ago=days - day + 0.5)


def _fetch(page, url: str) -> tuple[int, str]:
    """GET `url` from inside the page (with the browser's cookies): (status, body)."""
    return page.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0], {credentials: 'same-origin'})"
        ".then((r) => r.text().then((t) => done([r.status, t])));",
        url,
    )


def _number(text: str) -> float:
    return float(re.search(r"-?\d+(\.\d+)?", text).group(0))


def _wait(page, condition, message: str, timeout: float = 10):
    return page.until(condition, message, timeout)


def _press_slider(page, group_label_id: str, key: str, times: int) -> None:
    thumb = page.browser.wait_for_element(f'[aria-labelledby="{group_label_id}"] [role="slider"]')
    page.driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].focus()", thumb)
    for _ in range(times):
        thumb.send_keys(key)


def _assert_local_only(page) -> None:
    hosts = page.resource_hosts()
    assert hosts == {page.base_url}, hosts


def test_exam_prediction_what_if_save_trend_records_export_delete(page, app, make_user, active_models):
    student = make_user("student")
    _sign_in(page, student)

    page.click("#shell-nav-predict_exam")
    page.wait_for_path("/predict/exam-score")
    page.wait_for_text("#predict-exam-check", "All values are valid")
    page.fill("#predict-exam-hours-studied", "24")
    page.fill("#predict-exam-attendance", "88")
    page.wait_for_text("#predict-exam-check", "All values are valid")
    page.click("#predict-exam-submit")
    score = _number(page.wait_for_text("#predict-exam-value", "."))
    assert 0 <= score <= 100
    assert "interval" in page.text("#predict-exam-interval")
    assert page.text("#predict-exam-level")
    assert f"Model version {active_models['exam-score']}" in page.text("#predict-exam-version")
    page.wait_for_text("#predict-exam-recommendations", "points")
    page.browser.wait_for_element("#predict-exam-contributions-graph .js-plotly-plot")

    # What-if: two more hours of study a week, from the keyboard on the slider's thumb.
    _press_slider(page, "predict-exam-whatif-label-hours-studied", Keys.ARROW_RIGHT, 2)
    delta = page.wait_for_text("#predict-exam-whatif-delta", "points")
    what_if = _number(page.text("#predict-exam-whatif-value"))
    assert what_if != score and _number(delta) == pytest.approx(what_if - score, abs=0.11)
    page.screenshot("predict-exam")

    assert _records(app) == []
    page.fill("#predict-exam-student-ref", "S-001")
    page.click("#predict-exam-save")
    saved = page.wait_for_text("#predict-exam-saved-id", "Saved as record #")
    record_id = int(re.search(r"#(\d+)", saved).group(1))
    (record,) = _records(app)
    assert (record.id, record.user_id, record.student_ref, record.value) == (
        record_id,
        student.id,
        "S-001",
        score,
    )
    assert record.inputs["hours_studied"] == 24 and record.model_version == active_models["exam-score"]

    page.open("/trends")
    page.wait_for_text("#trends-examscore-count", "1")
    assert f"{score:.1f}" in page.text("#trends-examscore")
    page.browser.wait_for_element("#trends-examscore-graph .js-plotly-plot")

    page.open("/records")
    page.wait_for_text("#records-count", "1 record")
    page.wait_for_text("#records-grid", "S-001")
    export = page.browser.find_element("#records-export")
    status, body = _fetch(page, export.get_attribute("href"))
    assert status == 200
    rows = body.strip().splitlines()
    assert len(rows) == 2 and rows[1].startswith(f"{record_id},") and "S-001" in rows[1]

    # Filter to dropout only: nothing shows, and the export holds exactly what is shown (no rows).
    Select(page.browser.find_element("#records-task")).select_by_value("dropout")
    page.wait_for_text("#records-count", "0 records")
    assert "task=dropout" in page.browser.find_element("#records-export").get_attribute("href")
    status, body = _fetch(page, page.browser.find_element("#records-export").get_attribute("href"))
    assert status == 200 and len(body.strip().splitlines()) == 1
    Select(page.browser.find_element("#records-task")).select_by_value("exam-score")
    page.wait_for_text("#records-count", "1 record")

    page.click(f'#records-grid .ag-row[row-id="{record_id}"] .ag-cell[col-id="task"]')
    page.wait_for_text("#records-modal-title", f"Record #{record_id}")
    assert page.text("#records-modal-version") == str(active_models["exam-score"])
    assert "Hours studied" in page.text("#records-modal-body")
    page.click("#records-delete")
    page.click("#records-confirm-delete")
    page.wait_for_text("#records-toast", "deleted")
    page.wait_for_text("#records-count", "0 records")
    assert _records(app) == []
    _assert_local_only(page)


def test_invalid_exam_value_is_highlighted_and_nothing_is_sent(page, app, make_user, active_models):
    _sign_in(page, make_user("student"))
    page.open("/predict/exam-score")
    page.wait_for_text("#predict-exam-check", "All values are valid")

    page.fill("#predict-exam-hours-studied", "75")
    page.wait_for_text("#predict-exam-hours-studied-feedback", "Must be between 0 and 60")
    assert "is-invalid" in page.browser.find_element("#predict-exam-hours-studied").get_attribute("class")
    assert page.browser.find_element("#predict-exam-submit").get_attribute("disabled") is not None
    assert "Hours studied" in page.text("#predict-exam-check")
    page.driver.execute_script("document.getElementById('predict-exam-submit').click()")
    assert page.browser.find_element("#predict-exam-save").get_attribute("disabled") is not None
    assert "Press Predict" in page.text("#predict-exam-result")

    page.fill("#predict-exam-tutoring-sessions", "2.5")
    page.wait_for_text("#predict-exam-tutoring-sessions-feedback", "whole number")

    # Allowed but outside what the model learned from: accepted, marked as a warning, not an error.
    page.fill("#predict-exam-hours-studied", "50")
    page.fill("#predict-exam-tutoring-sessions", "2")
    page.wait_for_text("#predict-exam-hours-studied-note", "Outside the training range")
    field = page.browser.find_element("#predict-exam-hours-studied")
    assert "is-extrapolated" in field.get_attribute("class") and "is-invalid" not in field.get_attribute(
        "class"
    )
    page.wait_for_text("#predict-exam-check", "outside what the model learned")
    assert page.browser.find_element("#predict-exam-submit").get_attribute("disabled") is None
    assert _records(app) == []


def test_dropout_form_rules_prediction_what_if_and_save(page, app, make_user, active_models):
    student = make_user("student")
    _sign_in(page, student)
    page.click("#shell-nav-predict_dropout")
    page.wait_for_path("/predict/dropout")
    for name, value in GOOD_DROPOUT.items():
        page.fill(f"#predict-dropout-{name.replace('_', '-')}", str(value))
    page.wait_for_text("#predict-dropout-check", "All values are valid")

    # A cross-field rule: the seven event types must add up to server + browser.
    page.fill("#predict-dropout-server", "70")
    page.wait_for_text("#predict-dropout-server-feedback", "add up to server + browser")
    assert "is-invalid" in page.browser.find_element("#predict-dropout-browser").get_attribute("class")
    assert page.browser.find_element("#predict-dropout-submit").get_attribute("disabled") is not None
    page.driver.execute_script("document.getElementById('predict-dropout-submit').click()")
    page.fill("#predict-dropout-study-days", "0")
    page.wait_for_text("#predict-dropout-study-days-feedback", "between 1 and 30")
    assert _records(app) == []

    page.fill("#predict-dropout-server", "50")
    page.fill("#predict-dropout-study-days", "6")
    page.wait_for_text("#predict-dropout-check", "All values are valid")
    page.click("#predict-dropout-submit")
    probability = _number(page.wait_for_text("#predict-dropout-value", "%"))
    assert 0 <= probability <= 100
    assert "risk" in page.text("#predict-dropout-level")
    page.browser.wait_for_element("#predict-dropout-outcome-graph .js-plotly-plot")

    _press_slider(page, "predict-dropout-whatif-label-study-days", Keys.ARROW_RIGHT, 4)
    page.wait_for_text("#predict-dropout-whatif-delta", "points of risk")
    assert "Study days: 6 → 10" in page.text("#predict-dropout-whatif-result")
    page.screenshot("predict-dropout")

    page.click("#predict-dropout-save")
    page.wait_for_text("#predict-dropout-saved-id", "Saved as record #")
    (record,) = _records(app)
    assert record.task == "dropout" and record.user_id == student.id and record.inputs["study_days"] == 6
    assert round(record.value * 100) == probability
    _assert_local_only(page)


def test_student_never_sees_another_users_records(page, app, make_user, active_models):
    owner, other = make_user("student"), make_user("student")
    foreign = _save(app, other, "exam-score", GOOD_EXAM, student_ref="SECRET-REF")
    mine = _save(app, owner, "exam-score", {**GOOD_EXAM, "hours_studied": 30}, student_ref="MINE-REF")
    _sign_in(page, owner)

    page.open("/records")
    page.wait_for_text("#records-grid", "MINE-REF")
    assert page.text("#records-count") == "1 record"
    assert "SECRET-REF" not in page.driver.page_source

    page.open(f"/records?record={foreign}")
    page.wait_for_text("#records-toast", "No such record")
    assert not page.browser.find_elements("#records-modal-body") or "SECRET" not in page.driver.page_source
    status, _ = _fetch(page, f"/api/v1/records/{foreign}")
    assert status == 404
    status, body = _fetch(page, "/api/v1/records/export.csv")
    assert status == 200 and "SECRET-REF" not in body and "MINE-REF" in body

    page.open(f"/records?record={mine}")
    page.wait_for_text("#records-modal-title", f"Record #{mine}")

    page.open("/trends")
    page.wait_for_text("#trends-examscore-count", "1")
    page.wait_for_text("#trends-examscore-cohort", "2 users")


def test_pages_with_demo_data_and_empty_states(page, app, make_user, active_models):
    student = make_user("student")
    _sign_in(page, student)
    page.wait_for_text("#home-latest", "No saved exam score prediction yet")
    page.open("/trends")
    page.wait_for_text("#trends-empty", "not saved a prediction yet")
    assert page.browser.find_element("#trends-empty a[href='/predict/exam-score']")

    _history(app, student)
    classmate = make_user("student")
    _save(app, classmate, "exam-score", {**GOOD_EXAM, "hours_studied": 5, "attendance": 62})

    page.open("/")
    page.wait_for_text("#home-examscore", "Predict again")
    page.browser.wait_for_element("#home-examscore-sparkline .js-plotly-plot")
    page.screenshot("home-student")

    page.open("/trends")
    page.wait_for_text("#trends-examscore-count", "8")
    page.wait_for_text("#trends-dropout-count", "8")
    assert "percentile 75 among the 2 users" in page.text("#trends-examscore-cohort")
    page.screenshot("trends")
    Select(page.browser.find_element("#trends-task")).select_by_value("dropout")
    _wait(page, lambda: not page.browser.find_element("#trends-examscore").is_displayed(), "exam card shown")
    assert page.text("#trends-dropout-count") == "8"

    page.open("/records")
    page.wait_for_text("#records-count", "16 records")
    page.screenshot("records")
    # Sorting is done by the server, over every row: newest first by default (an exam score). By
    # value, points and probabilities are not mixed: each task's rows are sorted among themselves
    # (the 8 dropout rows, then the 8 exam rows), ascending and then descending.
    first_task = '#records-grid .ag-row[row-index="0"] [col-id="task"]'
    ninth_task = '#records-grid .ag-row[row-index="8"] [col-id="task"]'
    page.wait_for_text(first_task, "Exam score")
    page.click('#records-grid .ag-header-cell[col-id="value"] .ag-header-cell-label')
    page.wait_for_text(first_task, "Dropout risk")
    page.wait_for_text(ninth_task, "Exam score")

    def first_value() -> str:
        return page.driver.execute_script(
            'const c = document.querySelector(\'#records-grid .ag-row[row-index="0"] [col-id="value"]\');'
            "return c ? c.textContent : '';"
        )

    ascending = _wait(page, first_value, "no value in the first row")
    page.click('#records-grid .ag-header-cell[col-id="value"] .ag-header-cell-label')
    _wait(page, lambda: first_value() not in ("", ascending), "descending order did not apply")
    page.wait_for_text(first_task, "Dropout risk")
    page.wait_for_text(ninth_task, "Exam score")

    page.open("/about")
    page.wait_for_text("#about-model-examscore", "Mean absolute error")
    page.wait_for_text("#about-model-dropout", "ROC AUC")
    page.screenshot("about")
    _assert_local_only(page)


def test_admin_home_kpis_and_everyones_records(page, app, make_user, active_models):
    admin = make_user("admin")
    first, second = make_user("student"), make_user("student")
    _history(app, first, days=4)
    _save(app, second, "dropout", GOOD_DROPOUT, student_ref="B-7")
    _sign_in(page, admin)

    page.wait_for_text("#home-kpis", "Saved predictions")
    assert page.text("#home-kpi-predictions") == "9"
    assert page.text("#home-kpi-students") == "2"
    page.wait_for_text("#home-models", f"Version {active_models['exam-score']}")
    page.screenshot("home-admin")

    page.open("/records")
    page.wait_for_text("#records-count", "9 records")
    page.wait_for_text("#records-grid", "B-7")
    assert page.browser.find_elements('#records-grid .ag-header-cell[col-id="username"]')
    page.click("#records-user")
    page.wait_for_text(".dash-dropdown-content", first.username)
    (choice,) = [o for o in page.browser.find_elements("[role=option]") if o.text == first.username]
    choice.click()
    page.wait_for_text("#records-count", "8 records")
    assert f"user={first.id}" in page.browser.find_element("#records-export").get_attribute("href")
    page.click("#records-user")
    (choice,) = [o for o in page.browser.find_elements("[role=option]") if o.text == second.username]
    choice.click()
    page.fill("#records-student-ref", "B-7\n")
    page.wait_for_text("#records-count", "1 record")
    assert "student_ref=B-7" in page.browser.find_element("#records-export").get_attribute("href")


def test_prediction_without_an_active_model_explains_itself(page, app, make_user):
    _sign_in(page, make_user("student"))
    page.open("/predict/exam-score")
    page.wait_for_text("#predict-exam-no-model", "No exam score model is active yet")
    page.wait_for_text("#predict-exam-check", "All values are valid")
    page.click("#predict-exam-submit")
    page.wait_for_text("#predict-exam-toast", "No exam-score model is active yet")
    assert "Press Predict" in page.text("#predict-exam-result")
    assert _records(app) == []


def test_a_result_is_marked_out_of_date_when_an_input_changes(page, app, make_user, active_models):
    student = make_user("student")
    _sign_in(page, student)
    page.open("/predict/exam-score")
    page.wait_for_text("#predict-exam-check", "All values are valid")
    page.fill("#predict-exam-hours-studied", "12")
    page.click("#predict-exam-submit")
    page.wait_for_text("#predict-exam-value", ".")
    save = page.browser.wait_for_element("#predict-exam-save")
    _wait(page, lambda: save.is_enabled(), "Save was not enabled after predicting")

    page.fill("#predict-exam-hours-studied", "30")
    assert "press Predict" in page.wait_for_text("#predict-exam-stale", "inputs changed")
    _wait(page, lambda: not save.is_enabled(), "Save stayed enabled for an out-of-date result")
    area = page.browser.wait_for_element("#predict-exam-result-area")
    assert "result-stale" in area.get_attribute("class")

    page.click("#predict-exam-submit")
    _wait(page, lambda: page.text("#predict-exam-stale") == "", "the out-of-date notice stayed")
    _wait(page, lambda: save.is_enabled(), "Save was not enabled after predicting again")
    page.click("#predict-exam-save")
    page.wait_for_text("#predict-exam-saved-id", "Saved as record #")
    (record,) = _records(app)
    assert record.inputs["hours_studied"] == 30
