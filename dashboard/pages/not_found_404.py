"""Shown for any path that is not a page."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from dashboard.access import page

dash.register_page(__name__, path="/404", title="Not found", name="Not found", access="public")


@page("public", "/404")
def layout(user=None, **_query):
    return dbc.Alert(
        [
            html.H1("Page not found", className="h4 alert-heading"),
            html.P("There is no page at this address."),
            dbc.Button("Go home", href="/", color="secondary", className="me-2"),
            dbc.Button(
                "Contact support", href="/contact", color="dark", outline=True, id="not-found-404-contact"
            ),
        ],
        color="warning",
    )
