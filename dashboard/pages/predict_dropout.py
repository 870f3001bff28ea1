"""Predict dropout risk: the 14 activity counts (cross-field rules checked as they are typed); the risk
explained; changes that lower it; what-if; save."""

from __future__ import annotations

import dash

from dashboard.access import page
from dashboard.components import prediction_callbacks
from dashboard.components import prediction_form as pf
from dashboard.components.shell import page_header
from modelling.schemas import DROPOUT
from services import model_versions, trends

PATH = "/predict/dropout"
PREFIX = "predict-dropout"
TASK = DROPOUT.task
dash.register_page(
    __name__,
    path=PATH,
    title="Predict dropout risk",
    name="Dropout risk",
    access="user",
    nav=True,
    nav_roles=("student", "admin"),  # a self-prediction page: not in a tutor's bar
    order=20,
    description="The chance of dropping out of an online course, why, and what lowers it.",
)


@page("user", PATH)
def layout(user, **_query):
    saved = trends.latest_record(user, TASK)
    values = pf.initial_values(TASK, saved.inputs if saved else None)
    return pf.prediction_layout(
        PREFIX,
        DROPOUT,
        values,
        header=page_header(
            "Predict dropout risk",
            "Enter a learner's activity over the last 30 days of a course; the risk, its reasons and the "
            "changes that would lower it appear on the right.",
        ),
        model_ready=any(v.is_active for v in model_versions.versions(TASK)),
        from_saved=saved is not None,
    )


prediction_callbacks.register(PREFIX, DROPOUT)
