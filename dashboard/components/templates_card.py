"""The Data page's card for nudge templates: pick one (or a new one), edit its name, subject and body,
save; an unknown placeholder is refused with the field named."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, html, no_update

from dashboard.access import signed_in_user
from dashboard.components.forms import alert
from services.errors import ServiceError
from services.tutoring import nudge_templates

PREFIX = "data-templates"
NEW = "new"


def _options() -> list[dict[str, str]]:
    rows = nudge_templates.templates()
    return [{"label": row["name"], "value": str(row["id"])} for row in rows] + [
        {"label": "New template", "value": NEW}
    ]


def _input(label: str, field: str, control) -> html.Div:
    return html.Div([dbc.Label(label, html_for=f"{PREFIX}-{field}"), control], className="mb-2")


def templates_card() -> dbc.Card:
    """The card, showing the first template."""
    options = _options()
    placeholders = ", ".join("{" + name + "}" for name in nudge_templates.PLACEHOLDERS)
    return dbc.Card(
        [
            dbc.CardHeader(html.H2("Nudge templates", className="h5 mb-0")),
            dbc.CardBody(
                [
                    html.P(
                        f"The emails tutors send from the Course page. Placeholders: {placeholders}.",
                        className="text-muted",
                    ),
                    _input(
                        "Template",
                        "pick",
                        dbc.Select(id=f"{PREFIX}-pick", options=options, value=options[0]["value"]),
                    ),
                    _input("Name", "name", dbc.Input(id=f"{PREFIX}-name", maxLength=100)),
                    _input("Subject", "subject", dbc.Input(id=f"{PREFIX}-subject", maxLength=200)),
                    _input("Body", "body", dbc.Textarea(id=f"{PREFIX}-body", rows=8, maxLength=5000)),
                    dbc.Button("Save the template", id=f"{PREFIX}-save", color="primary", className="mb-2"),
                    html.Div(id=f"{PREFIX}-message"),
                ]
            ),
        ],
        className="mb-3",
        id=f"{PREFIX}-card",
    )


@callback(
    Output(f"{PREFIX}-name", "value"),
    Output(f"{PREFIX}-subject", "value"),
    Output(f"{PREFIX}-body", "value"),
    Input(f"{PREFIX}-pick", "value"),
)
def show_template(picked):
    if picked in (None, NEW):
        return "", "", ""
    found = {str(row["id"]): row for row in nudge_templates.templates()}.get(picked)
    return (found["name"], found["subject"], found["body"]) if found else ("", "", "")


@callback(
    Output(f"{PREFIX}-message", "children"),
    Output(f"{PREFIX}-pick", "options"),
    Output(f"{PREFIX}-pick", "value"),
    Input(f"{PREFIX}-save", "n_clicks"),
    State(f"{PREFIX}-pick", "value"),
    State(f"{PREFIX}-name", "value"),
    State(f"{PREFIX}-subject", "value"),
    State(f"{PREFIX}-body", "value"),
    prevent_initial_call=True,
)
def save(clicks, picked, name, subject, body):
    if not clicks:
        return no_update, no_update, no_update
    template_id = None if picked in (None, NEW) else int(picked)
    try:
        saved = nudge_templates.save(signed_in_user(), template_id, name or "", subject or "", body or "")
    except ServiceError as exc:
        details = html.Ul([html.Li(f"{field}: {reason}") for field, reason in exc.fields.items()])
        return alert([exc.message, details]), no_update, no_update
    return alert(f"Saved “{saved['name']}”.", "success"), _options(), str(saved["id"])
