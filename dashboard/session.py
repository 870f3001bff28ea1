"""Start and end the browser's sign-in session from a Dash callback."""

from __future__ import annotations

import dash
from flask import g

from db.tables import User
from server.security import (
    clear_session_cookies,
    client_ip,
    issue_tokens,
    revoke_session,
    set_session_cookies,
)
from services import accounts


def start_browser_session(user: User) -> None:
    """Set the sign-in cookies on this callback's response."""
    g._skip_implicit_refresh = True
    set_session_cookies(dash.callback_context.response, issue_tokens(user))


def end_browser_session(user: User | None) -> None:
    """Revoke the cookie's session, log the sign-out and clear the cookies."""
    if user is not None:
        revoke_session()
        accounts.record_logout(user, client_ip())
    g._skip_implicit_refresh = True
    clear_session_cookies(dash.callback_context.response)
