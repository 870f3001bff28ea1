"""LTI (administrators): the addresses a platform (Moodle, Canvas, ...) needs to register this tool, and
the platforms registered here, with a form to add one and a button to remove one."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard.access import page, signed_in_user
from dashboard.components.forms import alert, field_outputs, field_states, text_field
from dashboard.components.shell import page_header
from server.lti import tool_urls
from server.security import client_ip
from services import lti_registry
from services.errors import ServiceError

PATH = "/lti"
PREFIX = "lti"
FIELDS = ["issuer", "client_id", "deployment_ids", "keyset_url", "auth_login_url", "token_url"]
FIELD_IDS = [f"{PREFIX}-{name.replace('_', '-')}" for name in FIELDS]  # as field_outputs names them
LABELS = {
    "issuer": "Issuer (platform ID)",
    "client_id": "Client ID",
    "deployment_ids": "Deployment IDs (one a line)",
    "keyset_url": "Public keyset URL",
    "auth_login_url": "Authentication request URL",
    "token_url": "Access token URL (optional)",
}
URL_LABELS = {
    "launch_url": "Launch URL (also the redirection URI)",
    "login_url": "Login initiation URL",
    "jwks_url": "Public keyset (JWKS) URL",
}
dash.register_page(
    __name__,
    path=PATH,
    title="LTI",
    name="LTI",
    access="admin",
    nav=True,
    order=64,
    description="Register this tool in an LMS (Moodle, Canvas) and the LMSs that launch it.",
)


def _tool_card() -> dbc.Card:
    urls = tool_urls()
    rows = [
        html.Div(
            [
                html.Dt(URL_LABELS[name], className="col-md-4"),
                html.Dd(html.Code(urls[name], id=f"{PREFIX}-{name.replace('_', '-')}"), className="col-md-8"),
            ],
            className="row",
        )
        for name in URL_LABELS
    ]
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2("This tool", className="h5"),
                html.P(
                    "Enter these in the platform's tool registration (LTI 1.3, RSA key from the keyset URL).",
                    className="text-muted small",
                ),
                html.Dl(rows, className="mb-0 text-break"),
            ]
        ),
        className="mb-3",
    )


def _platform_list(items: list[dict]) -> html.Div:
    if not items:
        return html.P("No platform is registered yet.", id=f"{PREFIX}-none")
    head = html.Thead(
        html.Tr([html.Th("Issuer"), html.Th("Client ID"), html.Th("Deployments"), html.Th("Keyset URL")])
    )
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Td(p["issuer"]),
                    html.Td(p["client_id"]),
                    html.Td(", ".join(p["deployment_ids"])),
                    html.Td(p["keyset_url"]),
                ]
            )
            for p in items
        ]
    )
    table = dbc.Table([head, body], bordered=True, size="sm", id=f"{PREFIX}-platforms")
    # A keyset address is long: on a phone the table scrolls, in a region a keyboard can reach.
    named = {"aria-label": "Registered platforms"}
    return html.Div(table, className="table-responsive", tabIndex="0", role="region", **named)


def _remove_options(items: list[dict]) -> list[dict]:
    return [{"label": f"{p['issuer']} ({p['client_id']})", "value": p["id"]} for p in items]


def _form() -> dbc.Card:
    fields = [
        text_field(field_id, LABELS[name])
        for name, field_id in zip(FIELDS, FIELD_IDS, strict=True)
        if name != "deployment_ids"
    ]
    deployments = html.Div(
        [
            dbc.Label(LABELS["deployment_ids"], html_for=f"{PREFIX}-deployment-ids"),
            dbc.Textarea(id=f"{PREFIX}-deployment-ids", rows=2),
            dbc.FormFeedback(id=f"{PREFIX}-deployment-ids-feedback", type="invalid"),
        ],
        className="mb-3",
    )
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2("Register a platform", className="h5"),
                *fields[:2],
                deployments,
                *fields[2:],
                dbc.Button("Register platform", id=f"{PREFIX}-register", color="primary"),
            ]
        ),
        className="mb-3",
    )


@page("admin", PATH)
def layout(user, **_query):
    items = lti_registry.platforms()
    remove = dbc.Card(
        dbc.CardBody(
            [
                html.H2("Remove a platform", className="h5"),
                dbc.Label("Platform", html_for=f"{PREFIX}-remove-choice"),
                dcc.Dropdown(id=f"{PREFIX}-remove-choice", options=_remove_options(items), className="mb-2"),
                dbc.Button("Remove", id=f"{PREFIX}-remove", color="danger", outline=True),
            ]
        ),
        className="mb-3",
    )
    return html.Div(
        [
            page_header(
                "LTI", "Launch this tool from a course in Moodle, Canvas or another LTI 1.3 platform."
            ),
            _tool_card(),
            html.H2("Registered platforms", className="h5"),
            html.Div(_platform_list(items), id=f"{PREFIX}-list"),
            html.Div(id=f"{PREFIX}-message"),
            dbc.Row([dbc.Col(_form(), lg=7), dbc.Col(remove, lg=5)]),
        ]
    )


@callback(
    Output(f"{PREFIX}-message", "children"),
    Output(f"{PREFIX}-list", "children"),
    Output(f"{PREFIX}-remove-choice", "options"),
    *[Output(*pair) for pair in field_outputs(PREFIX, FIELDS)],
    *[Output(field_id, "value") for field_id in FIELD_IDS],
    Input(f"{PREFIX}-register", "n_clicks"),
    *[State(field_id, "value") for field_id in FIELD_IDS],
    prevent_initial_call=True,
)
def register(_clicks, *values):
    try:
        saved = lti_registry.register_platform(
            signed_in_user(), dict(zip(FIELDS, values, strict=True)), client_ip()
        )
    except ServiceError as exc:
        kept = [no_update] * len(FIELDS)  # what was typed stays, to be corrected
        return (alert(exc.message), no_update, no_update, *field_states(PREFIX, FIELDS, exc.fields), *kept)
    items = lti_registry.platforms()
    message = alert(f"Registered {saved['issuer']} ({saved['client_id']}).", "success")
    cleared = [""] * len(FIELDS)  # ready for the next platform
    return (message, _platform_list(items), _remove_options(items), *field_states(PREFIX, FIELDS, {}),
            *cleared)


@callback(
    Output(f"{PREFIX}-message", "children", allow_duplicate=True),
    Output(f"{PREFIX}-list", "children", allow_duplicate=True),
    Output(f"{PREFIX}-remove-choice", "options", allow_duplicate=True),
    Input(f"{PREFIX}-remove", "n_clicks"),
    State(f"{PREFIX}-remove-choice", "value"),
    prevent_initial_call=True,
)
def remove(_clicks, platform_id):
    if not platform_id:
        return alert("Choose a platform to remove."), no_update, no_update
    try:
        gone = lti_registry.remove_platform(signed_in_user(), int(platform_id), client_ip())
    except ServiceError as exc:
        return alert(exc.message), no_update, no_update
    items = lti_registry.platforms()
    return (
        alert(f"Removed {gone['issuer']} ({gone['client_id']}).", "success"),
        _platform_list(items),
        _remove_options(items),
    )
