"""Every CSV the product writes goes through modelling/cells.py: a learner ref or a course code that
a spreadsheet would run as a formula comes out with a leading `'` in each download and file."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from db.courses import Course, Enrollment
from db.early_warning import ScoringRun
from db.tables import User, utcnow
from modelling.cells import FORMULA_PREFIXES, frame_csv, neutralise
from services import course_activity
from services.early_warning import scoring
from tests.helpers import scored_course

ROOT = Path(__file__).resolve().parents[1]
# Each way a cell can start a formula, the full-width forms included.
DANGEROUS = [
    '=HYPERLINK("http://evil","x")',
    "+1+cmd",
    "-2+3+cmd",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "\uff1dcmd",
    "\uff0bcmd",
    "\uff0dcmd",
    "\uff20SUM(1)",
]
# What writes CSV in the product; only modelling/cells.py may call these directly.
CSV_CALLS = re.compile(r"csv\.writer\(|csv\.DictWriter\(|\.to_csv\b|send_data_frame\(")


def _formula_cells(text: str) -> list[str]:
    rows = csv.reader(io.StringIO(text))
    return [cell for row in rows for cell in row if cell.startswith(FORMULA_PREFIXES)]


def test_no_module_writes_csv_but_through_the_cells_rule():
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("api", "dashboard", "db", "modelling", "server", "services")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path != ROOT / "modelling" / "cells.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if CSV_CALLS.search(line)
    ]
    assert found == [], f"CSV written without modelling/cells.py: {found}"


@pytest.mark.parametrize("value", DANGEROUS)
def test_the_rule_quotes_every_formula_start_and_keeps_plain_numbers(value):
    assert neutralise(value) == "'" + value
    assert neutralise("-1.5") == "-1.5" and neutralise(-2) == -2
    text = frame_csv(pd.DataFrame({value: [value], "n": [-3]}), index=False)
    assert list(csv.reader(io.StringIO(text))) == [["'" + value, "n"], ["'" + value, "-3"]]


def _dangerous_course(code: str) -> dict[str, int]:
    """A scored course whose code and learner refs are each a dangerous form."""
    learners = range(len(DANGEROUS))
    course, ids = scored_course(code, {7: (7, [0.9] * len(DANGEROUS))}, {i: [1] for i in learners})
    for learner, value in enumerate(DANGEROUS):
        Enrollment.update(learner_ref=value).where(Enrollment.id == ids[f"{code}-L{learner}"]).execute()
    return course


def test_the_course_pages_at_risk_download_quotes_formula_learner_refs(app, client, make_user):
    account = make_user("admin")
    with app.app_context():
        _dangerous_course("=C1")
    assert client.post("/api/v1/auth/login", json=account.login_json()).status_code == 200
    body = {
        "output": "course-download.data",
        "outputs": {"id": "course-download", "property": "data"},
        "inputs": [{"id": "course-export", "property": "n_clicks", "value": 1}],
        "state": [
            {"id": "course-filters", "property": "data", "value": {}},
            {"id": "course-grid", "property": "getRowsRequest", "value": None},
            {"id": "course-code", "property": "data", "value": "=C1"},
        ],
        "changedPropIds": ["course-export.n_clicks"],
    }
    csrf = client.get_cookie("csrf_access_token").value
    response = client.post("/_dash-update-component", json=body, headers={"X-CSRF-TOKEN": csrf})
    assert response.status_code == 200, response.get_data(as_text=True)
    text = response.json["response"]["course-download"]["data"]["content"]
    learners = [row[0] for row in csv.reader(io.StringIO(text))][1:]
    assert sorted(learners) == sorted("'" + value for value in DANGEROUS)
    assert _formula_cells(text) == []


def test_the_scoring_file_quotes_formula_course_codes_and_learner_refs(app, tmp_path):
    with app.app_context():
        course = Course(code="@C2")
        run = ScoringRun.create(trigger="cli", status="succeeded", run_date=utcnow().date())
        frame = pd.DataFrame(
            {"probability": [0.9] * len(DANGEROUS), "risk_level": ["High"] * len(DANGEROUS)}
        ).assign(top_factors=[["-reason"]] * len(DANGEROUS), segment="=steady", rank_in_course=1)
        outcome = scoring.Outcome(run, [(course, DANGEROUS, SimpleNamespace(frame=frame, day=7))])
        assert scoring.write_csv(outcome, tmp_path / "scores.csv") == len(DANGEROUS)
    text = (tmp_path / "scores.csv").read_text(encoding="utf-8")
    assert _formula_cells(text) == []
    assert "'@C2" in text and "'\uff1dcmd" in text


def test_the_features_file_quotes_formula_course_codes_and_learner_refs(app, tmp_path):
    with app.app_context():
        _dangerous_course("+C3")
        summary = course_activity.export_features(7, tmp_path / "features.csv", "+C3")
        assert summary.rows == len(DANGEROUS)
        assert User.select().count() == 0
    text = (tmp_path / "features.csv").read_text(encoding="utf-8")
    assert _formula_cells(text) == []
    assert "'+C3" in text and "'-2+3+cmd" in text


def _records_with_dangerous_refs(user_id: int) -> None:
    from db.tables import Record

    for value in DANGEROUS:
        Record.add(user=user_id, task="dropout", student_ref=value, inputs={},
                   outputs={"probability": 0.9, "top_factors": ["=cmd()"]}, model_version=1, value=0.9,
                   level="High")


def test_the_at_risk_page_and_the_records_export_quote_formula_refs(app, client, make_user, bearer):
    from services import at_risk_records

    account = make_user("admin")
    with app.app_context():
        _records_with_dangerous_refs(account.id)
        page_text = at_risk_records.export_csv(
            User.get_by_id(account.id), at_risk_records.AtRiskQuery(threshold=0.5)
        )
    response = client.get("/api/v1/records/export.csv", headers=bearer(account))
    assert response.status_code == 200
    for text in (page_text, response.get_data(as_text=True)):
        assert _formula_cells(text) == []
        refs = {row["student_ref"] for row in csv.DictReader(io.StringIO(text))}
        assert refs == {"'" + value for value in DANGEROUS}
