"""Contact: the deployment's support address and hours (SUPPORT_EMAIL, SUPPORT_HOURS)."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html
from flask import current_app

from dashboard.access import page
from dashboard.components.shell import page_header

PATH = "/contact"
dash.register_page(
    __name__,
    path=PATH,
    title="Contact",
    name="Contact",
    access="public",
    nav=False,
    description="Who to ask for help with this service, and when they answer.",
)


@page("public", PATH)
def layout(user=None, **_query):
    email = current_app.config["SUPPORT_EMAIL"]
    hours = current_app.config["SUPPORT_HOURS"]
    return html.Div(
        [
            page_header("Contact", "Help with this service: your account, a page that fails, a question."),
            dbc.Card(
                dbc.CardBody(
                    [
                        html.P(
                            ["Write to ", html.A(email, href=f"mailto:{email}", id="contact-email"), "."],
                            className="mb-2",
                        ),
                        html.P(["Answered ", html.Span(hours, id="contact-hours"), "."], className="mb-2"),
                        html.P(
                            "Say which page you were on and what you expected; never send your password.",
                            className="text-muted small mb-0",
                        ),
                    ]
                ),
                className="mb-3",
            ),
        ]
    )
