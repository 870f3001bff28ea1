"""Prediction forms built from the task schemas, their inline checks and the prediction page's layout
(the result, the what-if panel and the toasts are components of their own).

Every field's label, unit, range, categories and help come from `modelling.schemas`; this module
only decides how fields are grouped on screen (any field not placed in a group is shown under
"Other factors", so a new schema field appears on the form without touching this file).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html

from dashboard.components.toasts import toast_area
from modelling.data import typical_row
from modelling.schemas import CategoryField, NumericField, TaskSchema
from modelling.tasks import task_for

NOT_GIVEN = ""


def field_id(prefix: str, name: str) -> str:
    """The component id of a field's input."""
    return f"{prefix}-{name.replace('_', '-')}"


def sections(schema: TaskSchema) -> list[tuple[str, list[NumericField | CategoryField]]]:
    """The schema's fields in on-screen groups; fields no group names go to "Other factors"."""
    placed: set[str] = set()
    result = []
    for title, names in task_for(schema.task).form.sections:
        fields = [schema.field(n) for n in names if n in schema.names]
        placed.update(f.name for f in fields)
        if fields:
            result.append((title, fields))
    rest = [f for f in schema.fields if f.name not in placed]
    if rest:
        result.append(("Other factors", rest))
    return result


def number(value: float) -> int | float:
    """A whole number as an int (so that a control shows 3, not 3.0)."""
    return int(value) if float(value).is_integer() else float(value)


def _range_text(f: NumericField) -> str:
    maximum = "no limit" if f.maximum >= 1_000_000 else number(f.maximum)
    learned = f"{number(f.train_min)}–{number(f.train_max)}"
    return f"Allowed {number(f.minimum)}–{maximum}; the model learned {learned}."


def typical_values(task: str) -> dict[str, Any]:
    """A real, typical row of the bundled data (nearest to the medians and modes): the form's defaults."""
    return typical_row(task)


def initial_values(task: str, saved: Mapping[str, Any] | None) -> dict[str, Any]:
    """The user's last saved inputs when there are any, else a typical row."""
    values = typical_values(task)
    if saved:
        values.update({k: v for k, v in saved.items() if k in values})
    return {k: number(v) if isinstance(v, float) else v for k, v in values.items()}


def field_control(prefix: str, f: NumericField | CategoryField, value: Any) -> html.Div:
    """One labelled input with its help, its invalid-feedback slot and its extrapolation note."""
    control_id = field_id(prefix, f.name)
    unit = getattr(f, "unit", "")
    label = dbc.Label(
        [f.label, html.Span(f" ({unit})", className="text-muted") if unit else None], html_for=control_id
    )
    if isinstance(f, NumericField):
        # No min/max on the input: the browser would send an out-of-range number as empty, hiding
        # the schema's reason; the range is in the help text and checked as the value is typed.
        control = dbc.Input(
            id=control_id,
            type="number",
            value=value,
            step="any",
            inputmode="numeric" if f.integer else "decimal",
            debounce=False,
            required=True,
        )
        help_text = " ".join(part for part in (f.help, _range_text(f)) if part)
    else:
        options = [{"label": c, "value": c} for c in f.categories]
        if f.optional:
            options.append({"label": "Not given", "value": NOT_GIVEN})
        control = dbc.Select(
            id=control_id,
            options=options,
            value=NOT_GIVEN if value is None else value,
            required=not f.optional,
        )
        help_text = f.help or ("Optional." if f.optional else "")
    return html.Div(
        [
            label,
            control,
            dbc.FormFeedback(id=f"{control_id}-feedback", type="invalid"),
            html.Div(id=f"{control_id}-note", className="extrapolation-note", **{"aria-live": "polite"}),
            dbc.FormText(help_text, id=f"{control_id}-help") if help_text else None,
        ],
        className="mb-3",
    )


def form_sections(prefix: str, schema: TaskSchema, values: Mapping[str, Any]) -> list[dbc.Card]:
    """The whole form: one card per group, fields in a responsive grid."""
    cards = []
    for title, fields in sections(schema):
        columns = [dbc.Col(field_control(prefix, f, values.get(f.name)), xs=12, sm=6, xl=4) for f in fields]
        cards.append(
            dbc.Card(
                [dbc.CardHeader(html.H2(title, className="h6 mb-0")), dbc.CardBody(dbc.Row(columns))],
                className="mb-3",
            )
        )
    return cards


def field_inputs(prefix: str, schema: TaskSchema, kind: type = Input) -> list:
    """Input (or State) of every field's value, in schema order."""
    return [kind(field_id(prefix, name), "value") for name in schema.names]


def check_outputs(prefix: str, schema: TaskSchema) -> list[Output]:
    """Per field: invalid flag, reason, warning class and extrapolation note."""
    outputs = []
    for name in schema.names:
        control_id = field_id(prefix, name)
        outputs += [
            Output(control_id, "invalid"),
            Output(f"{control_id}-feedback", "children"),
            Output(control_id, "class_name"),
            Output(f"{control_id}-note", "children"),
        ]
    return outputs


def out_of_date_notice() -> dbc.Alert:
    """What a result says once the form no longer holds the inputs it was predicted from."""
    return dbc.Alert(
        "The inputs changed since this prediction: press Predict to update it before saving.",
        color="warning",
        className="py-2 small mb-2",
    )


def read_values(schema: TaskSchema, raw: Sequence[Any]) -> dict[str, Any]:
    """Form values by field name ("Not given" as None)."""
    return {
        name: (None if value == NOT_GIVEN else value) for name, value in zip(schema.names, raw, strict=True)
    }


def check(schema: TaskSchema, values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """The schema's validation (fields, then cross-field rules) and the extrapolated fields."""
    clean, problems = schema.validate_record(values)
    return clean, problems, schema.extrapolated(clean)


def check_states(schema: TaskSchema, problems: Mapping[str, str], extrapolated: Sequence[str]) -> list[Any]:
    """Values for `check_outputs`, flattened."""
    states: list[Any] = []
    for f in schema.fields:
        reason = problems.get(f.name)
        warned = reason is None and f.name in extrapolated
        note = (
            f"Outside the training range ({number(f.train_min)} to {number(f.train_max)}): "
            "allowed, but the prediction is less reliable."
            if warned
            else ""
        )
        states += [reason is not None, reason or "", "is-extrapolated" if warned else "", note]
    return states


def check_summary(problems: Mapping[str, str], extrapolated: Sequence[str], schema: TaskSchema) -> html.Div:
    """One line under the form: what needs fixing, or what is outside the training range."""
    if problems:
        labels = ", ".join(schema.field(n).label for n in problems)
        return dbc.Alert(
            f"Fix {len(problems)} field{'s' if len(problems) > 1 else ''} before predicting: {labels}.",
            color="danger",
            className="py-2 mb-0",
        )
    if extrapolated:
        labels = ", ".join(schema.field(n).label for n in extrapolated)
        return dbc.Alert(
            f"Allowed, but outside what the model learned from: {labels}. "
            "The prediction will be less reliable.",
            color="warning",
            className="py-2 mb-0",
        )
    return html.Span("All values are valid.", className="text-success small")


def problems_text(schema: TaskSchema, problems: Mapping[str, str]) -> str:
    """Field problems as one sentence per field."""
    return " ".join(f"{schema.field(name).label}: {reason}" for name, reason in problems.items())


def saved_message(prefix: str, record_id: int) -> dbc.Alert:
    """Confirmation after saving, with links to the record and the trend."""
    return dbc.Alert(
        [
            html.Span(f"Saved as record #{record_id}. ", id=f"{prefix}-saved-id"),
            dcc.Link("Open it in Records", href=f"/records?record={record_id}", className="alert-link"),
            " or ",
            dcc.Link("see My trends", href="/trends", className="alert-link"),
            ".",
        ],
        color="success",
        className="mb-0 mt-2",
    )


def prediction_layout(
    prefix: str,
    schema: TaskSchema,
    values: Mapping[str, Any],
    *,
    header: Any,
    model_ready: bool,
    from_saved: bool,
) -> html.Div:
    """The page: form on the left, result, what-if and save on the right (stacked on phones)."""
    task_name = task_for(schema.task).label.lower()
    origin = (
        "The form starts from your last saved prediction."
        if from_saved
        else "The form starts from a typical student of the training data."
    )
    form = [html.P(origin, className="small text-muted"), *form_sections(prefix, schema, values),
            _actions(prefix)]
    cards = [_result_card(prefix, task_name), _whatif_card(prefix), _save_card(prefix)]
    return html.Div(
        [
            header,
            None if model_ready else _no_model(prefix, task_name),
            dbc.Row([dbc.Col(form, xs=12, lg=7), dbc.Col(cards, xs=12, lg=5)]),
            dcc.Store(id=f"{prefix}-last"),
            toast_area(prefix),
        ]
    )


def _no_model(prefix: str, task_name: str) -> dbc.Alert:
    return dbc.Alert(
        f"No {task_name} model is active yet, so predictions are not available. "
        "An administrator can train one on the Models page.",
        color="warning",
        id=f"{prefix}-no-model",
    )


def _actions(prefix: str) -> html.Div:
    return html.Div(
        [
            dbc.Button("Predict", id=f"{prefix}-submit", color="primary", n_clicks=0, className="me-2"),
            dbc.Button(
                "Start from a typical student",
                id=f"{prefix}-reset",
                color="secondary",
                outline=True,
                n_clicks=0,
            ),
            html.Div(id=f"{prefix}-check", className="mt-2", **{"aria-live": "polite"}),
        ],
        className="form-actions mb-4",
    )


def _card(title: str, body: Any) -> dbc.Card:
    header = dbc.CardHeader(html.H2(title, className="h6 mb-0"))
    return dbc.Card([header, dbc.CardBody(body)], className="mb-3")


def _result_card(prefix: str, task_name: str) -> dbc.Card:
    placeholder = html.P(
        "Press Predict to see the result, the reasons behind it and what would help.",
        className="text-muted mb-0",
    )
    return _card(
        f"Predicted {task_name}",
        [
            html.Div(id=f"{prefix}-stale", **{"aria-live": "polite"}),
            html.Div(
                dcc.Loading(html.Div(placeholder, id=f"{prefix}-result"), type="circle"),
                id=f"{prefix}-result-area",
            ),
        ],
    )


def _whatif_card(prefix: str) -> dbc.Card:
    first = html.P("Predict first; then try changes here.", className="text-muted mb-0")
    return _card("What if…", dcc.Loading(html.Div(first, id=f"{prefix}-whatif"), type="dot"))


def _save_card(prefix: str) -> dbc.Card:
    return _card(
        "Save this prediction",
        [
            dbc.Label("Student reference (optional)", html_for=f"{prefix}-student-ref"),
            dbc.Input(id=f"{prefix}-student-ref", maxlength=64, placeholder="e.g. a student number"),
            dbc.FormText("Saved predictions appear on My trends and in Records."),
            html.Div(
                dbc.Button("Save", id=f"{prefix}-save", color="success", disabled=True, n_clicks=0),
                className="mt-2",
            ),
            dcc.Loading(html.Div(id=f"{prefix}-save-status", **{"aria-live": "polite"}), type="dot"),
        ],
    )
