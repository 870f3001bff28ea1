"""Create a student account."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard.access import page
from dashboard.components.forms import alert, field_outputs, field_states, text_field
from dashboard.session import start_browser_session
from server.security import client_ip
from services import accounts
from services.errors import ServiceError
from services.sign_in_methods import require_local_passwords

PATH = "/register"
FIELDS = ["username", "email", "full_name", "password", "confirm"]
dash.register_page(
    __name__, path=PATH, title="Register", name="Register", access="public", nav="guest", order=91
)


@page("public", PATH)
def layout(user=None, **_query):
    if user is not None:
        return dcc.Location(id="register-already", href="/", refresh=True)
    return dbc.Row(
        dbc.Col(
            dbc.Card(
                dbc.CardBody(
                    [
                        html.H1("Create your account", className="h4 mb-3"),
                        html.Div(id="register-message"),
                        text_field(
                            "register-username",
                            "Username",
                            autocomplete="username",
                            help_text="3 to 32 letters, digits, dots, dashes or underscores.",
                        ),
                        text_field("register-email", "Email", input_type="email", autocomplete="email"),
                        text_field("register-full-name", "Full name", autocomplete="name"),
                        text_field(
                            "register-password",
                            "Password",
                            input_type="password",
                            autocomplete="new-password",
                            help_text="8 or more characters, hard to guess (no names, no common passwords).",
                        ),
                        text_field(
                            "register-confirm",
                            "Repeat the password",
                            input_type="password",
                            autocomplete="new-password",
                        ),
                        dbc.Button(
                            "Create account",
                            id="register-submit",
                            color="primary",
                            className="w-100",
                            n_clicks=0,
                        ),
                        html.P(
                            ["Already registered? ", dcc.Link("Sign in", href="/login")],
                            className="mt-3 mb-0 text-muted",
                        ),
                        dcc.Location(id="register-redirect", refresh=True),
                    ]
                )
            ),
            xs=12,
            sm=10,
            md=7,
            lg=5,
        ),
        justify="center",
    )


@callback(
    Output("register-message", "children"),
    Output("register-redirect", "href"),
    *[Output(i, p) for i, p in field_outputs("register", FIELDS)],
    Input("register-submit", "n_clicks"),
    State("register-username", "value"),
    State("register-email", "value"),
    State("register-full-name", "value"),
    State("register-password", "value"),
    State("register-confirm", "value"),
    prevent_initial_call=True,
)
def create_account(_clicks, username, email, full_name, password, confirm):
    try:
        require_local_passwords()
        user = accounts.register(
            username or "",
            email or "",
            password or "",
            full_name or "",
            ip=client_ip(),
            confirmation=confirm or "",
        )
    except ServiceError as exc:
        return alert(exc.message), no_update, *field_states("register", FIELDS, exc.fields)
    start_browser_session(user)
    return None, "/", *field_states("register", FIELDS, {})
