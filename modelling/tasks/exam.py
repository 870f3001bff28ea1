"""The exam-score task: a student's exam score (0 to 100) from study habits, wellbeing, home and school,
with its input schema, what-if moves and candidates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from modelling.levels import EXAM_LEVELS
from modelling.moves import Move, numeric_steps, replaced
from modelling.outcomes import Score
from modelling.schemas import CategoryField, NumericField, TaskSchema
from modelling.tasks.task import FormPart, Metric, PredictPage, Task

LMH = ("Low", "Medium", "High")
YES_NO = ("Yes", "No")

SCHEMA = TaskSchema(
    task="exam-score",
    target="exam_score",
    target_headers=("exam_score", "Exam_Score"),
    fields=(
        NumericField(
            "hours_studied",
            "Hours_Studied",
            "Hours studied",
            0,
            60,
            1,
            44,
            "hours per week",
            actionable=True,
            step=1,
            help="Hours of study per week.",
        ),
        NumericField(
            "attendance",
            "Attendance",
            "Attendance",
            0,
            100,
            60,
            100,
            "%",
            actionable=True,
            step=5,
            help="Share of classes attended.",
        ),
        CategoryField(
            "parental_involvement", "Parental_Involvement", "Parental involvement", LMH, ordered=True
        ),
        CategoryField("access_to_resources", "Access_to_Resources", "Access to resources", LMH, ordered=True),
        CategoryField(
            "extracurricular_activities",
            "Extracurricular_Activities",
            "Extracurricular activities",
            YES_NO,
            actionable=True,
        ),
        NumericField(
            "sleep_hours",
            "Sleep_Hours",
            "Sleep",
            0,
            24,
            4,
            10,
            "hours per night",
            actionable=True,
            step=1,
            help="Average hours of sleep per night.",
        ),
        NumericField(
            "previous_scores",
            "Previous_Scores",
            "Previous scores",
            0,
            100,
            50,
            100,
            "points",
            help="Score in previous exams (0 to 100).",
        ),
        CategoryField("motivation_level", "Motivation_Level", "Motivation", LMH, ordered=True),
        CategoryField("internet_access", "Internet_Access", "Internet access", YES_NO),
        NumericField(
            "tutoring_sessions",
            "Tutoring_Sessions",
            "Tutoring sessions",
            0,
            20,
            0,
            8,
            "per month",
            integer=True,
            actionable=True,
            step=1,
        ),
        CategoryField("family_income", "Family_Income", "Family income", LMH, ordered=True),
        CategoryField(
            "teacher_quality", "Teacher_Quality", "Teacher quality", LMH, optional=True, ordered=True
        ),
        CategoryField("school_type", "School_Type", "School type", ("Public", "Private")),
        CategoryField(
            "peer_influence", "Peer_Influence", "Peer influence", ("Positive", "Neutral", "Negative")
        ),
        NumericField(
            "physical_activity",
            "Physical_Activity",
            "Physical activity",
            0,
            20,
            0,
            6,
            "hours per week",
            actionable=True,
            step=1,
        ),
        CategoryField("learning_disabilities", "Learning_Disabilities", "Learning disabilities", YES_NO),
        CategoryField(
            "parental_education_level",
            "Parental_Education_Level",
            "Parental education",
            ("High School", "College", "Postgraduate"),
            optional=True,
            ordered=True,
        ),
        CategoryField(
            "distance_from_home",
            "Distance_from_Home",
            "Distance from home",
            ("Near", "Moderate", "Far"),
            optional=True,
            ordered=True,
        ),
        CategoryField("gender", "Gender", "Gender", ("Male", "Female")),
    ),
)


def exam_moves(row: Mapping[str, Any]) -> list[Move]:
    """Realistic improvements to the exam-score factors a student controls."""
    field = SCHEMA.field
    moves = [
        *numeric_steps(row, field("hours_studied"), [2, 5, 10], "hours per week"),
        *numeric_steps(row, field("attendance"), [5, 10, 20], "%"),
        *numeric_steps(row, field("tutoring_sessions"), [1, 2, 4], "sessions per month"),
        *numeric_steps(row, field("physical_activity"), [1, 2], "hours per week"),
    ]
    sleep = float(row["sleep_hours"])
    for target in (7.0, 8.0):
        if sleep != target and abs(sleep - target) <= 3:
            moves.append(
                Move("sleep_hours", f"Sleep: {sleep:g} → {target:g} hours per night", {"sleep_hours": target})
            )
    if row.get("extracurricular_activities") == "No":
        moves.append(
            Move(
                "extracurricular_activities",
                "Extracurricular activities: No → Yes",
                {"extracurricular_activities": "Yes"},
            )
        )
    return moves


def _candidate(name: str, seed: int) -> Any:
    from modelling.candidates import exam_candidate  # scikit-learn only when training

    return exam_candidate(name, seed, SCHEMA)


def _generate(rows: int, seed: int) -> pd.DataFrame:
    from modelling.synthetic import generate_exam  # SciPy only when generating

    return generate_exam(rows, seed)


EXAM = Task(
    name="exam-score",
    outcome=Score(),
    label="Exam score",
    short_label="Exam score",
    value_label="Predicted exam score",
    value_name="score",
    level_name="level",
    level_label="Predicted level",
    bands_setting="EXAM_LEVELS",
    default_bands=EXAM_LEVELS,
    primary_metric="mae",
    higher_is_better=False,
    metrics=(
        Metric("mae", "MAE", False, "points", headline=True),
        Metric("rmse", "RMSE", False, "points"),
        Metric("r2", "R²", True, headline=True),
        Metric("interval_coverage", "90% interval coverage", None, headline=True),
        Metric("interval_width", "Interval width", False, "points"),
    ),
    candidates=("linear_regression", "huber", "gradient_boosting", "keras_mlp"),
    build=_candidate,
    better=1.0,
    outcome_word="score",
    explain_text="Bars compare you with a typical student of the training data: green helped, red hurt.",
    target_label="Actual exam score",
    actual_label="Actual exam level",
    concern=(-2, None),
    concern_label="Needs improvement or at risk",
    target_unit="points",
    group_attributes=(
        ("gender", "Gender"),
        ("family_income", "Family income"),
        ("school_type", "School type"),
        ("learning_disabilities", "Learning disabilities"),
    ),
    form=FormPart(
        schema=SCHEMA,
        page=PredictPage(
            slug="exam",
            order=10,
            description="Your predicted exam score, why, and what would raise it.",
            intro="Enter your study habits and background; the score, its reasons and what would help "
            "appear on the right.",
        ),
        moves=exam_moves,
        consistent=replaced,
        min_gain=0.05,
        generate=_generate,
        sections=(
            (
                "Study habits",
                ("hours_studied", "attendance", "previous_scores", "tutoring_sessions", "motivation_level"),
            ),
            ("Wellbeing and activities", ("sleep_hours", "physical_activity", "extracurricular_activities")),
            (
                "Home and family",
                (
                    "parental_involvement",
                    "family_income",
                    "parental_education_level",
                    "access_to_resources",
                    "internet_access",
                    "distance_from_home",
                ),
            ),
            ("School and peers", ("teacher_quality", "school_type", "peer_influence")),
            ("About you", ("gender", "learning_disabilities")),
        ),
        bundled_file="exam_scores.csv",
        bundled_rows=6607,
    ),
)
