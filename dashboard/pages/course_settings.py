"""Course settings (administrators): a course's title and window, and its removal with everything stored
about it after a confirmation that names what goes."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard.access import page, signed_in_user
from dashboard.components.confirm import confirm_dialog
from dashboard.components.shell import page_header
from server.security import client_ip
from services import course_admin
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
    description="Edit a course's title and window, or remove it.",
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
            confirm_dialog(PREFIX, "Remove this course?", "Yes, remove it"),
        ]
    )


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
        dbc.Button("Save", id=f"{PREFIX}-save", color="primary"),
    ]), className="mb-3")
    remove = dbc.Card(dbc.CardBody([
        html.H2("Remove the course", className="h5"),
        html.P("Removes its enrollments, their activity, predictions and recorded actions, and its tutor"
               " assignments. The import history keeps its runs.", className="text-muted small"),
        dbc.Button("Remove course…", id=f"{PREFIX}-remove", color="danger", outline=True),
    ]), className="mb-3 border-danger")
    return html.Div([edit, remove])


@callback(
    Output(f"{PREFIX}-title", "value"),
    Output(f"{PREFIX}-start", "value"),
    Output(f"{PREFIX}-length", "value"),
    Output(f"{PREFIX}-body", "hidden"),
    Input(f"{PREFIX}-code", "value"),
)
def show_course(code):
    found = course_admin.settings_of(code) if code else None
    if found is None:
        return None, None, None, True
    return found["title"], found["start_date"], found["length_days"], False


@callback(
    Output(f"{PREFIX}-message", "children"),
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
                         id=f"{PREFIX}-error")
    return dbc.Alert(
        f"{saved['code']} saved: {saved['title']}, {saved['start_date']} to {saved['end_date']}"
        f" ({saved['length_days']} days, {saved['status']}).",
        color="success", dismissable=True, id=f"{PREFIX}-saved",
    )


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
