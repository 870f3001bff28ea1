"""The Data page's card for platforms' API keys: create one (its secret shown once, with its course
limits), list them, revoke one after a confirmation."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from dashboard.access import signed_in_user
from dashboard.components.confirm import confirm_dialog, confirmed
from dashboard.components.forms import alert
from dashboard.components.tables import header_row, when
from db.api_keys import SCOPES
from server.security import client_ip
from services import api_keys
from services.errors import ServiceError


def keys_card() -> dbc.Card:
    """The card: create a key (its secret shown once), the keys listed, revoke one after a confirmation."""
    return dbc.Card(
        [
            dbc.CardHeader(html.H2("API keys", className="h5 mb-0")),
            dbc.CardBody(
                [
                    html.P(
                        [
                            "A platform's nightly job sends its key in the ",
                            html.Code(api_keys.HEADER),
                            " header to POST /api/v1/activity, sends xAPI statements to"
                            " /api/v1/xapi/ as an LRS credential, or Caliper envelopes to /api/v1/caliper"
                            " as a bearer token; a key can do nothing else.",
                        ],
                        className="text-muted",
                    ),
                    _create_form(),
                    html.Div(id="data-key-secret"),
                    html.Div(id="data-keys-message"),
                    dcc.Loading(html.Div(id="data-keys-table")),
                    dcc.Store(id="data-keys-version", data=0),
                    confirm_dialog("data-keys", "Revoke this key?", "Yes, revoke it"),
                ]
            ),
        ],
        className="mb-3",
        id="data-keys-card",
    )


def _create_form() -> dbc.Row:
    """Name, scope, courses and limits of a new key."""
    return dbc.Row(
        [
            dbc.Col(
                [
                    dbc.Label("Name", html_for="data-key-name"),
                    dbc.Input(id="data-key-name", placeholder="e.g. moodle-nightly", maxLength=64),
                    dbc.FormFeedback(id="data-key-name-feedback", type="invalid"),
                ],
                md=5,
            ),
            dbc.Col(
                [
                    dbc.Label("Scope", html_for="data-key-scope"),
                    dbc.Select(
                        id="data-key-scope",
                        options=[{"label": "ingest: push activity only", "value": s} for s in SCOPES],
                        value=SCOPES[0],
                    ),
                ],
                md=4,
            ),
            dbc.Col(
                dbc.Button("Create key", id="data-key-create", color="primary"), md=3, className="mt-auto"
            ),
            dbc.Col(
                [
                    dbc.Label("Courses (blank: every course)", html_for="data-key-courses"),
                    dbc.Input(id="data-key-courses", placeholder="e.g. MOOC-*, BIO-101", maxLength=2000),
                ],
                md=5,
            ),
            dbc.Col(
                dbc.Checklist(
                    id="data-key-limits",
                    options=[
                        {"label": "may create courses", "value": "may_create_courses"},
                        {"label": "may push into finished courses", "value": "may_push_finished"},
                    ],
                    value=[],
                ),
                md=7,
                className="mt-auto",
            ),
        ],
        className="mb-3 g-2",
    )


def _secret_shown_once(name: str, secret: str, prefix: str | None = None) -> dbc.Alert:
    return dbc.Alert(
        [
            html.Div([html.Strong(f"Key {name} created. "), "Copy it now: it is shown only once."]),
            html.Div(
                [
                    html.Code(secret, id="data-key-secret-value", className="user-select-all me-2"),
                    dcc.Clipboard(target_id="data-key-secret-value", title="Copy", className="d-inline"),
                ],
                className="my-2",
            ),
            html.Small(f"Send it as the header {api_keys.HEADER}: <key>. Only its hash is kept here."),
            html.Div(
                [
                    html.Small("As an LRS credential (xAPI, HTTP Basic, endpoint /api/v1/xapi/): user name "),
                    html.Code(prefix, id="data-key-lrs-user"),
                    html.Small(", password the key."),
                ]
            ) if prefix else None,
        ],
        color="warning",
        dismissable=True,
        id="data-key-secret-alert",
    )


KEY_COLUMNS = ("Name", "Scope", "Courses", "Prefix", "Created", "Last used", "Status", "")


def _limits(entry: dict) -> str:
    """What the key may push into, in words."""
    courses = ", ".join(entry["courses"]) or "any"
    extra = [words for flag, words in (("may_create_courses", "creates courses"),
                                       ("may_push_finished", "finished courses too")) if entry[flag]]
    return "; ".join([courses, *extra])


def _row(entry: dict) -> html.Tr:
    revoked = entry["revoked_at"] is not None
    status = dbc.Badge("revoked", color="secondary") if revoked else dbc.Badge("active", color="success")
    action = (
        None
        if revoked
        else dbc.Button(
            "Revoke",
            id={"type": "data-key-revoke", "index": entry["name"]},
            size="sm",
            color="danger",
            outline=True,
        )
    )
    return html.Tr(
        [
            html.Td(entry["name"]),
            html.Td(entry["scope"]),
            html.Td(_limits(entry)),
            html.Td(html.Code(entry["prefix"])),
            html.Td(when(entry["created_at"])),
            html.Td(when(entry["last_used_at"])),
            html.Td([status, " ", when(entry["revoked_at"]) if revoked else ""]),
            html.Td(action),
        ],
        id=f"data-key-row-{entry['name']}",
    )


@callback(Output("data-keys-table", "children"), Input("data-keys-version", "data"))
def show_keys(_version):
    entries = api_keys.keys()
    if not entries:
        return html.P("No API key yet.", className="text-muted", id="data-keys-empty")
    head = html.Thead(
        header_row(KEY_COLUMNS)
    )
    body = html.Tbody([_row(entry) for entry in entries])
    return dbc.Table([head, body], hover=True, responsive=True, size="sm", id="data-keys-list")


@callback(
    Output("data-key-secret", "children"),
    Output("data-key-name", "invalid"),
    Output("data-key-name-feedback", "children"),
    Output("data-key-name", "value"),
    Output("data-keys-version", "data"),
    Input("data-key-create", "n_clicks"),
    State("data-key-name", "value"),
    State("data-key-scope", "value"),
    State("data-key-courses", "value"),
    State("data-key-limits", "value"),
    State("data-keys-version", "data"),
    prevent_initial_call=True,
)
def create_key(_clicks, name, scope, courses, limits, version):
    allowed = {flag: flag in (limits or []) for flag in ("may_create_courses", "may_push_finished")}
    try:
        row, secret = api_keys.create(
            name or "", scope or "", signed_in_user(), client_ip(), courses=courses or "", **allowed
        )
    except ServiceError as exc:
        reason = exc.fields.get("name") or exc.fields.get("scope") or exc.fields.get("courses") or exc.message
        return None, True, reason, no_update, no_update
    shown = _secret_shown_once(row.name, secret, row.prefix if row.scope == "ingest" else None)
    return shown, False, "", "", (version or 0) + 1


@callback(
    Output("data-keys-confirm", "is_open"),
    Output("data-keys-confirm-text", "children"),
    Output("data-keys-pending", "data"),
    Input({"type": "data-key-revoke", "index": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def ask_to_revoke(_clicks):
    trigger = ctx.triggered_id
    if not trigger or not any(t["value"] for t in ctx.triggered):
        return no_update, no_update, no_update
    name = trigger["index"]
    text = f"{name} stops working at once: the platform using it can no longer push activity."
    return True, text, name


@callback(
    Output("data-keys-message", "children"),
    Output("data-keys-version", "data", allow_duplicate=True),
    Output("data-keys-confirm", "is_open", allow_duplicate=True),
    Input("data-keys-confirm-yes", "n_clicks"),
    Input("data-keys-confirm-no", "n_clicks"),
    State("data-keys-pending", "data"),
    State("data-keys-version", "data"),
    prevent_initial_call=True,
)
def confirm_revoke(_yes, _no, name, version):
    if not confirmed("data-keys") or not name:
        return no_update, no_update, False
    try:
        row = api_keys.revoke(name, signed_in_user(), client_ip())
    except ServiceError as exc:
        return alert(exc.message), no_update, False
    return alert(f"Key {row.name} revoked.", "success"), (version or 0) + 1, False


# --- Upload activity -----------------------------------------------------------------------------------
