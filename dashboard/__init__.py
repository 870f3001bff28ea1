"""The Dash app, mounted at / on the Flask server."""

from __future__ import annotations

from pathlib import Path

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html
from flask import Flask

import dashboard.access as access
from dashboard.components.shell import footer, navbar
from dashboard.session import end_browser_session

HERE = Path(__file__).resolve().parent
# Dash's page with the language declared (screen readers pick their voice from it) and the scripts
# straight in the body (Dash's default wraps them in an empty <footer> landmark).
INDEX_STRING = """<!DOCTYPE html>
<html lang="en">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        {%app_entry%}
        {%config%}
        {%scripts%}
        {%renderer%}
    </body>
</html>"""


def shell() -> html.Div:
    """The frame shared by every page."""
    return html.Div(
        [
            dcc.Location(id="shell-url"),
            dcc.Location(id="shell-signout-redirect", refresh=True),
            dcc.Store(id="shell-refresh", data=0),
            html.Div(id="shell-navbar", children=navbar(None, None)),
            html.Main(dbc.Container(dash.page_container, fluid="lg", className="pb-5", id="shell-main")),
            footer(),
        ]
    )


@callback(
    Output("shell-navbar", "children"),
    Input("shell-url", "pathname"),
    Input("shell-refresh", "data"),
)
def render_navbar(pathname: str | None, _refresh: int):
    return navbar(access.signed_in_user(), pathname)


@callback(
    Output("shell-collapse", "is_open"),
    Input("shell-toggler", "n_clicks"),
    State("shell-collapse", "is_open"),
    prevent_initial_call=True,
)
def toggle_navbar(_clicks: int, is_open: bool) -> bool:
    return not is_open


@callback(
    Output("shell-signout-redirect", "href"),
    Input("shell-signout", "n_clicks"),
    prevent_initial_call=True,
)
def sign_out(clicks: int | None) -> str:
    if not clicks:
        raise dash.exceptions.PreventUpdate
    end_browser_session(access.signed_in_user())
    return "/login"


def init_app(server: Flask) -> dash.Dash:
    """Create the Dash app on `server` with local assets and the JWT cookie's CSRF header."""
    app = dash.Dash(
        "dashboard",
        server=server,
        use_pages=True,
        pages_folder=str(HERE / "pages"),
        assets_folder=str(HERE / "assets"),
        title="Student Success Analytics",
        update_title=None,
        index_string=INDEX_STRING,
        suppress_callback_exceptions=True,
        serve_locally=True,
        csrf_token_name="csrf_access_token",
        csrf_header_name="X-CSRF-TOKEN",
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    app.layout = shell
    access.init_app(server)
    server.extensions["dash_app"] = app
    return app
