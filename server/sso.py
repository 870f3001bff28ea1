"""The browser's round trip to an OpenID Connect provider: /sso/<name>/login sends it there with state,
nonce and PKCE kept in the signed session cookie; /sso/<name>/callback checks the answer, sets the same
HTTP-only cookies as a password sign-in and goes on to the page asked for. A refusal goes back to the
sign-in page with a reason code (the page shows a fixed message for it, never text from the URL)."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Flask, g, redirect, request, session, url_for

from server.security import client_ip, issue_tokens, safe_next, set_session_cookies
from services import sso
from services.errors import ServiceError

bp = Blueprint("sso", __name__)
SESSION_KEY = "oidc_pending"
# Sign-ins started in other tabs and not finished yet, kept at most.
MAX_PENDING = 5


@bp.get("/sso/<name>/login")
def start(name: str):
    """Send the browser to the provider's authorization endpoint."""
    try:
        url, pending = sso.start(name, _callback_url(name), safe_next(request.args.get("next")))
    except ServiceError as exc:
        return _back_to_sign_in(exc.code)
    waiting = [item for item in session.get(SESSION_KEY, []) if isinstance(item, dict)]
    session[SESSION_KEY] = (waiting + [pending])[-MAX_PENDING:]
    return redirect(url, 302)


@bp.get("/sso/<name>/callback")
def callback(name: str):
    """Check the provider's answer, start the session and open the page asked for."""
    waiting = session.get(SESSION_KEY, [])
    pending = next((item for item in waiting if item.get("state") == request.args.get("state")), None)
    # Each state is used once, whatever the outcome.
    session[SESSION_KEY] = [item for item in waiting if item is not pending]
    try:
        user = sso.finish(name, pending, request.args.to_dict(), _callback_url(name), client_ip())
    except ServiceError as exc:
        return _back_to_sign_in(exc.code)
    g._skip_implicit_refresh = True
    return set_session_cookies(redirect(safe_next(pending.get("next")), 302), issue_tokens(user))


def _callback_url(name: str) -> str:
    return url_for("sso.callback", name=name, _external=True)


def _back_to_sign_in(code: str):
    return redirect(f"/login?{urlencode({'sso_error': code})}", 302)


def init_app(app: Flask) -> None:
    """Serve the round trip (the administrators' commands for linked accounts are in server.cli.sso)."""
    app.register_blueprint(bp)
