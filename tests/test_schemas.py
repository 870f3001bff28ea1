"""The input schemas of the data dictionary: every rule, both namings, one row and many."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modelling.tasks import schema_for
from modelling.tasks.dropout import SCHEMA as DROPOUT
from modelling.tasks.exam import SCHEMA as EXAM
from tests.helpers import GOOD_DROPOUT, GOOD_EXAM


def test_good_rows_pass_and_are_canonical():
    clean, problems = EXAM.validate_record({**GOOD_EXAM, "gender": "female", "school_type": " PUBLIC "})
    assert problems == {}
    assert clean["gender"] == "Female" and clean["school_type"] == "Public"
    assert DROPOUT.validate_record(GOOD_DROPOUT) == ({k: float(v) for k, v in GOOD_DROPOUT.items()}, {})


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("hours_studied", 61, "between 0 and 60"),
        ("hours_studied", -1, "between 0 and 60"),
        ("attendance", 100.5, "between 0 and 100"),
        ("sleep_hours", 25, "between 0 and 24"),
        ("previous_scores", "abc", "number"),
        ("tutoring_sessions", 2.5, "whole number"),
        ("tutoring_sessions", 21, "between 0 and 20"),
        ("physical_activity", None, "Required"),
        ("motivation_level", "Very high", "Low, Medium, High"),
        ("gender", "", "Required"),
        ("peer_influence", "Good", "Positive, Neutral, Negative"),
        ("hours_studied", True, "number"),
        ("attendance", float("nan"), "Required"),
    ],
)
def test_exam_field_rules(field, value, reason):
    _, problems = EXAM.validate_record({**GOOD_EXAM, field: value})
    assert list(problems) == [field] and reason in problems[field]


def test_optional_categories_may_be_missing_but_not_wrong():
    for name in ("teacher_quality", "parental_education_level", "distance_from_home"):
        clean, problems = EXAM.validate_record({**GOOD_EXAM, name: None})
        assert problems == {} and clean[name] is None
        assert name in EXAM.validate_record({**GOOD_EXAM, name: "Unknown"})[1]


def test_dropout_cross_field_rules():
    broken_sum = {**GOOD_DROPOUT, "server": 51}
    assert "add up to server + browser" in DROPOUT.validate_record(broken_sum)[1]["server"]
    few_events = {k: 0 for k in GOOD_DROPOUT} | {"study_days": 3, "active_span_days": 3}
    assert "at least one event" in DROPOUT.validate_record(few_events)[1]["study_days"]
    too_many_days = {**GOOD_DROPOUT, "active_span_days": 2, "study_days": 6}
    assert "fit the active span" in DROPOUT.validate_record(too_many_days)[1]["study_days"]
    one_day_span = {**GOOD_DROPOUT, "active_span_days": 5, "study_days": 1}
    assert "active_span_days" in DROPOUT.validate_record(one_day_span)[1]


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("video", -1, "between 0"),
        ("video", 1.5, "whole number"),
        ("active_span_days", 30, "between 0 and 29"),
        ("study_days", 0, "between 1 and 30"),
        ("wiki", "many", "number"),
    ],
)
def test_dropout_field_rules(field, value, reason):
    _, problems = DROPOUT.validate_record({**GOOD_DROPOUT, field: value})
    assert field in problems and reason in problems[field]


def test_extrapolation_is_flagged_not_rejected():
    clean, problems = EXAM.validate_record({**GOOD_EXAM, "attendance": 40, "hours_studied": 50})
    assert problems == {}
    assert EXAM.extrapolated(clean) == ["hours_studied", "attendance"]
    assert EXAM.extrapolated(EXAM.validate_record(GOOD_EXAM)[0]) == []


def test_both_namings_and_case_insensitive_headers():
    original = ["Hours_Studied", "attendance", "PARENTAL_INVOLVEMENT", "Exam_Score"]
    assert EXAM.rename_columns(original, with_target=True) == {
        "Hours_Studied": "hours_studied",
        "attendance": "attendance",
        "PARENTAL_INVOLVEMENT": "parental_involvement",
        "Exam_Score": "exam_score",
    }
    headers = ["lastlog-firstlog", "study days", "Early Events", "late_events", "label", "enrollment_id"]
    assert DROPOUT.rename_columns(headers, with_target=True) == {
        "lastlog-firstlog": "active_span_days",
        "study days": "study_days",
        "Early Events": "early_events",
        "late_events": "late_events",
        "label": "dropout",
    }


def test_frame_validation_reports_each_bad_row_and_keeps_good_ones():
    rows = [
        GOOD_DROPOUT,
        {**GOOD_DROPOUT, "video": "x"},
        {**GOOD_DROPOUT, "server": 1},
        GOOD_DROPOUT,
        {**GOOD_DROPOUT, "study_days": None},
    ]
    frame = pd.DataFrame(rows).astype(str).replace("None", "")
    clean, errors = DROPOUT.validate_frame(frame)
    assert errors.tolist()[0] == "" and errors.tolist()[3] == ""
    assert "video: not a number" in errors[1]
    assert "add up to server + browser" in errors[2]
    assert "study_days: required" in errors[4]
    assert clean.loc[0, "video"] == 6.0


def test_frame_validation_of_categories_and_missing_columns():
    frame = pd.DataFrame([GOOD_EXAM, {**GOOD_EXAM, "gender": "X"}, {**GOOD_EXAM, "teacher_quality": np.nan}])
    clean, errors = EXAM.validate_frame(frame.drop(columns=["sleep_hours"]))
    assert all("sleep_hours: column missing" in e for e in errors)
    clean, errors = EXAM.validate_frame(frame)
    assert errors.tolist() == ["", "gender: must be one of Male, Female", ""]
    assert pd.isna(clean.loc[2, "teacher_quality"])


def test_actionable_fields_exclude_what_a_student_cannot_change():
    actionable = {f.name for f in EXAM.actionable}
    assert not actionable & {
        "gender",
        "family_income",
        "learning_disabilities",
        "school_type",
        "parental_education_level",
    }
    assert {"hours_studied", "attendance", "sleep_hours", "tutoring_sessions"} <= actionable


def test_unknown_task():
    with pytest.raises(KeyError):
        schema_for("height")


def test_categories_are_safe_as_bare_csv_cells():
    """The export writes validated categories without quoting or neutralising (services.records)."""
    for schema in (EXAM, DROPOUT):
        for f in schema.fields:
            for category in getattr(f, "categories", ()):
                assert not any(mark in category for mark in (",", '"', "\n", "\r")), category
                assert not category.startswith(("=", "+", "-", "@", "\t")), category
                assert "null" not in category.lower(), category


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("10", 10.0),
        (" 10 ", 10.0),
        ("1e1", 10.0),
        ("+.5", 0.5),
        ("1_0", None),
        ("true", None),
        ("nan", None),
        ("infinity", None),
        ("1e999", None),
        ("\u0661\u0660", None),
        ("0x10", None),
    ],
)
def test_form_and_csv_agree_on_what_a_number_is(text, number):
    _, problems = EXAM.validate_record({**GOOD_EXAM, "attendance": text})
    clean, errors = EXAM.validate_frame(pd.DataFrame([{**GOOD_EXAM, "attendance": text}]).astype(str))
    if number is None:
        assert "number" in problems["attendance"]
        assert "attendance: not a number" in errors[0]
    else:
        assert problems == {} and errors[0] == "" and clean.loc[0, "attendance"] == number


def test_booleans_are_not_numbers_in_a_frame():
    frame = pd.DataFrame([GOOD_DROPOUT]).assign(video=[True])
    assert "video: not a number" in DROPOUT.validate_frame(frame)[1][0]
