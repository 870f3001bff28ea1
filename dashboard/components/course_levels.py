"""The Course page's levels block: what the levels mean in this course (the shares they use, the course's
base rate and the High group's expected dropout rate), and for administrators the control that sets or
clears the course's own shares. Ids carry the Course page's prefix."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, html, no_update
from dash.exceptions import PreventUpdate

from dashboard.access import signed_in_user
from dashboard.components import toasts
from dashboard.components.forms import alert
from services.early_warning import course_levels
from services.errors import ServiceError

PREFIX = "course"


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def shares_text(shares: dict[str, Any]) -> str:
    """The shares in words, and whose they are."""
    whose = "this course's own" if shares["source"] == "course" else "the deployment's"
    return f"High: riskiest {shares['high']:.0%}, Medium: next {shares['medium']:.0%} ({whose})"


def _fact(label: str, value: str, fact_id: str, title: str) -> html.Div:
    return html.Div(
        [html.Div(label, className="kpi-label"), html.Div(value, className="fw-semibold", id=fact_id)],
        className="me-4 mb-2",
        title=title,
    )


def levels_facts(levels: dict[str, Any]) -> html.Div:
    """The base rate, the High group's expected dropout rate and the shares, at the latest scored day."""
    flag = levels["flag_level"]
    high = levels["levels"].get(flag)
    at = f" (day {levels['day']})" if levels["day"] is not None else ""
    return html.Div(
        [
            _fact(
                f"Expected dropout rate{at}",
                _percent(levels["base_rate"]),
                f"{PREFIX}-base-rate",
                "The course's base rate: the mean calibrated dropout probability of its scored enrollments.",
            ),
            _fact(
                f"{flag} group's expected dropout rate",
                _percent(high["expected_rate"] if high else None)
                + (f" ({high['count']:,} learners)" if high else ""),
                f"{PREFIX}-high-rate",
                f"The mean calibrated dropout probability of the learners at {flag}.",
            ),
            _fact(
                "Risk levels",
                shares_text(levels["shares"]),
                f"{PREFIX}-shares",
                "Levels are relative "
                "to the course: shares of its enrollments on each scored day, riskiest first.",
            ),
        ],
        className="d-flex flex-wrap mb-2",
    )


def shares_control(shares: dict[str, Any]) -> dbc.Row:
    """An administrator's control: the course's own High and Medium shares (percent), or the deployment's."""
    own = shares["source"] == "course"

    def field(name: str, label: str, value: float) -> dbc.Col:
        return dbc.Col(
            dbc.InputGroup(
                [
                    dbc.InputGroupText(label),
                    dbc.Input(
                        id=f"{PREFIX}-share-{name}",
                        type="number",
                        min=0,
                        max=100,
                        step="any",
                        value=round(value * 100, 2) if own else None,
                        placeholder=f"{value:.0%}"[:-1],
                    ),
                    dbc.InputGroupText("%"),
                ],
                size="sm",
            ),
            xs=6,
            md=2,
        )

    return dbc.Row(
        [
            dbc.Col(html.Span("This course's shares", className="small text-muted"), width="auto"),
            field("high", "High", shares["high"]),
            field("medium", "Medium", shares["medium"]),
            dbc.Col(dbc.Button("Save shares", id=f"{PREFIX}-share-save", size="sm"), width="auto"),
            dbc.Col(
                dbc.Button(
                    "Use the deployment's",
                    id=f"{PREFIX}-share-clear",
                    size="sm",
                    color="secondary",
                    outline=True,
                ),
                width="auto",
            ),
            dbc.Col(html.Div(id=f"{PREFIX}-share-message"), xs=12),
        ],
        className="g-2 mb-2 align-items-center",
        id=f"{PREFIX}-share-control",
    )


@callback(
    Output(f"{PREFIX}-share-message", "children"),
    Output(f"{PREFIX}-shares", "children"),
    Input(f"{PREFIX}-share-save", "n_clicks"),
    Input(f"{PREFIX}-share-clear", "n_clicks"),
    State(f"{PREFIX}-share-high", "value"),
    State(f"{PREFIX}-share-medium", "value"),
    State(f"{PREFIX}-code", "data"),
    prevent_initial_call=True,
    on_error=toasts.error_handler(PREFIX),
)
def save_shares(_save, _clear, high, medium, code):
    if not code or ctx.triggered_id not in (f"{PREFIX}-share-save", f"{PREFIX}-share-clear"):
        raise PreventUpdate
    try:
        clearing = ctx.triggered_id == f"{PREFIX}-share-clear"
        shares = None if clearing else course_levels.parse_shares(high, medium)
        now = course_levels.set_level_shares(signed_in_user(), code, shares)
    except ServiceError as exc:
        return alert(exc.message), no_update
    done = f"Saved: {shares_text(now)}. The next scoring of this course uses them."
    return alert(done, "success"), shares_text(now)
