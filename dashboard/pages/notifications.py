"""Notifications (the bell's page): the user's notifications newest first, the digests of newly flagged
learners with links to each course and enrollment, and "mark all read"."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html
from flask import current_app

from dashboard.access import page, signed_in_user
from dashboard.components.forms import alert
from dashboard.components.shell import code_link, page_header
from dashboard.components.tables import when
from db.tutoring import Notification
from services.tutoring import notifications

PATH = "/notifications"
EMAIL_STATES = {
    "sent": "Also emailed.",
    "pending": "Email on its way.",
    "failed": "The email could not be sent.",
}
dash.register_page(
    __name__,
    path=PATH,
    title="Notifications",
    name="Notifications",
    access="user",
    nav=False,
    order=95,
    description="Digests of learners newly at high risk after each scoring run.",
)


@page("user", PATH)
def layout(user, **_query):
    return html.Div(
        [
            page_header("Notifications", "After each scoring run: the learners newly at high risk."),
            html.Div(
                [
                    dbc.Button(
                        "Mark all read",
                        id="notifications-mark-read",
                        color="secondary",
                        outline=True,
                        n_clicks=0,
                    ),
                    html.Div(id="notifications-message", className="ms-3 flex-grow-1"),
                ],
                className="d-flex align-items-center mb-3",
            ),
            html.Div(notification_list(user), id="notifications-list"),
        ]
    )


def notification_list(user) -> Any:
    """The user's notifications as cards, newest first (a note when there are none)."""
    items = notifications.latest(user)
    if not items:
        return html.P(
            "No notifications yet. After each scoring run, each tutor gets a digest of the learners "
            "newly at high risk in their courses.",
            className="text-muted",
            id="notifications-empty",
        )
    return [_card(item) for item in items]


def _card(item: Notification) -> dbc.Card:
    new = dbc.Badge("New", color="primary", className="ms-2") if item.read_at is None else None
    email = EMAIL_STATES.get(item.email_status)
    content = _digest(item.payload) if item.kind == notifications.DIGEST else [html.P(item.body)]
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2([item.title, new], className="h6 mb-1"),
                html.P(
                    [when(item.created_at), f" · {email}" if email else ""],
                    className="text-muted small mb-2",
                ),
                *content,
            ]
        ),
        className="mb-3" + (" border-primary" if item.read_at is None else ""),
        id=f"notifications-item-{item.id}",
    )


def _digest(payload: dict[str, Any]) -> list[Any]:
    parts: list[Any] = []
    limit = int(current_app.config.get("DIGEST_MAX_PER_COURSE") or notifications.LISTED_PER_COURSE)
    for course in payload.get("courses", []):
        href = f"/course?code={quote(course['code'])}"
        link = code_link(course["code"], href)
        level = payload.get("level", "High")
        parts.append(
            html.H3(
                [link, f" · {course['total']} newly at {level}"],
                className="h6 mt-2",
            )
        )
        learners, more = notifications.listed(course, limit)
        rows = [
            html.Tr(
                [
                    html.Td(
                        dcc.Link(learner["learner"], href=f"/enrollment?id={learner['enrollment']}")
                        if learner["enrollment"] is not None
                        else learner["learner"]  # an erased learner: no page to open
                    ),
                    html.Td(notifications.risk_text(learner)),
                    html.Td("; ".join(learner["reasons"])),
                ]
            )
            for learner in learners
        ]
        head = html.Thead(html.Tr([html.Th("Learner"), html.Th("Risk"), html.Th("Top reasons")]))
        parts.append(dbc.Table([head, html.Tbody(rows)], size="sm", className="mb-1"))
        if more > 0:
            parts.append(
                html.P(
                    [
                        f"… and {more:,} more: ",
                        dcc.Link(f"the full list of {course['code']}", href=href),
                        ".",
                    ],
                    className="small notifications-more",
                )
            )
    return parts


@callback(
    Output("notifications-list", "children"),
    Output("notifications-message", "children"),
    Output("shell-refresh", "data"),
    Input("notifications-mark-read", "n_clicks"),
    prevent_initial_call=True,
)
def mark_read(clicks):
    if not clicks:  # the button was only rendered (page content arrives through a callback)
        raise dash.exceptions.PreventUpdate
    user = signed_in_user()
    marked = notifications.mark_all_read(user)
    message = f"{marked} marked read." if marked else "Nothing was unread."
    return notification_list(user), alert(message, "success"), clicks
