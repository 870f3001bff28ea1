"""Users (administrators): search, change role (student, tutor, admin), choose a tutor's courses,
deactivate and reactivate, read each user's activity."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from dashboard.access import page, signed_in_user
from dashboard.components.confirm import confirm_dialog, confirmed
from dashboard.components.forms import alert
from dashboard.components.shell import ROLE_NAMES, page_header, short_code
from dashboard.components.tables import activity_table, header_row, when
from server.security import client_ip
from services import accounts
from services.errors import ServiceError
from services.tutoring import tutors

PATH = "/users"
PER_PAGE = 20
ACTIVITY_PER_PAGE = 15
dash.register_page(
    __name__,
    path=PATH,
    title="Users",
    name="Users",
    access="admin",
    nav=True,
    order=60,
    description="Search accounts, change roles, assign tutors' courses, deactivate, read activity logs.",
)


@page("admin", PATH)
def layout(user, **_query):
    return html.Div(
        [
            page_header(
                "Users",
                "Change a role, choose a tutor's courses or deactivate an account; changes apply at once.",
            ),
            _filters(),
            html.Div(id="users-message"),
            dcc.Loading(html.Div(id="users-table")),
            dbc.Pagination(
                id="users-pages", max_value=1, active_page=1, first_last=True, previous_next=True, size="sm"
            ),
            dcc.Store(id="users-version", data=0),
            confirm_dialog("users", "Change this account?", "Yes, change it"),
            dcc.Store(id="users-activity-user"),
            _courses_modal(),
            _activity_modal(),
        ]
    )


def _filters() -> dbc.Row:
    return dbc.Row(
        [
            dbc.Col(
                [
                    dbc.Label("Search", html_for="users-search"),
                    dbc.Input(id="users-search", placeholder="username, email or name", debounce=True),
                ],
                md=6,
            ),
            dbc.Col(
                [
                    dbc.Label("Role", html_for="users-role-filter"),
                    dcc.Dropdown(
                        id="users-role-filter",
                        options=[
                            {"label": "Students", "value": "student"},
                            {"label": "Tutors", "value": "tutor"},
                            {"label": "Administrators", "value": "admin"},
                        ],
                        placeholder="All roles",
                        clearable=True,
                    ),
                ],
                md=3,
            ),
        ],
        className="mb-3",
    )


def _activity_modal() -> dbc.Modal:
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle(id="users-activity-title")),
            dbc.ModalBody(
                [
                    dcc.Loading(html.Div(id="users-activity")),
                    dbc.Pagination(
                        id="users-activity-pages",
                        max_value=1,
                        active_page=1,
                        previous_next=True,
                        size="sm",
                    ),
                ]
            ),
        ],
        id="users-activity-modal",
        size="lg",
        scrollable=True,
        is_open=False,
    )


def _courses_modal() -> dbc.Modal:
    """The dialog where an administrator chooses the courses a tutor tutors."""
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle(id="users-courses-title")),
            dbc.ModalBody(
                [
                    dbc.Label("Courses", html_for="users-courses-select"),
                    dcc.Dropdown(id="users-courses-select", multi=True, placeholder="No course"),
                    html.Div(id="users-courses-error", className="mt-2"),
                ]
            ),
            dbc.ModalFooter(
                [
                    dbc.Button("Cancel", id="users-courses-cancel", color="secondary", outline=True),
                    dbc.Button("Save courses", id="users-courses-save", color="primary"),
                ]
            ),
            dcc.Store(id="users-courses-user"),
        ],
        id="users-courses-modal",
        is_open=False,
    )


def _role_buttons(entry: dict, is_me: bool) -> list[dbc.Button]:
    return [
        dbc.Button(
            f"Make {role}",
            id={"type": "users-role-set", "index": entry["id"], "role": role},
            size="sm",
            color="secondary",
            outline=True,
            disabled=is_me,
            className="me-2",
        )
        for role in ROLE_NAMES
        if role != entry["role"]
    ]


def _courses_cell(entry: dict, codes: list[str]) -> html.Td:
    """A tutor's courses, with the button to change them (an administrator's, when assigned any)."""
    if entry["role"] == "student":
        return html.Td()  # courses kept from an earlier tutor role give a student nothing
    badges = [dbc.Badge(short_code(code), color="light", text_color="dark", className="me-1", title=code)
              for code in codes]
    if entry["role"] != "tutor":
        return html.Td(badges)
    if not badges:
        badges = [html.Span("none", className="text-muted me-1")]
    button = dbc.Button(
        "Courses",
        id={"type": "users-courses-open", "index": entry["id"]},
        size="sm",
        color="primary",
        outline=True,
        className="ms-1",
    )
    return html.Td([*badges, button], id=f"users-courses-{entry['username']}")


def _row(entry: dict, me_id: int, codes: list[str]) -> html.Tr:
    is_me = entry["id"] == me_id
    active_button = dbc.Button(
        "Deactivate" if entry["is_active"] else "Reactivate",
        id={"type": "users-active-toggle", "index": entry["id"]},
        size="sm",
        color="danger" if entry["is_active"] else "success",
        outline=True,
        disabled=is_me,
        className="me-2",
    )
    activity_button = dbc.Button(
        "Activity",
        id={"type": "users-activity-open", "index": entry["id"]},
        size="sm",
        color="secondary",  # Bootstrap's cyan text on white is 2.2:1; grey reaches 4.5:1
        outline=True,
    )
    status = (
        dbc.Badge("active", color="success")
        if entry["is_active"]
        else dbc.Badge("inactive", color="secondary")
    )
    return html.Tr(
        [
            html.Td(entry["username"]),
            html.Td(entry["full_name"]),
            html.Td(entry["email"]),
            html.Td(entry["role"]),
            _courses_cell(entry, codes),
            html.Td(status),
            html.Td(when(entry["last_login_at"])),
            html.Td([*_role_buttons(entry, is_me), active_button, activity_button]),
        ],
        id=f"users-row-{entry['username']}",
    )


@callback(
    Output("users-table", "children"),
    Output("users-pages", "max_value"),
    Input("users-search", "value"),
    Input("users-role-filter", "value"),
    Input("users-pages", "active_page"),
    Input("users-version", "data"),
)
def show_users(text, role, active_page, _version):
    result = accounts.users_page(text, role, active_page or 1, PER_PAGE)
    if not result.items:
        return html.P("No user matches.", className="text-muted"), 1
    me = signed_in_user()
    head = html.Thead(
        header_row(("Username", "Name", "Email", "Role", "Courses", "Status", "Last sign-in", ""))
    )
    assigned = tutors.assigned_courses([entry["id"] for entry in result.items])
    body = html.Tbody([_row(entry, me.id, assigned.get(entry["id"], [])) for entry in result.items])
    return dbc.Table([head, body], hover=True, responsive=True, size="sm"), result.pages


@callback(
    Output("users-confirm", "is_open"),
    Output("users-confirm-text", "children"),
    Output("users-pending", "data"),
    Input({"type": "users-role-set", "index": ALL, "role": ALL}, "n_clicks"),
    Input({"type": "users-active-toggle", "index": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def ask_to_change(_role_clicks, _active_clicks):
    trigger = ctx.triggered_id
    if not trigger or not any(t["value"] for t in ctx.triggered):
        return no_update, no_update, no_update
    try:
        target = accounts.get_user(trigger["index"])
    except ServiceError:
        return False, no_update, None
    if trigger["type"] == "users-role-set":
        change = {"role": trigger["role"]}
        text = _role_change_text(target.username, target.role, trigger["role"])
    else:
        change = {"is_active": not target.is_active}
        text = (
            f"{target.username} will be signed out everywhere and cannot sign in until reactivated."
            if target.is_active
            else f"{target.username} will be able to sign in again (old sessions stay ended)."
        )
    return True, text, {"user_id": target.id, **change}


def _role_change_text(username: str, before: str, after: str) -> str:
    """What the confirmation says a role change does."""
    if after == "admin":
        return f"{username} will become an administrator: every page and every user's data."
    lost = (
        f"{username} will lose administrator access at once and "
        if before == "admin"
        else f"{username} will "
    )
    if after == "tutor":
        return lost + "become a tutor: only the courses an administrator assigns, no admin page."
    return lost + "become a student: no course pages, only their own records."


@callback(
    Output("users-message", "children"),
    Output("users-version", "data"),
    Output("users-confirm", "is_open", allow_duplicate=True),
    Input("users-confirm-yes", "n_clicks"),
    Input("users-confirm-no", "n_clicks"),
    State("users-pending", "data"),
    State("users-version", "data"),
    prevent_initial_call=True,
)
def confirm_change(_yes, _no, pending, version):
    if not confirmed("users") or not pending:
        return no_update, no_update, False
    change = {k: v for k, v in pending.items() if k != "user_id"}
    try:
        user = accounts.update_user(signed_in_user(), pending["user_id"], **change, ip=client_ip())
    except ServiceError as exc:
        return alert(exc.message), no_update, False
    if "role" in change:
        message = f"{user.username} is now {ROLE_NAMES[user.role]}."
    else:
        message = f"{user.username} is now {'active' if user.is_active else 'deactivated'}."
    return alert(message, "success"), (version or 0) + 1, False


@callback(
    Output("users-activity-user", "data"),
    Output("users-activity-pages", "active_page"),
    Input({"type": "users-activity-open", "index": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def choose_activity_user(_clicks):
    trigger = ctx.triggered_id
    if not trigger or not any(t["value"] for t in ctx.triggered):
        return no_update, no_update
    return trigger["index"], 1


@callback(
    Output("users-activity-modal", "is_open"),
    Output("users-activity-title", "children"),
    Output("users-activity", "children"),
    Output("users-activity-pages", "max_value"),
    Input("users-activity-user", "data"),
    Input("users-activity-pages", "active_page"),
    prevent_initial_call=True,
)
def show_activity(user_id, active_page):
    if user_id is None:
        return no_update, no_update, no_update, no_update
    admin = signed_in_user()
    try:
        target = accounts.get_user(user_id)
        result = accounts.user_activity_page(admin, user_id, active_page or 1, ACTIVITY_PER_PAGE)
    except ServiceError as exc:
        return True, "Activity", alert(exc.message), 1
    title = f"Activity of {target.username} ({result.total:,} entries, newest first)"
    return True, title, activity_table(result.items, "users-activity-table"), max(result.pages, 1)


@callback(
    Output("users-courses-modal", "is_open"),
    Output("users-courses-title", "children"),
    Output("users-courses-select", "options"),
    Output("users-courses-select", "value"),
    Output("users-courses-user", "data"),
    Output("users-courses-error", "children"),
    Input({"type": "users-courses-open", "index": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def open_courses(_clicks):
    trigger = ctx.triggered_id
    if not trigger or not any(t["value"] for t in ctx.triggered):
        return (no_update,) * 6
    try:
        target = accounts.get_user(trigger["index"])
        codes = tutors.course_codes(signed_in_user())
    except ServiceError as exc:
        return True, "Courses", [], [], None, alert(exc.message)
    title = f"Courses {target.username} tutors"
    return True, title, codes, tutors.courses_of(target), target.username, None


@callback(
    Output("users-message", "children", allow_duplicate=True),
    Output("users-version", "data", allow_duplicate=True),
    Output("users-courses-modal", "is_open", allow_duplicate=True),
    Output("users-courses-error", "children", allow_duplicate=True),
    Input("users-courses-save", "n_clicks"),
    Input("users-courses-cancel", "n_clicks"),
    State("users-courses-user", "data"),
    State("users-courses-select", "value"),
    State("users-version", "data"),
    prevent_initial_call=True,
)
def save_courses(_save, _cancel, username, codes, version):
    if ctx.triggered_id != "users-courses-save" or not username:
        return no_update, no_update, False, None
    try:
        assigned = tutors.set_courses(signed_in_user(), username, codes or [])
    except ServiceError as exc:
        return no_update, no_update, True, alert(exc.message)
    listed = ", ".join(assigned) if assigned else "no course"
    return alert(f"{username} now tutors {listed}.", "success"), (version or 0) + 1, False, None
