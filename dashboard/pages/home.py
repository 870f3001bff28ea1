"""Home: a summary for the signed-in user's role."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from dashboard.access import page
from dashboard.components.shell import page_header

PATH = "/"
dash.register_page(__name__, path=PATH, title="Home", name="Home", access="user", nav=True, order=0)


def _link_card(title: str, text: str, href: str) -> dbc.Col:
    return dbc.Col(
        dbc.Card(
            dbc.CardBody(
                [
                    html.H3(title, className="h5"),
                    html.P(text, className="text-muted"),
                    dbc.Button("Open", href=href, color="primary", outline=True, size="sm"),
                ]
            ),
            className="h-100",
        ),
        xs=12,
        md=6,
        lg=4,
        className="mb-3",
    )


def _pages_for(user) -> list[dbc.Col]:
    entries = sorted(
        (
            e
            for e in dash.page_registry.values()
            if e.get("nav") is True
            and e["path"] != PATH
            and (e.get("access") in ("user", "public") or user.is_admin)
        ),
        key=lambda e: e.get("order", 100),
    )
    return [_link_card(e["name"], e.get("description") or "", e["path"]) for e in entries]


@page("user", PATH)
def layout(user, **_query):
    role = "administrator" if user.is_admin else "student"
    return html.Div(
        [
            page_header(f"Welcome, {user.full_name or user.username}", f"You are signed in as a {role}."),
            dbc.Row(_pages_for(user), id="home-pages"),
        ]
    )
