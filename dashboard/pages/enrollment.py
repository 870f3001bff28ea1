"""Enrollment: one learner in one course: activity by day and event type, the daily total against the
course median, risk at each scored day with its reasons, and (staff) the action log with a form."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update
from flask import current_app

from dashboard.access import page, signed_in_user
from dashboard.components.enrollment_figures import activity_heatmap, daily_total_figure
from dashboard.components.figures import graph, level_badge
from dashboard.components.forms import action_kind_options, alert, channel_options
from dashboard.components.shell import page_header, short_code
from dashboard.components.tables import when
from modelling.tasks import EARLY_WARNING
from services import enrollment_timeline
from services.errors import NotFound, ServiceError
from services.links import course_href
from services.tutoring.actions import ACTION_LABELS, takes_channel

PATH = "/enrollment"
TASK = EARLY_WARNING.name
OUTCOMES = {"dropped": "Dropped out", "stayed": "Stayed", None: "Outcome not known yet"}
dash.register_page(
    __name__, path=PATH, title="Enrollment", name="Enrollment", access="user", nav=False, order=95
)


def _missing() -> html.Div:
    return dbc.Alert(
        [
            html.H1("No such enrollment", className="h4 alert-heading"),
            html.P("It does not exist, or your account cannot see it."),
            dbc.Button("Back to home", href="/", color="secondary"),
        ],
        color="warning",
        id="enrollment-missing",
    )


def _header(view: dict[str, Any]) -> html.Div:
    course = view["course"]
    risk = view["risk"]
    badge = (
        level_badge(TASK, risk[-1]["risk_level"], EARLY_WARNING.bands(current_app.config), "enrollment-level")
        if risk
        else None
    )
    course_label = short_code(course["code"]) + (
        f" · {course['title']}" if course["title"] != course["code"] else ""
    )
    return html.Div(
        [
            page_header(f"Learner {view['learner_ref']}"),
            html.Div(
                [
                    html.Span("Course "),
                    # The course page is for its staff: a student sees the course named, not a link to
                    # a page that would say "Not allowed".
                    dcc.Link(course_label, href=course_href(course["code"]), id="enrollment-course",
                             title=course["code"])
                    if view["staff"]
                    else html.Span(course_label, id="enrollment-course", title=course["code"]),
                    html.Span(" · "),
                    html.Span(OUTCOMES.get(view["outcome"], view["outcome"]), id="enrollment-outcome"),
                    html.Span(" · ") if badge else None,
                    badge,
                    # The level is relative to the course: the calibrated probability says how likely,
                    # and the course's average what that probability is high or low against.
                    html.Span(
                        _probability_text(risk[-1], view["course_base_rate"]), id="enrollment-probability"
                    )
                    if risk
                    else None,
                ],
                className="mb-3",
                id="enrollment-header",
            ),
        ]
    )


def _probability_text(latest: dict[str, Any], base_rate: float | None) -> str:
    text = f" {latest['probability']:.0%} dropout probability"
    return text + (f" · course average {base_rate:.0%}" if base_rate is not None else "")


def _reasons(reasons: list[str]) -> html.Ul | str:
    return html.Ul([html.Li(text) for text in reasons], className="mb-0 small") if reasons else "–"


def _risk_table(risk: list[dict[str, Any]]) -> html.Div:
    if not risk:
        return html.P(
            "Not scored yet: risk appears once the course reaches a checkpoint.", id="enrollment-risk"
        )
    bands = EARLY_WARNING.bands(current_app.config)
    names = ("Day", "Checkpoint", "Risk", "Dropout probability", "Reasons for the risk", "In their favour")
    head = html.Thead(html.Tr([html.Th(h) for h in names]))
    rows = [
        html.Tr(
            # data-label: on a phone each row stacks as a card, its cells named (accessibility.css).
            [
                html.Td(value, **{"data-label": name})
                for name, value in zip(
                    names,
                    (
                        row["day"],
                        f"day {row['checkpoint']} model, as of day {row.get('as_of_day', row['day'])}",
                        level_badge(TASK, row["risk_level"], bands),
                        f"{row['probability']:.0%}",
                        _reasons(row["reasons"]),
                        _reasons(row.get("in_favour") or []),
                    ),
                    strict=True,
                )
            ]
        )
        for row in reversed(risk)
    ]
    return dbc.Table([head, html.Tbody(rows)], size="sm", className="stack-on-phone", id="enrollment-risk")


def action_log(actions: list[dict[str, Any]]) -> html.Div:
    """The action log, newest first, or an empty-state line."""
    if not actions:
        return html.P("No action recorded yet.", className="text-muted")
    head = html.Thead(html.Tr([html.Th(h) for h in ("When", "Who", "Action", "Note")]))
    rows = [
        html.Tr(
            [
                html.Td(when(action["created_at"])),
                html.Td(action["username"] or "(deleted user)"),
                html.Td(
                    ACTION_LABELS.get(action["kind"], action["kind"])
                    + (f" ({action['channel']})" if action["channel"] else "")
                ),
                html.Td(action["note"]),
            ]
        )
        for action in actions
    ]
    return dbc.Table([head, html.Tbody(rows)], size="sm", striped=True, responsive=True)


def _action_form() -> dbc.Form:
    kinds = action_kind_options()
    channels = channel_options()
    return dbc.Form(
        dbc.Row(
            [
                dbc.Col(
                    [
                        dbc.Label("Action", html_for="enrollment-kind"),
                        dbc.Select(id="enrollment-kind", options=kinds, value="contacted"),
                    ],
                    md=3,
                ),
                dbc.Col(
                    [
                        dbc.Label("Channel", html_for="enrollment-channel"),
                        dbc.Select(id="enrollment-channel", options=channels, value="email"),
                    ],
                    md=2,
                    id="enrollment-channel-group",
                ),
                dbc.Col(
                    [
                        dbc.Label("Note", html_for="enrollment-note"),
                        dbc.Textarea(id="enrollment-note", rows=1, maxLength=2000),
                    ],
                    md=5,
                ),
                dbc.Col(
                    dbc.Button("Record", id="enrollment-record", color="primary", n_clicks=0),
                    md=2,
                    className="align-self-end",
                ),
            ],
            className="g-2 mb-2",
        ),
        id="enrollment-form",
    )


def _actions_section(view: dict[str, Any]) -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader(html.H2("Actions", className="h6 mb-0")),
            dbc.CardBody(
                [
                    _action_form(),
                    html.Div(id="enrollment-action-message", role="status"),
                    html.Div(action_log(view["actions"]), id="enrollment-actions"),
                ]
            ),
        ],
        className="mb-3",
    )


def _card(title: str, body: Any) -> dbc.Card:
    return dbc.Card(
        [dbc.CardHeader(html.H2(title, className="h6 mb-0")), dbc.CardBody(body)], className="mb-3"
    )


def _contact_card(contact: dict[str, Any]) -> dbc.Card:
    if not contact["email"]:
        body: Any = html.P("No contact details: import them on the Data page.", className="text-muted mb-0")
    else:
        who = f"{contact['name']} <{contact['email']}>" if contact["name"] else contact["email"]
        stopped = contact["unsubscribed_at"]
        body = [
            html.P(who, id="enrollment-contact", className="mb-1"),
            html.P(f"Unsubscribed from nudges on {stopped:%Y-%m-%d}.", className="text-muted mb-0")
            if stopped
            else None,
        ]
    return _card("Contact", body)


def _enrollment_id(raw: Any) -> int | None:
    try:
        value = int(str(raw))
    except (TypeError, ValueError):
        return None
    return value if 0 < value < 2**63 else None


def render(view: dict[str, Any]) -> html.Div:
    """The page for a visible enrollment."""
    activity = [
        graph("enrollment-heatmap", activity_heatmap(view), "Activity by day and event type"),
        graph("enrollment-daily", daily_total_figure(view), "Events per day against the course median"),
    ]
    risk = _card("Risk at each scored day", _risk_table(view["risk"])) if view["risk"] is not None else None
    return html.Div(
        [
            _header(view),
            _card("Activity", activity),
            risk,
            _contact_card(view["contact"]) if view["contact"] is not None else None,
            _actions_section(view) if view["actions"] is not None else None,
            dcc.Store(id="enrollment-id", data=view["id"]),
        ]
    )


@page("user", PATH)
def layout(user, id=None, **_query):  # noqa: A002 (the query parameter's name)
    enrollment_id = _enrollment_id(id)
    if enrollment_id is None:
        return _missing()
    try:
        view = enrollment_timeline.enrollment_view(user, enrollment_id)
    except NotFound:
        return _missing()
    return render(view)


@callback(
    Output("enrollment-channel-group", "style"),
    Output("enrollment-channel", "disabled"),
    Input("enrollment-kind", "value"),
)
def show_channel(kind):
    shown = takes_channel(kind)
    return None if shown else {"display": "none"}, not shown


@callback(
    Output("enrollment-actions", "children"),
    Output("enrollment-action-message", "children"),
    Output("enrollment-note", "value"),
    Input("enrollment-record", "n_clicks"),
    State("enrollment-id", "data"),
    State("enrollment-kind", "value"),
    State("enrollment-channel", "value"),
    State("enrollment-channel", "disabled"),
    State("enrollment-note", "value"),
    prevent_initial_call=True,
)
def record(clicks, enrollment_id, kind, channel, channel_off, note):
    if not clicks or _enrollment_id(enrollment_id) is None:
        return no_update, no_update, no_update
    try:
        actions = enrollment_timeline.record(
            signed_in_user(),
            int(enrollment_id),
            kind,
            None if channel_off else channel,  # a hidden field is not sent, as in a form
            note,
        )
    except ServiceError as exc:
        problems = "; ".join(f"{name}: {text}" for name, text in (exc.fields or {}).items())
        return no_update, alert(f"{exc.message} {problems}".strip()), no_update
    saved = alert(f"Recorded: {ACTION_LABELS.get(kind, kind)}.", color="success")
    return action_log(actions), saved, ""
