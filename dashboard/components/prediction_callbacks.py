"""The callbacks both prediction pages share: check as typed, reset, predict, what-if and save.

Each page registers them once for its own id prefix and schema; they parse the form, call the
prediction service (the same one the API uses) and render with `prediction_form`."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, html, no_update
from dash.exceptions import PreventUpdate

from dashboard.access import signed_in_user
from dashboard.components import prediction_form as pf
from dashboard.components import prediction_result, toasts, whatif
from modelling import recommend
from modelling.schemas import TaskSchema
from modelling.tasks import task_for
from server.security import client_ip
from services import predictions
from services.errors import InvalidInput, ServiceError


def register(prefix: str, schema: TaskSchema) -> None:
    """Register the prediction page callbacks for the form whose ids start with `prefix`."""
    _register_form(prefix, schema)
    _register_predict(prefix, schema)
    _register_what_if(prefix, schema)
    _register_save(prefix, schema)


def _register_form(prefix: str, schema: TaskSchema) -> None:
    """Check as typed, reset to typical values, and mark a shown result out of date."""
    task = schema.task

    @callback(
        *pf.check_outputs(prefix, schema),
        Output(f"{prefix}-check", "children"),
        Output(f"{prefix}-submit", "disabled"),
        *pf.field_inputs(prefix, schema),
    )
    def check_fields(*raw):
        _, problems, extrapolated = pf.check(schema, pf.read_values(schema, raw))
        return (
            *pf.check_states(schema, problems, extrapolated),
            pf.check_summary(problems, extrapolated, schema),
            bool(problems),
        )

    @callback(
        *[Output(pf.field_id(prefix, name), "value") for name in schema.names],
        Input(f"{prefix}-reset", "n_clicks"),
        prevent_initial_call=True,
    )
    def reset_to_typical(_clicks):
        values = pf.typical_values(task)
        return [pf.NOT_GIVEN if values[name] is None else values[name] for name in schema.names]

    @callback(
        Output(f"{prefix}-stale", "children"),
        Output(f"{prefix}-result-area", "className"),
        Output(f"{prefix}-save", "disabled", allow_duplicate=True),
        *pf.field_inputs(prefix, schema),
        State(f"{prefix}-last", "data"),
        prevent_initial_call=True,
    )
    def mark_out_of_date(*raw_and_last):
        *raw, last = raw_and_last
        if not last:
            raise PreventUpdate
        clean, problems = schema.validate_record(pf.read_values(schema, raw))
        if not problems and clean == last["values"]:
            return None, "", no_update
        # The shown result no longer matches the form: saving it now would store other inputs.
        return pf.out_of_date_notice(), "result-stale", True


def _register_predict(prefix: str, schema: TaskSchema) -> None:
    """Predict from the form and show the result with its what-if sliders."""
    task = schema.task

    @callback(
        Output(f"{prefix}-result", "children"),
        Output(f"{prefix}-whatif", "children"),
        Output(f"{prefix}-last", "data"),
        Output(f"{prefix}-save", "disabled"),
        Output(f"{prefix}-save-status", "children"),
        Output(f"{prefix}-stale", "children", allow_duplicate=True),
        Output(f"{prefix}-result-area", "className", allow_duplicate=True),
        Input(f"{prefix}-submit", "n_clicks"),
        *pf.field_inputs(prefix, schema, State),
        prevent_initial_call=True,
        on_error=toasts.error_handler(prefix),
    )
    def predict(_clicks, *raw):
        values = pf.read_values(schema, raw)
        try:
            result = predictions.predict(task, values, user=signed_in_user(), ip=client_ip())
        except InvalidInput as exc:
            toasts.notify(prefix, "Check the form", pf.problems_text(schema, exc.fields))
            return (no_update,) * 7
        except ServiceError as exc:
            toasts.notify(prefix, "Prediction not available", exc.message)
            return (no_update,) * 7
        clean = schema.validate_record(values)[0]
        bands = predictions.bands_for(task)
        return (
            prediction_result.result_view(prefix, task, result, bands),
            whatif.whatif_view(prefix, schema, clean),
            {"values": clean, "result": result},
            False,
            None,
            None,
            "",
        )


def _register_what_if(prefix: str, schema: TaskSchema) -> None:
    """Predict again as the what-if sliders move."""
    task = schema.task

    @callback(
        Output(f"{prefix}-whatif-result", "children"),
        Input({"type": f"{prefix}-whatif", "field": ALL}, "value"),
        State(f"{prefix}-last", "data"),
        prevent_initial_call=True,
        on_error=toasts.error_handler(prefix),
    )
    def what_if(chosen, last):
        if not last:
            raise PreventUpdate
        names = [item["id"]["field"] for item in ctx.inputs_list[0]]
        row = recommend.what_if(task_for(schema.task), last["values"], dict(zip(names, chosen, strict=True)))
        changes = whatif.changed_fields(schema, last["values"], row)
        if not changes:
            return html.P("Move a slider to compare with your prediction.", className="text-muted mb-0")
        try:
            result = predictions.predict(task, row, user=signed_in_user(), ip=client_ip())
        except InvalidInput as exc:
            return dbc.Alert(pf.problems_text(schema, exc.fields), color="warning", className="mb-0")
        except ServiceError as exc:
            toasts.notify(prefix, "Prediction not available", exc.message)
            return no_update
        bands = predictions.bands_for(task)
        return whatif.whatif_result(prefix, task, last["result"], result, bands, changes)


def _register_save(prefix: str, schema: TaskSchema) -> None:
    """Save the shown prediction."""
    task = schema.task

    @callback(
        Output(f"{prefix}-save-status", "children", allow_duplicate=True),
        Output(f"{prefix}-save", "disabled", allow_duplicate=True),
        Input(f"{prefix}-save", "n_clicks"),
        State(f"{prefix}-last", "data"),
        State(f"{prefix}-student-ref", "value"),
        prevent_initial_call=True,
        on_error=toasts.error_handler(prefix),
    )
    def save(_clicks, last, student_ref):
        if not last:
            raise PreventUpdate
        try:
            user = signed_in_user()
            result = predictions.predict(
                task, last["values"], user=user, save=True, student_ref=student_ref, ip=client_ip()
            )
        except ServiceError as exc:
            toasts.notify(prefix, "Not saved", exc.message)
            return no_update, False
        return pf.saved_message(prefix, result["id"]), True
