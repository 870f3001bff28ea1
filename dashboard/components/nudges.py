"""The Course page's nudge block: pick a template and who (the selected learners or a segment), preview
the first learner's email, then send it to all of them; what was sent and skipped shows below."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, html, no_update
from dash.exceptions import PreventUpdate
from flask import current_app

from dashboard.access import signed_in_user
from dashboard.components import segments
from dashboard.components.forms import alert
from services.errors import ServiceError
from services.tutoring import nudges

SELECTED = "selected"


def block(prefix: str) -> dbc.Card:
    """The block's controls, preview area and result."""
    templates = [{"label": row.name, "value": row.name} for row in nudges.template_choices()]
    who = [{"label": "The selected learners", "value": SELECTED}] + [
        {"label": f"Segment: {option['label']}", "value": option["value"]}
        for option in segments.segment_options()
    ]
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2("Nudge learners by email", className="h6"),
                dbc.Row(
                    [
                        dbc.Col(
                            [
                                dbc.Label("Template", html_for=f"{prefix}-nudge-template"),
                                dbc.Select(
                                    id=f"{prefix}-nudge-template",
                                    options=templates,
                                    value=templates[0]["value"] if templates else None,
                                ),
                            ],
                            xs=12,
                            md=3,
                        ),
                        dbc.Col(
                            [
                                dbc.Label("To", html_for=f"{prefix}-nudge-who"),
                                dbc.Select(id=f"{prefix}-nudge-who", options=who, value=SELECTED),
                            ],
                            xs=12,
                            md=3,
                        ),
                        dbc.Col(
                            [
                                dbc.Button(
                                    "Preview",
                                    id=f"{prefix}-nudge-preview",
                                    color="secondary",
                                    className="me-2",
                                ),
                                dbc.Button("Send", id=f"{prefix}-nudge-send", color="primary", disabled=True),
                            ],
                            width="auto",
                            className="align-self-end",
                        ),
                    ],
                    className="g-2 mb-2",
                ),
                html.Div(id=f"{prefix}-nudge-shown", **{"aria-live": "polite"}),
            ]
        ),
        className="mb-2",
        id=f"{prefix}-nudge",
    )


def _choice(who: str | None, selected) -> dict:
    if who in (None, SELECTED):
        refs = [row["learner"] for row in selected or [] if isinstance(row, dict) and row.get("learner")]
        return {"learners": refs}
    return {"segment": who}


def _skipped(result: dict) -> html.Ul | None:
    rows = result["skipped"] + result["failed"]
    if not rows:
        return None
    return html.Ul([html.Li(f"{row['learner']}: {row['reason']}") for row in rows], className="small mb-0")


def _preview(prefix: str, result: dict) -> html.Div:
    shown = result["preview"]
    count = result["recipients"]
    head = f"{count} learner{'' if count == 1 else 's'} will get this email (shown for the first):"
    return html.Div(
        [
            html.P(head, className="mb-1"),
            html.Div(
                [
                    html.Div(f"To: {shown['to']}"),
                    html.Div(f"Subject: {shown['subject']}", className="fw-semibold"),
                    html.Pre(shown["text"], className="mb-0", style={"whiteSpace": "pre-wrap"}),
                ],
                className="border rounded p-2 bg-light mb-2",
                id=f"{prefix}-nudge-email",
            ),
            html.P("Not sent:", className="mb-0 small") if result["skipped"] else None,
            _skipped(result),
        ]
    )


def _sent(result: dict) -> html.Div:
    sent, held = len(result["sent"]), len(result["held_back"])
    text = f"Sent to {sent} learner{'' if sent == 1 else 's'}."
    if held:
        text += f" {held} held back at random (not emailed)."
    return html.Div([alert(text, "success"), _skipped(result)])


def _run(template, choice: dict, preview: bool) -> dict:
    settings = nudges.NudgeSettings.from_config(current_app.config)
    code = choice.pop("code")
    return nudges.nudge(signed_in_user(), code, template, preview=preview, settings=settings, **choice)


def register(prefix: str) -> None:
    """The block's callbacks: preview (then Send is enabled for what was previewed), send."""

    @callback(
        Output(f"{prefix}-nudge-shown", "children"),
        Output(f"{prefix}-nudge-send", "disabled"),
        Input(f"{prefix}-nudge-preview", "n_clicks"),
        State(f"{prefix}-nudge-template", "value"),
        State(f"{prefix}-nudge-who", "value"),
        State(f"{prefix}-grid", "selectedRows"),
        State(f"{prefix}-code", "data"),
        prevent_initial_call=True,
    )
    def preview(clicks, template, who, selected, code):
        if not clicks:
            raise PreventUpdate
        choice = _choice(who, selected)
        if choice.get("learners") == []:
            return alert("Select learners in the list first (the boxes on the left).", "warning"), True
        try:
            result = _run(template, {**choice, "code": code}, preview=True)
        except ServiceError as exc:
            return alert(" ".join([exc.message, *exc.fields.values()])), True
        if result["preview"] is None:
            return html.Div(
                [alert("None of these learners can be nudged now.", "warning"), _skipped(result)]
            ), True
        return _preview(prefix, result), False

    @callback(
        Output(f"{prefix}-nudge-send", "disabled", allow_duplicate=True),
        Input(f"{prefix}-nudge-template", "value"),
        Input(f"{prefix}-nudge-who", "value"),
        Input(f"{prefix}-grid", "selectedRows"),
        prevent_initial_call=True,
    )
    def preview_again(*_changed):
        return True  # a changed choice is previewed before it is sent

    @callback(
        Output(f"{prefix}-nudge-shown", "children", allow_duplicate=True),
        Output(f"{prefix}-nudge-send", "disabled", allow_duplicate=True),
        Output(f"{prefix}-version", "data", allow_duplicate=True),
        Input(f"{prefix}-nudge-send", "n_clicks"),
        State(f"{prefix}-nudge-template", "value"),
        State(f"{prefix}-nudge-who", "value"),
        State(f"{prefix}-grid", "selectedRows"),
        State(f"{prefix}-code", "data"),
        State(f"{prefix}-version", "data"),
        prevent_initial_call=True,
    )
    def send(clicks, template, who, selected, code, version):
        if not clicks:
            raise PreventUpdate
        try:
            result = _run(template, {**_choice(who, selected), "code": code}, preview=False)
        except ServiceError as exc:
            return alert(" ".join([exc.message, *exc.fields.values()])), True, no_update
        return _sent(result), True, (version or 0) + 1
