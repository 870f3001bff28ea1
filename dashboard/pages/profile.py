"""Profile: name and email, digest emails and the worklist's size (staff), password, and the user's own
activity log."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, html, no_update

from dashboard.access import page, signed_in_user
from dashboard.components.forms import alert, field_outputs, field_states, text_field
from dashboard.components.shell import page_header
from dashboard.components.tables import activity_table
from dashboard.session import start_browser_session
from server.security import client_ip
from services import accounts
from services.errors import ServiceError

PATH = "/profile"
PROFILE_FIELDS = ["email", "full_name"]
PASSWORD_FIELDS = ["current_password", "new_password", "confirm_password"]
ACTIVITY_PER_PAGE = 10
dash.register_page(
    __name__,
    path=PATH,
    title="Profile",
    name="Profile",
    access="user",
    nav=True,
    nav_slot="user",  # the bar links it from the signed-in user's name
    order=70,
    description="Your name, email, password and recent activity.",
)


@page("user", PATH)
def layout(user, **_query):
    return html.Div(
        [
            page_header("Profile", "Keep your details current; every change is logged below."),
            dbc.Row(
                [
                    dbc.Col([_details(user), emails(user), capacity(user), _password()], lg=5),
                    dbc.Col(_activity(), lg=7),
                ]
            ),
        ]
    )


def _details(user) -> dbc.Card:
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2("Your details", className="h5"),
                html.Div(id="profile-message"),
                text_field("profile-username", "Username", value=user.username, disabled=True),
                text_field(
                    "profile-email", "Email", input_type="email", value=user.email, autocomplete="email"
                ),
                text_field("profile-full-name", "Full name", value=user.full_name, autocomplete="name"),
                dbc.Button("Save details", id="profile-save", color="primary", n_clicks=0),
            ]
        ),
        className="mb-4",
    )


def _password() -> dbc.Card:
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2("Change password", className="h5"),
                html.Div(id="profile-password-message"),
                text_field(
                    "profile-current-password",
                    "Current password",
                    input_type="password",
                    autocomplete="current-password",
                ),
                text_field(
                    "profile-new-password",
                    "New password",
                    input_type="password",
                    autocomplete="new-password",
                    help_text="8 or more characters, hard to guess (no names, no common passwords).",
                ),
                text_field(
                    "profile-confirm-password",
                    "Repeat the new password",
                    input_type="password",
                    autocomplete="new-password",
                ),
                dbc.Button("Change password", id="profile-password-submit", color="primary", n_clicks=0),
            ]
        ),
        className="mb-4",
    )


def _activity() -> dbc.Card:
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2("Your activity", className="h5"),
                html.Div(id="profile-activity"),
                dbc.Pagination(
                    id="profile-activity-pages",
                    max_value=1,
                    active_page=1,
                    fully_expanded=False,
                    first_last=True,
                    previous_next=True,
                    size="sm",
                ),
            ]
        )
    )


def emails(user) -> dbc.Card | None:
    """Staff only (they get digests): whether the digests of newly flagged learners are emailed."""
    if not user.is_staff:
        return None
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2("Notifications", className="h5"),
                html.Div(id="profile-notifications-message"),
                dbc.Switch(
                    id="profile-email-notifications",
                    label="Email me digests of newly flagged learners",
                    value=bool(user.email_notifications),
                ),
                html.P(
                    "After each scoring run you see them under the bell either way.",
                    className="text-muted small mb-0",
                ),
            ]
        ),
        className="mb-4",
    )


def capacity(user) -> dbc.Card | None:
    """Staff only: how many learners their Home's "This week" lists at most."""
    if not user.is_staff:
        return None
    low, high = accounts.WORKLIST_CAPACITY_RANGE
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2("This week", className="h5"),
                html.Div(id="profile-worklist-message"),
                text_field(
                    "profile-worklist-capacity",
                    "Learners in your worklist",
                    input_type="number",
                    value=user.worklist_capacity,
                    help_text=f"How many learners your Home lists this week at most ({low} to {high}).",
                ),
                dbc.Button("Save", id="profile-worklist-save", color="primary", n_clicks=0),
            ]
        ),
        className="mb-4",
    )


@callback(
    Output("profile-worklist-message", "children"),
    *[Output(i, p) for i, p in field_outputs("profile", ["worklist_capacity"])],
    Input("profile-worklist-save", "n_clicks"),
    State("profile-worklist-capacity", "value"),
    prevent_initial_call=True,
)
def save_capacity(_clicks, value):
    number = int(value) if isinstance(value, float) and value.is_integer() else value
    number = "" if number is None else number  # an emptied field is an error, not "no change"
    try:
        user = accounts.update_profile(signed_in_user(), worklist_capacity=number, ip=client_ip())
    except ServiceError as exc:
        return alert(exc.message), *field_states("profile", ["worklist_capacity"], exc.fields)
    message = alert(f"Saved: your worklist lists up to {user.worklist_capacity} learners.", "success")
    return message, *field_states("profile", ["worklist_capacity"], {})


@callback(
    Output("profile-notifications-message", "children"),
    Input("profile-email-notifications", "value"),
    prevent_initial_call=True,
)
def save_email_notifications(on):
    user = signed_in_user()
    if bool(on) == user.email_notifications:  # the switch was only rendered, not changed
        raise dash.exceptions.PreventUpdate
    user = accounts.update_profile(user, email_notifications=bool(on), ip=client_ip())
    said = "will be emailed to you" if user.email_notifications else "will no longer be emailed to you"
    return alert(f"Saved: digests {said}.", "success")


@callback(
    Output("profile-message", "children"),
    *[Output(i, p) for i, p in field_outputs("profile", PROFILE_FIELDS)],
    Output("shell-refresh", "data"),
    Input("profile-save", "n_clicks"),
    State("profile-email", "value"),
    State("profile-full-name", "value"),
    prevent_initial_call=True,
)
def save_details(clicks, email, full_name):
    if not clicks:  # the page was drawn (Dash fires for the new button), nothing was saved
        raise dash.exceptions.PreventUpdate
    try:
        accounts.update_profile(
            signed_in_user(), email=email or "", full_name=full_name or "", ip=client_ip()
        )
    except ServiceError as exc:
        return alert(exc.message), *field_states("profile", PROFILE_FIELDS, exc.fields), no_update
    return alert("Your details were saved.", "success"), *field_states("profile", PROFILE_FIELDS, {}), clicks


@callback(
    Output("profile-password-message", "children"),
    *[Output(i, p) for i, p in field_outputs("profile", PASSWORD_FIELDS)],
    Output("profile-current-password", "value"),
    Output("profile-new-password", "value"),
    Output("profile-confirm-password", "value"),
    Input("profile-password-submit", "n_clicks"),
    State("profile-current-password", "value"),
    State("profile-new-password", "value"),
    State("profile-confirm-password", "value"),
    prevent_initial_call=True,
)
def change_password(_clicks, current, new, confirm):
    if (new or "") != (confirm or ""):
        problems = {"confirm_password": "The two passwords differ."}
        return (
            alert("Please correct the highlighted fields."),
            *field_states("profile", PASSWORD_FIELDS, problems),
            no_update,
            no_update,
            no_update,
        )
    try:
        user = accounts.change_password(signed_in_user(), current or "", new or "", ip=client_ip())
    except ServiceError as exc:
        return (
            alert(exc.message),
            *field_states("profile", PASSWORD_FIELDS, exc.fields),
            no_update,
            no_update,
            no_update,
        )
    start_browser_session(user)
    return (
        alert("Password changed. Your other sessions have been signed out.", "success"),
        *field_states("profile", PASSWORD_FIELDS, {}),
        "",
        "",
        "",
    )


@callback(
    Output("profile-activity", "children"),
    Output("profile-activity-pages", "max_value"),
    Input("profile-activity-pages", "active_page"),
    Input("profile-message", "children"),
    Input("profile-password-message", "children"),
)
def show_activity(active_page, _saved, _changed):
    result = accounts.activity_page(signed_in_user(), active_page or 1, ACTIVITY_PER_PAGE)
    return activity_table(result.items, "profile-activity-table"), result.pages
