"""The prediction forms are built from the schemas, and the what-if keeps every cross-field rule."""

from __future__ import annotations

import pytest

from modelling.recommend import what_if
from modelling.tasks import DROPOUT as DROPOUT_TASK
from modelling.tasks import EXAM as EXAM_TASK
from modelling.tasks import SCHEMAS
from modelling.tasks.dropout import SCHEMA as DROPOUT
from modelling.tasks.exam import SCHEMA as EXAM
from tests.helpers import GOOD_DROPOUT, GOOD_EXAM


@pytest.fixture
def pf(app):
    """The form helpers (imported once the app, and so the dashboard, exists)."""
    from dashboard.components import prediction_form

    return prediction_form


@pytest.mark.parametrize("schema", list(SCHEMAS.values()), ids=list(SCHEMAS))
def test_every_field_is_on_the_form_exactly_once(pf, schema):
    placed = [f.name for _, fields in pf.sections(schema) for f in fields]
    assert sorted(placed) == sorted(schema.names) and len(placed) == len(set(placed))


@pytest.mark.parametrize("schema", list(SCHEMAS.values()), ids=list(SCHEMAS))
def test_defaults_are_a_valid_row_inside_the_training_range(pf, schema):
    values = pf.typical_values(schema.task)
    clean, problems = schema.validate_record(values)
    assert problems == {} and schema.extrapolated(clean) == []


def test_saved_inputs_replace_the_defaults(pf):
    values = pf.initial_values("exam-score", {**GOOD_EXAM, "hours_studied": 33.0, "unknown": 1})
    assert values["hours_studied"] == 33 and isinstance(values["hours_studied"], int)
    assert "unknown" not in values and values["gender"] == GOOD_EXAM["gender"]


def test_check_reports_reasons_and_extrapolation_per_field(pf):
    _, problems, extrapolated = pf.check(EXAM, {**GOOD_EXAM, "hours_studied": 50, "attendance": 101})
    assert problems == {"attendance": "Must be between 0 and 100 %."} and extrapolated == ["hours_studied"]
    states = pf.check_states(EXAM, problems, extrapolated)
    by_field = dict(zip(EXAM.names, zip(*[iter(states)] * 4, strict=True), strict=True))
    assert by_field["attendance"][:3] == (True, "Must be between 0 and 100 %.", "")
    assert by_field["hours_studied"][:3] == (False, "", "is-extrapolated")
    assert "Outside the training range (1 to 44)" in by_field["hours_studied"][3]
    assert by_field["sleep_hours"] == (False, "", "", "")


def test_form_values_map_not_given_to_missing(pf):
    raw = [GOOD_EXAM[name] for name in EXAM.names]
    raw[EXAM.names.index("teacher_quality")] = pf.NOT_GIVEN
    values = pf.read_values(EXAM, raw)
    assert values["teacher_quality"] is None and EXAM.validate_record(values)[1] == {}


def test_what_if_on_exam_fields_changes_only_those(pf):
    from dashboard.components import whatif

    row = what_if(EXAM_TASK, GOOD_EXAM, {"hours_studied": 25, "extracurricular_activities": "No"})
    assert row == {**GOOD_EXAM, "hours_studied": 25, "extracurricular_activities": "No"}
    assert whatif.changed_fields(EXAM, GOOD_EXAM, row) == [
        "Hours studied: 20 → 25",
        "Extracurricular activities: Yes → No",
    ]


@pytest.mark.parametrize(
    "chosen",
    [
        {"video": 40},
        {"video": 0, "problem": 0, "access": 0},
        {"discussion": 200, "wiki": 30},
        {"study_days": 30},
        {"study_days": 20, "access": 0, "navigate": 0},
        {"late_events": 0},
    ],
)
def test_what_if_on_activity_keeps_every_cross_field_rule(pf, chosen):
    row = what_if(DROPOUT_TASK, GOOD_DROPOUT, {**GOOD_DROPOUT, **chosen})
    assert DROPOUT.validate_record(row)[1] == {}
    assert {name: row[name] for name in chosen} == chosen


def test_what_if_more_study_days_stretch_the_span_and_add_visits(pf):
    sparse = {**GOOD_DROPOUT, "active_span_days": 4, "study_days": 3}
    row = what_if(DROPOUT_TASK, sparse, {"study_days": 9})
    assert row["active_span_days"] == 8 and DROPOUT.validate_record(row)[1] == {}
    few = {name: 0 for name in GOOD_DROPOUT} | {
        "access": 2,
        "server": 2,
        "study_days": 2,
        "active_span_days": 3,
    }
    row = what_if(DROPOUT_TASK, few, {"study_days": 5})
    assert row["access"] == 5 and row["server"] == 5 and DROPOUT.validate_record(row)[1] == {}


def test_what_if_more_videos_are_logged_and_happen_late(pf):
    row = what_if(DROPOUT_TASK, GOOD_DROPOUT, {"video": GOOD_DROPOUT["video"] + 10})
    assert row["server"] + row["browser"] == GOOD_DROPOUT["server"] + GOOD_DROPOUT["browser"] + 10
    assert row["late_events"] == GOOD_DROPOUT["late_events"] + 10
