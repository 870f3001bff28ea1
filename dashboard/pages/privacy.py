"""Privacy (administrators): a learner's data on request (count what is held, export it as a zip,
erase it after a confirmation naming what goes) and who looked at whom (the access log)."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html, no_update

from dashboard.access import page, signed_in_user
from dashboard.components.confirm import confirm_dialog, confirmed
from dashboard.components.forms import alert
from dashboard.components.shell import page_header
from dashboard.components.tables import when
from server.security import client_ip
from services import access_log, learner_data
from services.errors import ServiceError

PATH = "/privacy"
PER_PAGE = 20
dash.register_page(
    __name__,
    path=PATH,
    title="Privacy",
    name="Privacy",
    access="admin",
    nav=True,
    order=62,
    description="Export or erase a learner's data on request; see who looked at whom.",
)
NOT_RETRAINED = (
    "Erasing removes the learner's rows from every table now. Models already trained are not "
    "retrained (they keep what they learned); every training after the erasure never sees the data."
)


def _learner_form() -> dbc.Card:
    fields = dbc.Row(
        [
            dbc.Col(
                [dbc.Label("Learner reference", html_for="privacy-ref"), dbc.Input(id="privacy-ref")], md=5
            ),
            dbc.Col(
                [
                    dbc.Label("Course code (optional)", html_for="privacy-course"),
                    dbc.Input(id="privacy-course", placeholder="every course the reference appears in"),
                ],
                md=5,
            ),
        ],
        className="mb-3",
    )
    buttons = html.Div(
        [
            dbc.Button("Show what is held", id="privacy-count", color="primary", className="me-2 mb-2"),
            dbc.Button("Export (zip)", id="privacy-export", color="secondary", className="me-2 mb-2"),
            dbc.Button("Erase…", id="privacy-erase", color="danger", outline=True, className="mb-2"),
        ]
    )
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2("A learner's data on request", className="h5"),
                html.P(NOT_RETRAINED, className="small text-body-secondary"),
                fields,
                buttons,
                html.Div(id="privacy-message", role="status"),
                html.Div(id="privacy-counts"),
                dcc.Download(id="privacy-download"),
                confirm_dialog("privacy", "Erase this learner's data?", "Yes, erase it"),
            ]
        ),
        className="mb-4",
    )


def _log_card() -> dbc.Card:
    filters = dbc.Row(
        [
            dbc.Col(
                [
                    dbc.Label("Learner", html_for="privacy-log-learner"),
                    dbc.Input(id="privacy-log-learner", debounce=True, placeholder="learner reference"),
                ],
                md=5,
            ),
            dbc.Col(
                [
                    dbc.Label("User", html_for="privacy-log-user"),
                    dbc.Input(id="privacy-log-user", debounce=True, placeholder="username"),
                ],
                md=5,
            ),
        ],
        className="mb-3",
    )
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2("Who looked at whom", className="h5"),
                html.P(
                    "Every view of an enrollment, an at-risk list, an export and an erasure, newest first.",
                    className="small text-body-secondary",
                ),
                filters,
                html.Div(id="privacy-log"),
                dbc.Pagination(
                    id="privacy-log-pages", max_value=1, active_page=1, first_last=True, previous_next=True,
                    size="sm",
                ),
                dcc.Store(id="privacy-log-version", data=0),
            ]
        )
    )


@page("admin", PATH)
def layout(user, **_query):
    return html.Div(
        [
            page_header("Privacy", "A learner's data on request, and who looked at whom."),
            _learner_form(),
            _log_card(),
        ]
    )


def _counts_table(counts: dict[str, int]) -> dbc.Table:
    rows = [html.Tr([html.Td(table), html.Td(f"{count:,}")]) for table, count in counts.items()]
    head = html.Thead(html.Tr([html.Th("Table"), html.Th("Rows")]))
    return dbc.Table([head, html.Tbody(rows)], size="sm", className="privacy-counts-table")


@callback(
    Output("privacy-counts", "children"),
    Output("privacy-message", "children"),
    Output("privacy-confirm", "is_open"),
    Output("privacy-confirm-text", "children"),
    Output("privacy-pending", "data"),
    Input("privacy-count", "n_clicks"),
    Input("privacy-erase", "n_clicks"),
    State("privacy-ref", "value"),
    State("privacy-course", "value"),
    prevent_initial_call=True,
)
def show_counts(_count, _erase, ref, course):
    try:
        counts = learner_data.counts(signed_in_user(), ref, course)
    except ServiceError as exc:
        return None, alert(exc.message, "warning"), False, no_update, None
    table = _counts_table(counts)
    if ctx.triggered_id != "privacy-erase":
        return table, None, False, no_update, None
    where = f"in {course.strip()}" if (course or "").strip() else "in every course it appears in"
    text = [
        html.P(f"Everything held about {ref.strip()} {where} goes (rows per table):"),
        _counts_table(counts),
        html.P(NOT_RETRAINED, className="small"),
    ]
    return table, None, True, text, {"ref": ref, "course": course}


@callback(
    Output("privacy-download", "data"),
    Output("privacy-message", "children", allow_duplicate=True),
    Output("privacy-log-version", "data", allow_duplicate=True),
    Input("privacy-export", "n_clicks"),
    State("privacy-ref", "value"),
    State("privacy-course", "value"),
    State("privacy-log-version", "data"),
    prevent_initial_call=True,
)
def export(_clicks, ref, course, version):
    try:
        bundle, name = learner_data.export(signed_in_user(), ref, course)
    except ServiceError as exc:
        return None, alert(exc.message, "warning"), no_update
    return dcc.send_bytes(bundle, name), None, (version or 0) + 1


@callback(
    Output("privacy-confirm", "is_open", allow_duplicate=True),
    Output("privacy-message", "children", allow_duplicate=True),
    Output("privacy-counts", "children", allow_duplicate=True),
    Output("privacy-log-version", "data", allow_duplicate=True),
    Input("privacy-confirm-yes", "n_clicks"),
    Input("privacy-confirm-no", "n_clicks"),
    State("privacy-pending", "data"),
    State("privacy-log-version", "data"),
    prevent_initial_call=True,
)
def confirm_erase(_yes, _no, pending, version):
    if not confirmed("privacy") or not pending:
        return False, no_update, no_update, no_update
    try:
        removed = learner_data.erase(signed_in_user(), pending["ref"], pending["course"], client_ip())
    except ServiceError as exc:
        return False, alert(exc.message, "warning"), None, no_update
    message = f"Erased {sum(removed.values()):,} row(s) about the learner."
    return False, alert(message, "success"), _counts_table(removed), (version or 0) + 1


def _entry_row(entry: dict[str, Any]) -> html.Tr:
    what = entry["learner_ref"] or ("a learner (erased)" if entry["action"] == "erasure" else "")
    cells = [when(entry["created_at"]), entry["username"], entry["action"].replace("_", " "),
             entry["channel"], entry["course"] or "", what]
    return html.Tr([html.Td(cell) for cell in cells])


@callback(
    Output("privacy-log", "children"),
    Output("privacy-log-pages", "max_value"),
    Input("privacy-log-learner", "value"),
    Input("privacy-log-user", "value"),
    Input("privacy-log-pages", "active_page"),
    Input("privacy-log-version", "data"),
)
def show_log(learner, username, active_page, _version):
    found = access_log.entries(signed_in_user(), learner, username, active_page or 1, PER_PAGE)
    if not found.items:
        return html.P("No entries.", className="text-body-secondary"), 1
    head = html.Thead(
        html.Tr([html.Th(name) for name in ("When", "Who", "What", "Through", "Course", "Learner")])
    )
    body = html.Tbody([_entry_row(entry) for entry in found.items])
    # Scrolls sideways on a phone: focusable and named, so a keyboard reaches every column.
    table = html.Div(
        dbc.Table([head, body], size="sm", striped=True),
        className="table-responsive",
        tabIndex=0,
        role="region",
        **{"aria-label": "Access log entries"},
    )
    return table, found.pages
