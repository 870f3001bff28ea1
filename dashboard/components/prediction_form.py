"""Prediction forms built from the task schemas, their inline checks, results, what-if panel and toasts.

Every field's label, unit, range, categories and help come from `modelling.schemas`; this module
only decides how fields are grouped on screen (any field not placed in a group is shown under
"Other factors", so a new schema field appears on the form without touching this file).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html, set_props
from flask import current_app

from dashboard.components.figures import (
    bands_legend,
    contributions_figure,
    graph,
    level_badge,
    outcome_figure,
)
from modelling.data import typical_row
from modelling.levels import Bands
from modelling.schemas import CategoryField, NumericField, TaskSchema
from modelling.tasks import schema_for, task_for

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


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def _range_text(f: NumericField) -> str:
    maximum = "no limit" if f.maximum >= 1_000_000 else _number(f.maximum)
    learned = f"{_number(f.train_min)}–{_number(f.train_max)}"
    return f"Allowed {_number(f.minimum)}–{maximum}; the model learned {learned}."


def typical_values(task: str) -> dict[str, Any]:
    """A real, typical row of the bundled data (nearest to the medians and modes): the form's defaults."""
    return typical_row(task)


def initial_values(task: str, saved: Mapping[str, Any] | None) -> dict[str, Any]:
    """The user's last saved inputs when there are any, else a typical row."""
    values = typical_values(task)
    if saved:
        values.update({k: v for k, v in saved.items() if k in values})
    return {k: _number(v) if isinstance(v, float) else v for k, v in values.items()}


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
                [dbc.CardHeader(html.H3(title, className="h6 mb-0")), dbc.CardBody(dbc.Row(columns))],
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
            f"Outside the training range ({_number(f.train_min)} to {_number(f.train_max)}): "
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


def _headline(task: str, result: Mapping[str, Any]) -> str:
    definition = task_for(task)
    return definition.outcome.headline(result[definition.value_name])


def result_view(prefix: str, task: str, result: Mapping[str, Any], bands: Bands) -> html.Div:
    """The prediction: headline value, level, interval, explanation and recommendations."""
    schema = schema_for(task)
    definition = task_for(task)
    value, level = definition.value_and_level(result)
    if not definition.outcome.has_interval:
        detail = html.P(definition.value_text, className="text-muted mb-1")
    else:
        interval = result["interval"]
        detail = html.P(
            f"{interval['level']:.0%} interval: {interval['low']:.1f} to {interval['high']:.1f} points",
            id=f"{prefix}-interval",
            className="text-muted mb-1",
        )
    extrapolated = result.get("extrapolated") or []
    warning = (
        dbc.Alert(
            "Outside the training range: "
            + ", ".join(schema.field(n).label for n in extrapolated)
            + ". Read this prediction with more caution.",
            color="warning",
            className="py-2",
        )
        if extrapolated
        else None
    )
    factors = result.get("top_factors") or []
    return html.Div(
        [
            html.Div(
                [
                    html.Span(
                        _headline(task, result), id=f"{prefix}-value", className="display-5 fw-semibold me-3"
                    ),
                    level_badge(task, level, bands, badge_id=f"{prefix}-level"),
                ],
                className="d-flex align-items-center flex-wrap",
            ),
            detail,
            html.P(
                f"Model version {result['model_version']} ({result.get('algorithm', '')}).",
                className="small text-muted",
                id=f"{prefix}-version",
            ),
            warning,
            graph(
                f"{prefix}-outcome-graph",
                outcome_figure(task, value, bands, result.get("interval")),
                "Prediction on the level bands",
            ),
            bands_legend(task, bands),
            html.H3("Why", className="h6 mt-3"),
            html.Ul([html.Li(text) for text in factors], className="small") if factors else None,
            html.P(
                task_for(task).explain_text,
                className="small text-muted mb-0",
            ),
            graph(
                f"{prefix}-contributions-graph",
                contributions_figure(task, result["contributions"]),
                "Contribution of each factor",
            ),
            recommendations_view(prefix, task, result),
        ]
    )


def recommendations_view(prefix: str, task: str, result: Mapping[str, Any]) -> html.Div:
    """The changes the model expects to help most, with their predicted gain."""
    items = result.get("recommendations") or []
    definition = task_for(task)
    title = definition.form.recommend_title
    if not items:
        body = html.P(
            "No realistic change to the factors you control improves this prediction noticeably.",
            className="text-muted small",
        )
    else:
        rows = []
        for item in items:
            gain = definition.outcome.gain_text(item["gain"], item["predicted"])
            rows.append(
                dbc.ListGroupItem(
                    [html.Span(item["change"]), dbc.Badge(gain, color="success", className="ms-2 text-wrap")],
                    className="d-flex justify-content-between align-items-center flex-wrap",
                )
            )
        body = dbc.ListGroup(rows, id=f"{prefix}-recommendations", flush=True)
    return html.Div([html.H3(title, className="h6 mt-3"), body])


def whatif_id(prefix: str, name: str) -> dict[str, str]:
    """Pattern-matching id of one what-if control."""
    return {"type": f"{prefix}-whatif", "field": name}


def whatif_view(prefix: str, schema: TaskSchema, values: Mapping[str, Any]) -> html.Div:
    """Sliders (and switches) for the factors a student can change, starting at the entered values."""
    controls = []
    for f in schema.actionable:
        value = values.get(f.name)
        label_id = f"{prefix}-whatif-label-{f.name.replace('_', '-')}"
        if isinstance(f, NumericField):
            low = min(f.train_min, value)
            high = max(f.train_max, value)
            step = 1 if f.integer or high - low > 20 else 0.5
            control = dcc.Slider(
                id=whatif_id(prefix, f.name),
                min=_number(low),
                max=_number(high),
                step=step,
                value=value,
                marks={_number(low): str(_number(low)), _number(high): str(_number(high))},
                tooltip={"placement": "bottom", "always_visible": True},
                updatemode="mouseup",
                allow_direct_input=False,
            )
            text = f"{f.label} ({f.unit})" if f.unit else f.label
        else:
            control = dbc.RadioItems(
                id=whatif_id(prefix, f.name),
                options=[{"label": c, "value": c} for c in f.categories],
                value=value,
                inline=True,
            )
            text = f.label
        controls.append(
            html.Div(
                [html.Div(text, id=label_id, className="form-label mb-1 small fw-semibold"), control],
                role="group",
                className="mb-3",
                **{"aria-labelledby": label_id},
            )
        )
    return html.Div(
        [
            html.P(
                "Move a slider: the prediction updates as soon as you let go (or press an arrow key). "
                "Only factors you can change are here.",
                className="small text-muted",
            ),
            *controls,
            html.Div(
                html.P("Move a slider to compare with your prediction.", className="text-muted mb-0"),
                id=f"{prefix}-whatif-result",
                className="whatif-result",
                **{"aria-live": "polite"},
            ),
        ]
    )


def changed_fields(schema: TaskSchema, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """'Label: a → b' for every field that differs."""
    lines = []
    for f in schema.fields:
        a, b = before.get(f.name), after.get(f.name)
        if a != b and not (
            isinstance(a, int | float) and isinstance(b, int | float) and float(a) == float(b)
        ):
            show = _number if isinstance(f, NumericField) else str
            lines.append(f"{f.label}: {show(a)} → {show(b)}")
    return lines


def whatif_result(
    prefix: str,
    task: str,
    original: Mapping[str, Any],
    result: Mapping[str, Any],
    bands: Bands,
    changes: list[str],
) -> html.Div:
    """The what-if prediction and its difference from the original one."""
    definition = task_for(task)
    before, _ = definition.value_and_level(original)
    after, level = definition.value_and_level(result)
    diff = after - before
    delta = definition.outcome.difference(diff)
    better = definition.is_better(before, after)
    color = "text-success" if better else ("text-danger" if abs(diff) > 1e-9 else "text-muted")
    return html.Div(
        [
            html.Div(
                [
                    html.Span("What if: ", className="me-1"),
                    html.Span(
                        _headline(task, result),
                        id=f"{prefix}-whatif-value",
                        className="fs-3 fw-semibold me-2",
                    ),
                    level_badge(task, level, bands),
                ],
                className="d-flex align-items-center flex-wrap",
            ),
            html.P(
                [
                    html.Span(delta, id=f"{prefix}-whatif-delta", className=f"fw-semibold {color}"),
                    f" vs your prediction ({_headline(task, original)}).",
                ],
                className="mb-1",
            ),
            html.Ul([html.Li(line) for line in changes], className="small text-muted mb-0")
            if changes
            else None,
        ]
    )


def toast_area(prefix: str) -> dbc.Toast:
    """The page's toast for errors and confirmations (top right, closes itself)."""
    return dbc.Toast(
        id=f"{prefix}-toast",
        header="",
        is_open=False,
        dismissable=True,
        duration=8000,
        className="page-toast",
    )


def notify(prefix: str, header: str, message: Any, icon: str = "danger") -> None:
    """Show the page's toast from inside a callback."""
    set_props(f"{prefix}-toast", {"header": header, "children": message, "icon": icon, "is_open": True})


def error_handler(prefix: str) -> Callable[[Exception], None]:
    """A callback's `on_error`: log the exception and tell the user in a toast, never a traceback."""

    def handle(error: Exception) -> None:
        current_app.logger.exception("Dashboard callback failed", exc_info=error)
        notify(prefix, "Something went wrong", "That did not work. Please try again in a moment.")

    return handle


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
    notice = (
        dbc.Alert(
            f"No {task_name} model is active yet, so predictions are not available. "
            "An administrator can train one on the Models page.",
            color="warning",
            id=f"{prefix}-no-model",
        )
        if not model_ready
        else None
    )
    origin = (
        "The form starts from your last saved prediction."
        if from_saved
        else "The form starts from a typical student of the training data."
    )
    actions = html.Div(
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
    placeholder = html.P(
        "Press Predict to see the result, the reasons behind it and what would help.",
        className="text-muted mb-0",
    )
    result = dbc.Card(
        [
            dbc.CardHeader(html.H3(f"Predicted {task_name}", className="h6 mb-0")),
            dbc.CardBody(
                [
                    html.Div(id=f"{prefix}-stale", **{"aria-live": "polite"}),
                    html.Div(
                        dcc.Loading(html.Div(placeholder, id=f"{prefix}-result"), type="circle"),
                        id=f"{prefix}-result-area",
                    ),
                ]
            ),
        ],
        className="mb-3",
    )
    whatif = dbc.Card(
        [
            dbc.CardHeader(html.H3("What if…", className="h6 mb-0")),
            dbc.CardBody(
                dcc.Loading(
                    html.Div(
                        html.P("Predict first; then try changes here.", className="text-muted mb-0"),
                        id=f"{prefix}-whatif",
                    ),
                    type="dot",
                )
            ),
        ],
        className="mb-3",
    )
    save = dbc.Card(
        [
            dbc.CardHeader(html.H3("Save this prediction", className="h6 mb-0")),
            dbc.CardBody(
                [
                    dbc.Label("Student reference (optional)", html_for=f"{prefix}-student-ref"),
                    dbc.Input(id=f"{prefix}-student-ref", maxlength=64, placeholder="e.g. a student number"),
                    dbc.FormText("Saved predictions appear on My trends and in Records."),
                    html.Div(
                        dbc.Button("Save", id=f"{prefix}-save", color="success", disabled=True, n_clicks=0),
                        className="mt-2",
                    ),
                    dcc.Loading(html.Div(id=f"{prefix}-save-status", **{"aria-live": "polite"}), type="dot"),
                ]
            ),
        ],
        className="mb-3",
    )
    return html.Div(
        [
            header,
            notice,
            dbc.Row(
                [
                    dbc.Col(
                        [
                            html.P(origin, className="small text-muted"),
                            *form_sections(prefix, schema, values),
                            actions,
                        ],
                        xs=12,
                        lg=7,
                    ),
                    dbc.Col([result, whatif, save], xs=12, lg=5),
                ]
            ),
            dcc.Store(id=f"{prefix}-last"),
            toast_area(prefix),
        ]
    )
