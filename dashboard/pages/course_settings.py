"""Course settings (administrators): a course's title and window, its archiving, and its removal with
everything stored about it after a confirmation that names what goes; the retention periods and what
the last daily purge removed."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update
from flask import current_app

from dashboard.access import page, signed_in_user
from dashboard.components.confirm import confirm_dialog
from dashboard.components.shell import page_header
from server.security import client_ip
from services import course_admin, retention
from services.errors import ServiceError

PATH = "/course-settings"
PREFIX = "course-settings"
dash.register_page(
    __name__,
    path=PATH,
    title="Course settings",
    name="Course settings",
    access="admin",
    nav=False,
    order=66,
    description="Edit a course's title and window, archive it, or remove it.",
)


@page("admin", PATH)
def layout(user, code: str | None = None, **_query):
    codes = course_admin.course_codes()
    chooser = html.Div(
        [
            dbc.Label("Course", html_for=f"{PREFIX}-code"),
            dcc.Dropdown(id=f"{PREFIX}-code", options=codes, value=code if code in codes else None,
                         placeholder="Choose a course", clearable=False),
        ],
        className="mb-3",
        style={"maxWidth": "32rem"},
    )
    return html.Div(
        [
            page_header("Course settings", "A course's title and window, or its removal."),
            chooser,
            html.Div(id=f"{PREFIX}-message"),
            html.Div(_form(), id=f"{PREFIX}-body", hidden=code not in codes),
            _retention_card(retention.overview(current_app.config)),
            confirm_dialog(PREFIX, "Remove this course?", "Yes, remove it"),
            confirm_dialog(f"{PREFIX}-archive", "Archive this course?", "Yes, archive it"),
        ]
    )


def _days(days: int | None) -> str:
    return "kept forever" if days is None else f"{days:,} days after the course's last day"


def _retention_card(overview: dict) -> dbc.Card:
    periods = [html.Li(f"{kind.capitalize()}: {_days(days)}") for kind, days in overview["periods"].items()]
    last = overview["last_purge"]
    if last is None:
        ran = "The daily purge has not run yet."
    else:
        removed = ", ".join(f"{table} {rows:,}" for table, rows in last["removed"].items())
        ran = f"Last daily purge {last['at']:%Y-%m-%d %H:%M} UTC ({last['status']}): removed {removed}."
    return dbc.Card(dbc.CardBody([
        html.H2("Retention of finished courses", className="h5"),
        html.Ul(periods, className="small mb-2"),
        html.P(ran, id=f"{PREFIX}-last-purge", className="small mb-0"),
    ]), className="mb-3")


def _form() -> html.Div:
    fields = dbc.Row(
        [
            dbc.Col([dbc.Label("Title", html_for=f"{PREFIX}-title"),
                     dbc.Input(id=f"{PREFIX}-title", maxLength=course_admin.TITLE_MAX)], md=6),
            dbc.Col([dbc.Label("Start date", html_for=f"{PREFIX}-start"),
                     dbc.Input(id=f"{PREFIX}-start", type="date")], md=3),
            dbc.Col([dbc.Label("Length (days)", html_for=f"{PREFIX}-length"),
                     dbc.Input(id=f"{PREFIX}-length", type="number", min=1, step=1)], md=3),
        ],
        className="g-2 mb-2",
    )
    edit = dbc.Card(dbc.CardBody([
        html.H2("Title and window", className="h5"),
        html.P("Moving the start keeps every stored day of activity, its event keys and predictions on their"
               " calendar dates; a window that would leave stored activity out is refused.",
               className="text-muted small"),
        fields,
        html.P(id=f"{PREFIX}-outside", className="small"),
        dbc.Button("Save", id=f"{PREFIX}-save", color="primary"),
    ]), className="mb-3")
    archive = dbc.Card(dbc.CardBody([
        html.H2("Archive the course", className="h5"),
        html.P("Deletes its raw event keys; keeps its daily activity counts, outcomes, predictions and"
               " actions for training and reports. No further activity is imported into it.",
               className="text-muted small"),
        html.P(id=f"{PREFIX}-archive-state", className="fw-semibold"),
        dbc.Button("Archive course…", id=f"{PREFIX}-archive", color="secondary", outline=True),
    ]), className="mb-3")
    remove = dbc.Card(dbc.CardBody([
        html.H2("Remove the course", className="h5"),
        html.P("Removes its enrollments, their activity, predictions and recorded actions, and its tutor"
               " assignments. The import history keeps its runs.", className="text-muted small"),
        dbc.Button("Remove course…", id=f"{PREFIX}-remove", color="danger", outline=True),
    ]), className="mb-3 border-danger")
    return html.Div([edit, archive, remove])


@callback(
    Output(f"{PREFIX}-title", "value"),
    Output(f"{PREFIX}-start", "value"),
    Output(f"{PREFIX}-length", "value"),
    Output(f"{PREFIX}-body", "hidden"),
    Output(f"{PREFIX}-outside", "children"),
    Output(f"{PREFIX}-archive-state", "children"),
    Output(f"{PREFIX}-archive", "disabled"),
    Input(f"{PREFIX}-code", "value"),
)
def show_course(code):
    found = course_admin.settings_of(code) if code else None
    if found is None:
        return None, None, None, True, None, "", True
    outside = _outside_text(found["outside_window"])
    state, archived = _archive_state(found["archived_at"])
    return found["title"], found["start_date"], found["length_days"], False, outside, state, archived


def _outside_text(count: int) -> str:
    """What is kept aside outside the window, in a sentence."""
    if not count:
        return "No activity is kept aside outside this window."
    return (f"{count:,} rows of activity arrived outside this window and are kept aside: they are counted"
            " when the window is changed to cover their dates.")


def _archive_state(archived_at) -> tuple[str, bool]:
    if archived_at is None:
        return "Not archived.", False
    return f"Archived on {archived_at:%Y-%m-%d}.", True


@callback(
    Output(f"{PREFIX}-archive-confirm", "is_open"),
    Output(f"{PREFIX}-archive-confirm-text", "children"),
    Input(f"{PREFIX}-archive", "n_clicks"),
    Input(f"{PREFIX}-archive-confirm-no", "n_clicks"),
    State(f"{PREFIX}-code", "value"),
    prevent_initial_call=True,
)
def ask_archive(_archive, _no, code):
    if dash.ctx.triggered_id != f"{PREFIX}-archive" or not code:
        return False, no_update
    return True, (f"Archiving {code} deletes its raw event keys for good; its daily counts, outcomes,"
                  " predictions and actions stay. Activity can no longer be imported into it.")


@callback(
    Output(f"{PREFIX}-message", "children", allow_duplicate=True),
    Output(f"{PREFIX}-archive-confirm", "is_open", allow_duplicate=True),
    Output(f"{PREFIX}-archive-state", "children", allow_duplicate=True),
    Output(f"{PREFIX}-archive", "disabled", allow_duplicate=True),
    Input(f"{PREFIX}-archive-confirm-yes", "n_clicks"),
    State(f"{PREFIX}-code", "value"),
    prevent_initial_call=True,
)
def archive(_clicks, code):
    batch = int(current_app.config["RETENTION_BATCH_ROWS"])
    try:
        done = retention.archive_course(code or "", signed_in_user(), client_ip(), batch=batch)
    except ServiceError as exc:
        return dbc.Alert(exc.message, color="danger"), False, no_update, no_update
    removed = sum(done["removed"].values())
    text = (f"{done['code']} archived: {removed:,} event-key row(s) deleted; its outcomes and daily counts"
            " kept.")
    return (dbc.Alert(text, color="success", id=f"{PREFIX}-archived"), False,
            *_archive_state(done["archived_at"]))


@callback(
    Output(f"{PREFIX}-message", "children"),
    Output(f"{PREFIX}-outside", "children", allow_duplicate=True),
    Input(f"{PREFIX}-save", "n_clicks"),
    State(f"{PREFIX}-code", "value"),
    State(f"{PREFIX}-title", "value"),
    State(f"{PREFIX}-start", "value"),
    State(f"{PREFIX}-length", "value"),
    prevent_initial_call=True,
)
def save(_clicks, code, title, start, length):
    try:
        saved = course_admin.update_course(
            code or "", signed_in_user(), client_ip(), title=title or "", start_date=start or None,
            length_days=length,
        )
    except ServiceError as exc:
        details = "; ".join(f"{field.replace('_', ' ')}: {why}" for field, why in exc.fields.items())
        return dbc.Alert([exc.message, html.Br() if details else None, details], color="danger",
                         id=f"{PREFIX}-error"), no_update
    brought = (f" {saved['brought_in']:,} rows kept aside outside the old window are now counted."
               if saved["brought_in"] else "")
    return dbc.Alert(
        f"{saved['code']} saved: {saved['title']}, {saved['start_date']} to {saved['end_date']}"
        f" ({saved['length_days']} days, {saved['status']}).{brought}",
        color="success", dismissable=True, id=f"{PREFIX}-saved",
    ), _outside_text(saved["outside_window"])


@callback(
    Output(f"{PREFIX}-confirm", "is_open"),
    Output(f"{PREFIX}-confirm-text", "children"),
    Input(f"{PREFIX}-remove", "n_clicks"),
    Input(f"{PREFIX}-confirm-no", "n_clicks"),
    State(f"{PREFIX}-code", "value"),
    prevent_initial_call=True,
)
def ask_removal(_remove, _no, code):
    if dash.ctx.triggered_id != f"{PREFIX}-remove" or not code:
        return False, no_update
    try:
        return True, course_admin.summary_text(course_admin.removal_summary(code))
    except ServiceError as exc:
        return False, exc.message


@callback(
    Output(f"{PREFIX}-message", "children", allow_duplicate=True),
    Output(f"{PREFIX}-confirm", "is_open", allow_duplicate=True),
    Output(f"{PREFIX}-code", "options"),
    Output(f"{PREFIX}-code", "value"),
    Input(f"{PREFIX}-confirm-yes", "n_clicks"),
    State(f"{PREFIX}-code", "value"),
    prevent_initial_call=True,
)
def remove(_clicks, code):
    try:
        removed = course_admin.delete_course(code or "", signed_in_user(), client_ip())
    except ServiceError as exc:
        return dbc.Alert(exc.message, color="danger"), False, no_update, no_update
    text = (f"{removed['code']} removed with its {removed['enrollments']:,} enrollment(s) and"
            f" {removed['activity_days']:,} day(s) of activity.")
    return dbc.Alert(text, color="success", id=f"{PREFIX}-gone"), False, course_admin.course_codes(), None
