"""Sign in."""

from __future__ import annotations

from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard.access import page
from dashboard.components.forms import alert, text_field
from dashboard.session import start_browser_session
from server.security import client_ip, safe_next
from services import accounts
from services.errors import ServiceError
from services.sign_in_methods import local_passwords_on, providers
from services.sso import REFUSALS

PATH = "/login"
dash.register_page(
    __name__, path=PATH, title="Sign in", name="Sign in", access="public", nav="guest", order=90
)


@page("public", PATH)
def layout(user=None, next: str | None = None, sso_error: str | None = None, **_query):  # noqa: A002
    target = safe_next(next)
    if user is not None:
        return dcc.Location(id="login-already", href=target, refresh=True)
    refusal = REFUSALS.get(sso_error or "", REFUSALS["other"] if sso_error else None)
    body = [
        html.H1("Sign in", className="h4 mb-3"),
        html.Div(alert(refusal) if refusal else None, id="login-message"),
        *_provider_buttons(target),
        *(_password_form() if local_passwords_on() else []),
        dcc.Store(id="login-next", data=target),
        dcc.Location(id="login-redirect", refresh=True),
    ]
    return dbc.Row(dbc.Col(dbc.Card(dbc.CardBody(body)), xs=12, sm=10, md=6, lg=4), justify="center")


def _provider_buttons(target: str) -> list:
    """One "Sign in with <provider>" link per configured provider (a full page load: it leaves the app)."""
    query = urlencode({"next": target})
    return [
        html.A(
            f"Sign in with {item['label']}",
            href=f"/sso/{item['name']}/login?{query}",
            id=f"login-sso-{item['name']}",
            className="btn btn-outline-primary w-100 mb-2",
        )
        for item in providers()
    ] + (
        [html.P("or", className="text-center text-muted my-2")]
        if providers() and local_passwords_on()
        else []
    )


def _password_form() -> list:
    return [
        text_field("login-username", "Username or email", autocomplete="username"),
        text_field("login-password", "Password", input_type="password", autocomplete="current-password"),
        dbc.Button("Sign in", id="login-submit", color="primary", className="w-100", n_clicks=0),
        html.P(
            ["No account yet? ", dcc.Link("Register", href="/register", id="login-register-link")],
            className="mt-3 mb-0 text-muted",
        ),
    ]


@callback(
    Output("login-message", "children"),
    Output("login-redirect", "href"),
    Input("login-submit", "n_clicks"),
    Input("login-password", "n_submit"),
    State("login-username", "value"),
    State("login-password", "value"),
    State("login-next", "data"),
    prevent_initial_call=True,
)
def sign_in(_clicks, _submits, username: str | None, password: str | None, target: str):
    if not username or not password:
        return alert("Enter your username (or email) and password."), no_update
    try:
        user = accounts.authenticate(username, password, ip=client_ip())
    except ServiceError as exc:
        return alert(exc.message), no_update
    start_browser_session(user)
    return None, safe_next(target)
