"""The at-risk list: latest dropout prediction per student at or above a threshold, sorted, filtered."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from db.tables import Record, User, utcnow
from services import at_risk_records
from services.errors import Forbidden, InvalidInput

HISTORY = {
    # student: probabilities oldest first (the last one is the latest)
    "A1": [0.2, 0.9],
    "B2": [0.95, 0.3],
    "C3": [0.75],
    "D4": [0.5, 0.6, 0.85],
    "E5": [0.1],
}


def _risk(p: float) -> str:
    return "High" if p >= 0.7 else "Medium" if p >= 0.4 else "Low"


@pytest.fixture
def admin(app, make_user):
    account = make_user("admin")
    now = utcnow()
    with app.app_context():
        for ref, values in HISTORY.items():
            for i, p in enumerate(values):
                Record.add(
                    user=account.id,
                    task="dropout",
                    student_ref=ref,
                    inputs={},
                    outputs={"probability": p, "top_factors": [f"{ref} factor {i}.", "=cmd()"]},
                    model_version=1 + i,
                    value=p,
                    level=_risk(p),
                    created_at=now - timedelta(days=len(values) - i),
                )
        Record.add(
            user=account.id,
            task="exam-score",
            student_ref="A1",
            inputs={},
            outputs={},
            model_version=1,
            value=99.0,
            level="Excellent",
        )
        Record.add(
            user=account.id, task="dropout", inputs={}, outputs={}, model_version=1, value=0.99, level="High"
        )
    return account


def _rows(app, account, **query):
    with app.app_context():
        viewer = User.get_by_id(account.id)
        return at_risk_records.at_risk_rows(viewer, at_risk_records.AtRiskQuery(**query), 0, 100)


def test_latest_prediction_per_student_at_or_above_the_threshold(app, admin):
    rows, total = _rows(app, admin, threshold=0.7)
    assert [r["student_ref"] for r in rows] == ["A1", "D4", "C3"]
    assert total == 3
    assert rows[0]["probability"] == 0.9 and rows[0]["risk_level"] == "High" and rows[0]["model_version"] == 2
    assert rows[0]["top_factors"] == "A1 factor 1. =cmd()"
    rows, total = _rows(app, admin, threshold=0.0)
    assert total == 5 and {r["student_ref"] for r in rows} == set(HISTORY)


def test_ties_on_time_keep_the_newest_row(app, admin):
    with app.app_context():
        latest = Record.select().where(Record.student_ref == "C3").get()
        Record.add(
            user=admin.id,
            task="dropout",
            student_ref="C3",
            inputs={},
            outputs={},
            model_version=9,
            value=0.8,
            level="High",
            created_at=latest.created_at,
        )
    rows, _ = _rows(app, admin, threshold=0.7)
    assert next(r for r in rows if r["student_ref"] == "C3")["model_version"] == 9


def test_sorting_filtering_and_paging(app, admin):
    rows, _ = _rows(app, admin, threshold=0.0, sort=(("student_ref", False),))
    assert [r["student_ref"] for r in rows] == ["A1", "B2", "C3", "D4", "E5"]
    text = {"student_ref": {"filterType": "text", "type": "startsWith", "filter": "D"}}
    assert [r["student_ref"] for r in _rows(app, admin, threshold=0.0, filters=text)[0]] == ["D4"]
    number = {"probability": {"filterType": "number", "type": "inRange", "filter": 0.25, "filterTo": 0.8}}
    assert {r["student_ref"] for r in _rows(app, admin, threshold=0.0, filters=number)[0]} == {"B2", "C3"}
    combined = {
        "risk_level": {
            "filterType": "text",
            "operator": "OR",
            "conditions": [
                {"filterType": "text", "type": "equals", "filter": "Low"},
                {"filterType": "text", "type": "equals", "filter": "Medium"},
            ],
        }
    }
    assert {r["student_ref"] for r in _rows(app, admin, threshold=0.0, filters=combined)[0]} == {"B2", "E5"}
    with app.app_context():
        viewer = User.get_by_id(admin.id)
        page, total = at_risk_records.at_risk_rows(viewer, at_risk_records.AtRiskQuery(threshold=0.0), 2, 4)
    assert total == 5 and [r["student_ref"] for r in page] == ["C3", "B2"]


def test_export_and_history(app, admin):
    with app.app_context():
        viewer = User.get_by_id(admin.id)
        text = at_risk_records.export_csv(viewer, at_risk_records.AtRiskQuery(threshold=0.7))
        history = at_risk_records.student_history(viewer, "D4")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["student_ref"] for r in rows] == ["A1", "D4", "C3"]
    assert rows[0]["top_factors"] == "A1 factor 1. =cmd()"
    assert [h["probability"] for h in history] == [0.5, 0.6, 0.85]


def test_formula_cells_are_neutralised_in_the_export(app, admin):
    with app.app_context():
        Record.add(
            user=admin.id,
            task="dropout",
            student_ref="=HYPERLINK()",
            inputs={},
            outputs={},
            model_version=1,
            value=0.9,
            level="High",
        )
        text = at_risk_records.export_csv(
            User.get_by_id(admin.id), at_risk_records.AtRiskQuery(threshold=0.7)
        )
    assert "'=HYPERLINK()" in text


def test_bad_queries_and_students_are_refused(app, admin, make_user):
    student = make_user()
    with app.app_context():
        viewer = User.get_by_id(admin.id)
        for query in (
            at_risk_records.AtRiskQuery(threshold=1.5),
            at_risk_records.AtRiskQuery(sort=(("inputs", True),)),
            at_risk_records.AtRiskQuery(
                filters={"user_id": {"filterType": "number", "type": "equals", "filter": 1}}
            ),
            at_risk_records.AtRiskQuery(
                filters={"probability": {"filterType": "number", "type": "equals", "filter": "x"}}
            ),
            at_risk_records.AtRiskQuery(
                filters={"student_ref": {"filterType": "text", "type": "regex", "filter": "."}}
            ),
        ):
            with pytest.raises(InvalidInput):
                at_risk_records.at_risk_rows(viewer, query, 0, 10)
        refused = User.get_by_id(student.id)
        with pytest.raises(Forbidden):
            at_risk_records.at_risk_rows(refused, at_risk_records.AtRiskQuery(), 0, 10)
        with pytest.raises(Forbidden):
            at_risk_records.student_history(refused, "A1")
