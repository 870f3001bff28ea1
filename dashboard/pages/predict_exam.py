"""Predict exam score: the 19 factors, checked as they are typed; the score explained; what-if; save."""

from __future__ import annotations

import dash

from dashboard.access import page
from dashboard.components import prediction_callbacks
from dashboard.components import prediction_form as pf
from dashboard.components.shell import page_header
from modelling.schemas import EXAM
from services import model_versions, trends

PATH = "/predict/exam-score"
PREFIX = "predict-exam"
TASK = EXAM.task
dash.register_page(
    __name__,
    path=PATH,
    title="Predict exam score",
    name="Exam score",
    access="user",
    nav=True,
    nav_roles=("student", "admin"),  # a self-prediction page: not in a tutor's bar
    order=10,
    description="Your predicted exam score, why, and what would raise it.",
)


@page("user", PATH)
def layout(user, **_query):
    saved = trends.latest_record(user, TASK)
    values = pf.initial_values(TASK, saved.inputs if saved else None)
    return pf.prediction_layout(
        PREFIX,
        EXAM,
        values,
        header=page_header(
            "Predict exam score",
            "Enter your study habits and background; the score, its reasons and what would help appear "
            "on the right.",
        ),
        model_ready=any(v.is_active for v in model_versions.versions(TASK)),
        from_saved=saved is not None,
    )


prediction_callbacks.register(PREFIX, EXAM)
