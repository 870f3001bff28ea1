"""A tutor's "This week" on Home: their worklist (services/tutoring/worklist.py), each learner with what
to do and a way to record it; a recorded action takes the learner off the list and counts as done."""

from __future__ import annotations

import json

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html
from dash.exceptions import PreventUpdate

from dashboard.access import signed_in_user
from dashboard.components.forms import alert
from services.course_overview import risk_levels
from services.errors import ServiceError
from services.links import course_href, enrollment_href
from services.tutoring import actions, worklist

PREFIX = "home-worklist"
LEVEL_COLORS = {0: "danger", 1: "warning"}  # by the level's place, highest first; the rest secondary
KIND_OPTIONS = [{"label": label, "value": kind} for kind, label in actions.ACTION_LABELS.items()]


def _level(item: dict, levels: list[str]) -> dbc.Badge:
    place = levels.index(item["risk_level"]) if item["risk_level"] in levels else len(levels)
    return dbc.Badge(
        f"{item['risk_level']} {item['probability']:.0%}",
        color=LEVEL_COLORS.get(place, "secondary"),
        className="me-2",
    )


def _row(item: dict, levels: list[str]) -> html.Li:
    enrollment = item["enrollment"]
    segment = (
        [html.Span(item["segment_label"], className="fw-semibold"), f": {item['suggested_action']}"]
        if item["segment_label"]
        else []
    )
    return html.Li(
        [
            html.Div(
                [
                    dcc.Link(item["learner_ref"], href=enrollment_href(enrollment), className="fw-semibold"),
                    " in ",
                    dcc.Link(item["course"], href=course_href(item["course"])),
                ],
                className="mb-1",
            ),
            html.Div([_level(item, levels), *segment], className="small mb-1"),
            html.Div(item["reason"], className="small text-muted mb-2") if item["reason"] else None,
            html.Div(
                [
                    dbc.Label(
                        f"Action for {item['learner_ref']}",
                        html_for=_dom_id({"type": f"{PREFIX}-kind", "enrollment": enrollment}),
                        className="visually-hidden",
                    ),
                    dbc.Select(
                        id={"type": f"{PREFIX}-kind", "enrollment": enrollment},
                        options=KIND_OPTIONS,
                        value="contacted",
                        size="sm",
                        style={"maxWidth": "12rem"},
                    ),
                    dbc.Button(
                        "Record",
                        id={"type": f"{PREFIX}-record", "enrollment": enrollment},
                        n_clicks=0,
                        size="sm",
                        color="primary",
                        title=f"Record this action for {item['learner_ref']}",
                    ),
                ],
                className="d-flex flex-wrap gap-2",
            ),
        ],
        className="list-group-item home-worklist-row",
    )


def _dom_id(component_id: dict) -> str:
    """The id a pattern-matching component gets in the page (Dash writes its keys sorted, no spaces)."""
    return json.dumps(component_id, sort_keys=True, separators=(",", ":"))


def render(listing: dict, levels: list[str], message=None) -> list:
    """The section's content: heading, done count, the order in one sentence, the rows."""
    rows = [_row(item, levels) for item in listing["items"]]
    body = (
        html.Ul(rows, className="list-group mb-3", id=PREFIX)
        if rows
        else html.P("No learner to act on this week.", className="text-muted", id=PREFIX)
    )
    return [
        html.Div(
            [
                html.H2("This week", className="h5 mb-0 me-3"),
                dbc.Badge(f"Done this week: {listing['done']}", color="success", id=f"{PREFIX}-done"),
            ],
            className="d-flex align-items-center flex-wrap mb-1",
        ),
        html.P(
            f"Up to {listing['capacity']} learners from your running courses' latest scores; those someone "
            f"acted on in the last {listing['recent_action_days']} days are left out.",
            className="small text-muted mb-1",
        ),
        html.P(listing["order"], className="small mb-2", id=f"{PREFIX}-order"),
        html.Div(message, id=f"{PREFIX}-message"),
        body,
    ]


def section(user) -> html.Div:
    """The "This week" section for `user` (a tutor)."""
    return html.Div(render(worklist.worklist(user), risk_levels()), id=f"{PREFIX}-section", className="mb-3")


def register() -> None:
    """The callback recording a row's action, then showing the list again."""

    @callback(
        Output(f"{PREFIX}-section", "children"),
        Input({"type": f"{PREFIX}-record", "enrollment": ALL}, "n_clicks"),
        State({"type": f"{PREFIX}-kind", "enrollment": ALL}, "value"),
        prevent_initial_call=True,
    )
    def record(clicks, kinds):
        if not ctx.triggered_id or not ctx.triggered[0]["value"]:
            raise PreventUpdate  # the rows were drawn again, nothing was clicked
        enrollment = ctx.triggered_id["enrollment"]
        ids = [state["id"]["enrollment"] for state in ctx.states_list[0]]
        kind = kinds[ids.index(enrollment)] if enrollment in ids else "contacted"
        user = signed_in_user()
        try:
            done = actions.record_action(user, enrollment, kind or "contacted")
            label = actions.ACTION_LABELS.get(done["kind"], done["kind"])
            message = alert(f"Recorded “{label}”.", "success")
        except ServiceError as exc:
            message = alert(exc.message)
        return render(worklist.worklist(user), risk_levels(), message)
