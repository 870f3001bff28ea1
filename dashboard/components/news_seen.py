"""A tutor's "Mark as seen" on their Home's news: the news stays (a look at a learner and Back keeps it)
until they mark it seen, up to when the page drew it, so that what arrived meanwhile stays new."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from dashboard.access import signed_in_user
from db.tables import utcnow
from services import course_risk
from services.course_overview import flag_level
from services.errors import ServiceError


def control() -> html.Div:
    """The button, and when the news it marks was drawn."""
    return html.Div(
        [
            dbc.Button(
                "Mark as seen",
                id="home-news-seen",
                color="secondary",
                outline=True,
                size="sm",
                n_clicks=0,
                title="Clear these news: what arrives later shows as new",
            ),
            dcc.Store(id="home-news-drawn", data=utcnow().isoformat()),
        ]
    )


def _drawn(value: Any) -> datetime | None:
    try:
        drawn = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None  # not a time this page wrote: now, then
    if drawn is not None and drawn.tzinfo is not None:  # stored times are naive UTC
        drawn = drawn.astimezone(UTC).replace(tzinfo=None)
    return drawn


def register(render: Callable[[dict, str], list]) -> None:
    """The callback marking the news seen, then showing it again with `render(news, level)`."""

    @callback(
        Output("home-news", "children"),
        Input("home-news-seen", "n_clicks"),
        State("home-news-drawn", "data"),
        prevent_initial_call=True,
    )
    def mark_seen(clicks, drawn):
        if not clicks:
            raise PreventUpdate
        user = signed_in_user()
        try:
            course_risk.mark_news_seen(user, _drawn(drawn))
            return render(course_risk.since_last_visit(user), flag_level())
        except ServiceError as exc:
            return dbc.Alert(exc.message, color="danger")
