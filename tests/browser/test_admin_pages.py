"""The administrator pages as an administrator uses them (headless Chromium against the live server),
and a student refused on every admin page and every admin callback."""

from __future__ import annotations

import csv
import json
import re
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from db.models import Record, User, utcnow
from modelling.synthetic import generate_dropout, generate_exam
from modelling.tasks.exam import SCHEMA as EXAM
from tests.helpers import GOOD_EXAM, PASSWORD, assert_error

ADMIN_PATHS = ("/analytics", "/at-risk", "/batch", "/models", "/users")
ADMIN_PREFIXES = ("analytics-", "at-risk-", "batch-", "models-", "users-")
browser = pytest.mark.browser


def _sign_in(page, account) -> None:
    page.open("/login")
    page.sign_in(account.username, PASSWORD)
    page.wait_for_path("/")


def _wait(page, condition, message: str, timeout: float = 20):
    return page.until(condition, message, timeout)


def _figure_data(page, selector: str) -> str:
    return page.driver.execute_script(
        "const g = document.querySelector(arguments[0] + ' .js-plotly-plot');"
        "return g && g.data ? JSON.stringify(g.data) : null;",
        selector,
    )


def _figure_title(page, selector: str) -> str:
    return page.driver.execute_script(
        "const t = document.querySelector(arguments[0] + ' .gtitle'); return t ? t.textContent : '';",
        selector,
    )


def _download(page, name: str, timeout: float = 20) -> Path:
    path = Path(page.browser.download_path) / name
    _wait(page, lambda: path.is_file() and path.stat().st_size > 0, f"{name} was not downloaded", timeout)
    time.sleep(0.3)
    return path


def _choose(page, dropdown: str, option: str) -> None:
    page.click(dropdown)
    _wait(
        page,
        lambda: any(
            o.text == option for o in page.driver.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option")
        ),
        f"no option {option}",
    )
    next(
        o for o in page.driver.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option") if o.text == option
    ).click()
    page.driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)


def _save_exam_predictions(app, account, count: int) -> None:
    from services import predictions

    frame = generate_exam(count, 17).drop(columns="exam_score")
    with app.app_context():
        user = User.get_by_id(account.id)
        for i, row in enumerate(frame.to_dict("records")):
            values = {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()}
            predictions.predict("exam-score", values, user=user, save=True, student_ref=f"S{i % 12:02d}")


def _click_in(page, graph: str, target: str, fx: float, fy: float) -> None:
    """Click at a fraction of an element inside a figure, at viewport coordinates (SVG elements are
    not reliable origins for WebDriver's pointer)."""
    outer = page.browser.wait_for_element(graph)
    page.driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", outer)
    box, inner = page.driver.execute_script(
        "const r = (e) => { const b = e.getBoundingClientRect();"
        " return [b.left, b.top, b.width, b.height]; };"
        "return [r(arguments[0]), r(arguments[0].querySelector(arguments[1]))];",
        outer,
        target,
    )
    x, y = int(inner[0] + inner[2] * fx), int(inner[1] + inner[3] * fy)
    actions = ActionBuilder(page.driver)
    actions.pointer_action.move_to_location(x - 2, y - 2).pause(0.2).move_to_location(x, y).pause(0.3).click()
    actions.perform()


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
    _save_exam_predictions(app, admin, 60)
    _sign_in(page, admin)
    page.click("#shell-nav-admin")
    page.click("#shell-nav-analytics")
    page.wait_for_path("/analytics")
    page.wait_for_text("#analytics-kpi-rows", "60")
    page.wait_for_text("#analytics-graph-importance .gtitle", "Feature importance of the active model")
    graphs = _analytics_graphs(page)
    assert len(graphs) == 4 + len(EXAM.fields)
    before = {g: _figure_data(page, g) for g in graphs}
    assert all(before.values())

    _choose(page, "button[id*='school_type']", "Private")
    _wait(page, lambda: _kpi_rows(page) not in (None, 60), "the cohort filter changed nothing")
    rows = _kpi_rows(page)
    assert 0 < rows < 60
    page.wait_for_text("#analytics-graph-levels .gtitle", f"n = {rows}")
    after = {g: _figure_data(page, g) for g in _analytics_graphs(page)}
    unchanged = [g for g in graphs if after.get(g) == before[g]]
    assert not unchanged, unchanged

    assert page.driver.find_elements(By.CSS_SELECTOR, '#analytics-graph-levels [data-title*="Download plot"]')
    cells = len(EXAM.numeric) + 1
    _click_in(page, "#analytics-graph-correlation", ".nsewdrag", 0.5 / cells, 1.5 / cells)
    _wait(page, lambda: " vs " in _figure_title(page, "#analytics-graph-scatter"), "no scatter opened")
    assert "Attendance vs Hours studied" in _figure_title(page, "#analytics-graph-scatter")
    assert _figure_data(page, "#analytics-graph-scatter") != "[]"

    page.click('button[id*=\'"figure":"levels"\']')
    with _download(page, "exam-score-records-levels.csv").open() as handle:
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
    _click_in(page, "#analytics-graph-levels", f".bars .point:nth-of-type({tallest}) path", 0.5, 0.5)
    _wait(page, lambda: page.text("#analytics-groups") not in ("", "Every group"), "no group was selected")
    _wait(page, lambda: _kpi_rows(page) not in (None, rows), "clicking a group did not filter")

    # "Clear every filter" also empties the range boxes, so nothing filtered stays on screen.
    _choose(page, "#analytics-range-field", "Hours studied")
    page.fill("#analytics-range-low", "5")
    page.fill("#analytics-range-high", "20")
    page.click("#analytics-range-add")
    page.wait_for_text("#analytics-range-badges", "Hours studied: 5 to 20")
    page.click("#analytics-clear")
    page.wait_for_text("#analytics-kpi-rows", "60")
    _wait(page, lambda: page.text("#analytics-range-badges") == "", "the range filter stayed")
    for box in ("#analytics-range-low", "#analytics-range-high"):
        _wait(
            page, lambda box=box: page.browser.find_element(box).get_attribute("value") == "", f"{box} kept"
        )


@browser
def test_analytics_over_training_data(page, make_user, active_models):
    admin = make_user("admin")
    _sign_in(page, admin)
    page.open("/analytics")
    page.click("label[for='_dbcprivate_radioitems_analytics-source_input_training']")
    page.wait_for_text("#analytics-graph-levels .gtitle", "Actual exam level")
    assert page.browser.wait_for_element("#analytics-date-from").get_attribute("disabled") is not None


def _seed_dropout(app, account) -> None:
    now = utcnow()
    history = {"A1": [0.2, 0.9], "B2": [0.95, 0.3], "C3": [0.75], "D4": [0.5, 0.85], "E5": [0.1]}
    with app.app_context():
        for ref, values in history.items():
            for i, p in enumerate(values):
                Record.add(
                    user=account.id,
                    task="dropout",
                    student_ref=ref,
                    inputs={},
                    outputs={
                        "probability": p,
                        "top_factors": [f"Video events ({i}) raised the dropout risk."],
                    },
                    model_version=1,
                    value=p,
                    level="High" if p >= 0.7 else "Medium" if p >= 0.4 else "Low",
                    created_at=now - timedelta(days=len(values) - i),
                )


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
    _seed_dropout(app, admin)
    _sign_in(page, admin)
    page.open("/at-risk")
    page.wait_for_text("#at-risk-count", "3 students at or above 70%")
    _wait(page, lambda: _grid_students(page) == ["A1", "D4", "C3"], "rows not in risk order")
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

    ticks = _wait(page, ticks, "the history chart has no time axis")
    # Dates on the time axis, not milliseconds since 1970.
    assert ticks and not any(t.replace(",", "").replace(".", "").isdigit() for t in ticks), ticks
    assert any(str(date.today().year) in t or re.search("[A-Z][a-z]{2}", t) for t in ticks), ticks
    page.driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    _wait(page, lambda: not page.driver.find_elements(By.CSS_SELECTOR, "#at-risk-modal.show"), "modal stays")

    page.click("#at-risk-export")
    with _download(page, "at-risk.csv").open() as handle:
        assert [r["student_ref"] for r in csv.DictReader(handle)] == ["A1", "D4", "C3"]

    page.fill("#at-risk-threshold", "0\n")
    page.wait_for_text("#at-risk-count", "5 students at or above 0%")
    _wait(page, lambda: len(_grid_students(page)) == 5, "threshold 0 should list everyone")
    page.fill("#at-risk-grid .ag-floating-filter input", "B")
    _wait(page, lambda: _grid_students(page) == ["B2"], "the student filter did not apply")
    page.fill("#at-risk-grid .ag-floating-filter input", "")

    # A person types a percentage: 70 means 70%.
    page.fill("#at-risk-threshold", "70\n")
    page.wait_for_text("#at-risk-count", "3 students at or above 70%")
    for nonsense in ("170\n", "\n"):
        page.fill("#at-risk-threshold", nonsense)
        page.wait_for_text("#at-risk-message", "percentage from 0 to 100")
        assert "is-invalid" in page.browser.wait_for_element("#at-risk-threshold").get_attribute("class")
        assert "NaN" not in page.text("#at-risk-count") and page.text("#at-risk-count") == ""


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
    _sign_in(page, admin)
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
    with _download(page, "exam-score-scored.csv").open() as handle:
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
    _sign_in(page, admin)
    page.open("/batch")
    page.browser.wait_for_element("#batch-upload input[type=file]").send_keys(str(source))
    page.click("#batch-submit")
    status = page.wait_for_text("#batch-status", "Failed", timeout=30)
    assert "lacks the column" in status and "Traceback" not in page.driver.page_source


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
    _sign_in(page, admin)
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
def test_users_activity_log_then_deactivation_blocks_sign_in(page, make_user):
    admin = make_user("admin")
    student = make_user("student", username="leaving")
    _sign_in(page, admin)
    page.open("/users")
    page.wait_for_text("#users-table", "leaving")
    page.click('#users-row-leaving button[id*="users-active-toggle"]')
    page.wait_for_text("#users-confirm-text", "leaving will be signed out")
    page.click("#users-confirm-yes")
    page.wait_for_text("#users-message", "leaving is now deactivated")
    page.click('#users-row-leaving button[id*="users-activity-open"]')  # found again if re-rendered
    page.wait_for_text("#users-activity-title", "Activity of leaving")
    page.wait_for_text("#users-activity-table", "Account changed by an administrator")
    assert "Account created" in page.text("#users-activity-table")
    page.screenshot("users")
    page.driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    _wait(page, lambda: not page.driver.find_elements(By.CSS_SELECTOR, "#users-activity-modal.show"), "modal")
    page.sign_out()
    page.sign_in(student.username, PASSWORD)
    assert "deactivated" in page.wait_for_text("#login-message", "deactivated")


@browser
def test_student_sees_not_allowed_on_every_admin_page(page, app, make_user):
    admin = make_user("admin")
    _seed_dropout(app, admin)
    student = make_user("student")
    _sign_in(page, student)
    assert not page.driver.find_elements(By.ID, "shell-nav-admin")
    for path in ADMIN_PATHS:
        assert not page.driver.find_elements(By.ID, f"shell-nav-{path[1:].replace('-', '_')}")
        page.open(path)
        assert "Not allowed" in page.wait_for_text("#_pages_content", "Not allowed")
        for secret in ("A1", admin.username, "Feature importance"):
            assert secret not in page.text("#_pages_content")


def _admin_callbacks(app) -> list[dict]:
    """A request body for every callback that reads or writes a component of an admin page."""
    bodies = []
    for output, spec in app.extensions["dash_app"].callback_map.items():
        items = [*spec["inputs"], *spec["state"]]
        ids = [json.loads(i["id"]) if i["id"].startswith("{") else i["id"] for i in items]
        names = [i.get("type", "") if isinstance(i, dict) else i for i in ids]
        if not any(str(n).startswith(ADMIN_PREFIXES) for n in names):
            continue
        entries = [
            {"id": component, "property": item["property"], "value": None}
            for component, item in zip(ids, items, strict=True)
        ]
        count = len(spec["inputs"])
        bodies.append(
            {
                "output": output,
                "outputs": [],
                "inputs": entries[:count],
                "state": entries[count:],
                "changedPropIds": [],
            }
        )
    return bodies


def test_student_is_refused_by_every_admin_callback(app, client, make_user):
    client.get("/_dash-dependencies")
    bodies = _admin_callbacks(app)
    assert len(bodies) >= 30
    student = make_user()
    client.post("/api/v1/auth/login", json=student.login_json())
    csrf = client.get_cookie("csrf_access_token").value
    for body in bodies:
        response = client.post("/_dash-update-component", json=body, headers={"X-CSRF-TOKEN": csrf})
        assert_error(response, 403)
    admin = make_user("admin")
    client.post("/api/v1/auth/login", json=admin.login_json())
    csrf = client.get_cookie("csrf_access_token").value
    users = next(b for b in bodies if b["output"].startswith("..users-table.children"))
    users["outputs"] = [
        {"id": "users-table", "property": "children"},
        {"id": "users-pages", "property": "max_value"},
    ]
    users["inputs"][2]["value"] = 1
    response = client.post("/_dash-update-component", json=users, headers={"X-CSRF-TOKEN": csrf})
    assert response.status_code == 200 and student.username in response.get_data(as_text=True)


def test_analytics_with_no_stored_predictions_draws_no_made_up_figures(page, make_user, active_models):
    admin = make_user("admin")
    _sign_in(page, admin)
    page.open("/analytics")
    page.wait_for_text("#analytics-graph-correlation", "at least two rows", timeout=20)
    levels = page.wait_for_text("#analytics-graph-levels", "No rows in this cohort yet")
    assert "save some" in levels
    # No heatmap cells (no 1.00 diagonal) and no bars with a -1..1 count axis.
    assert _figure_data(page, "#analytics-graph-correlation") == "[]"
    assert _figure_data(page, "#analytics-graph-levels") == "[]"


@browser
def test_a_retrain_under_way_is_shown_when_the_models_page_opens(page, app, make_user, active_models):
    from db.models import Job, User, utcnow
    from modelling.data import LoadedData
    from services import models

    admin = make_user("admin")
    with app.app_context():
        trained = models.train_version(
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
    _sign_in(page, admin)
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


@browser
def test_every_bar_of_the_feature_importance_chart_is_labelled(page, make_user, active_models):
    admin = make_user("admin")
    _sign_in(page, admin)
    page.open("/analytics")
    page.wait_for_text("#analytics-graph-importance .gtitle", "Feature importance of the active model")

    def counts() -> tuple[int, int]:
        return page.driver.execute_script(
            "const g = document.querySelector('#analytics-graph-importance');"
            "return [g.querySelectorAll('.bars .point').length,"
            " Array.from(g.querySelectorAll('.ytick text')).filter(t => t.textContent).length];"
        )

    _wait(page, lambda: counts()[0] >= 19, "the importance bars were not drawn")
    bars, labels = counts()
    assert labels == bars, (bars, labels)
