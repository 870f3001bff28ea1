"""Predict exam score: the 19 factors, checked as they are typed; the score explained; what-if; save."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, html, no_update
from dash.exceptions import PreventUpdate

from dashboard.access import page, signed_in_user
from dashboard.components import prediction_form as pf
from dashboard.components.shell import page_header
from modelling.schemas import EXAM
from server.security import client_ip
from services import models, predictions, trends
from services.errors import InvalidInput, ServiceError

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
        model_ready=any(v.is_active for v in models.versions(TASK)),
        from_saved=saved is not None,
    )


@callback(
    *pf.check_outputs(PREFIX, EXAM),
    Output(f"{PREFIX}-check", "children"),
    Output(f"{PREFIX}-submit", "disabled"),
    *pf.field_inputs(PREFIX, EXAM),
)
def check_fields(*raw):
    _, problems, extrapolated = pf.check(EXAM, pf.read_values(EXAM, raw))
    return (
        *pf.check_states(EXAM, problems, extrapolated),
        pf.check_summary(problems, extrapolated, EXAM),
        bool(problems),
    )


@callback(
    *[Output(pf.field_id(PREFIX, name), "value") for name in EXAM.names],
    Input(f"{PREFIX}-reset", "n_clicks"),
    prevent_initial_call=True,
)
def reset_to_typical(_clicks):
    values = pf.typical_values(TASK)
    return [pf.NOT_GIVEN if values[name] is None else values[name] for name in EXAM.names]


@callback(
    Output(f"{PREFIX}-result", "children"),
    Output(f"{PREFIX}-whatif", "children"),
    Output(f"{PREFIX}-last", "data"),
    Output(f"{PREFIX}-save", "disabled"),
    Output(f"{PREFIX}-save-status", "children"),
    Input(f"{PREFIX}-submit", "n_clicks"),
    *pf.field_inputs(PREFIX, EXAM, State),
    prevent_initial_call=True,
    on_error=pf.error_handler(PREFIX),
)
def predict(_clicks, *raw):
    values = pf.read_values(EXAM, raw)
    try:
        result = predictions.predict(TASK, values, user=signed_in_user(), ip=client_ip())
    except InvalidInput as exc:
        pf.notify(PREFIX, "Check the form", pf.problems_text(EXAM, exc.fields))
        return (no_update,) * 5
    except ServiceError as exc:
        pf.notify(PREFIX, "Prediction not available", exc.message)
        return (no_update,) * 5
    clean = EXAM.validate_record(values)[0]
    bands = predictions.bands_for(TASK)
    return (
        pf.result_view(PREFIX, TASK, result, bands),
        pf.whatif_view(PREFIX, EXAM, clean),
        {"values": clean, "result": result},
        False,
        None,
    )


@callback(
    Output(f"{PREFIX}-whatif-result", "children"),
    Input({"type": f"{PREFIX}-whatif", "field": ALL}, "value"),
    State(f"{PREFIX}-last", "data"),
    prevent_initial_call=True,
    on_error=pf.error_handler(PREFIX),
)
def what_if(chosen, last):
    if not last:
        raise PreventUpdate
    names = [item["id"]["field"] for item in ctx.inputs_list[0]]
    row = pf.apply_what_if(EXAM, last["values"], dict(zip(names, chosen, strict=True)))
    changes = pf.changed_fields(EXAM, last["values"], row)
    if not changes:
        return html.P("Move a slider to compare with your prediction.", className="text-muted mb-0")
    try:
        result = predictions.predict(TASK, row, user=signed_in_user(), ip=client_ip())
    except InvalidInput as exc:
        return dbc.Alert(pf.problems_text(EXAM, exc.fields), color="warning", className="mb-0")
    except ServiceError as exc:
        pf.notify(PREFIX, "Prediction not available", exc.message)
        return no_update
    return pf.whatif_result(PREFIX, TASK, last["result"], result, predictions.bands_for(TASK), changes)


@callback(
    Output(f"{PREFIX}-save-status", "children", allow_duplicate=True),
    Output(f"{PREFIX}-save", "disabled", allow_duplicate=True),
    Input(f"{PREFIX}-save", "n_clicks"),
    State(f"{PREFIX}-last", "data"),
    State(f"{PREFIX}-student-ref", "value"),
    prevent_initial_call=True,
    on_error=pf.error_handler(PREFIX),
)
def save(_clicks, last, student_ref):
    if not last:
        raise PreventUpdate
    try:
        result = predictions.predict(
            TASK, last["values"], user=signed_in_user(), save=True, student_ref=student_ref, ip=client_ip()
        )
    except ServiceError as exc:
        pf.notify(PREFIX, "Not saved", exc.message)
        return no_update, False
    return pf.saved_message(PREFIX, result["id"]), True
