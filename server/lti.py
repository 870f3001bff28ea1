"""The LTI 1.3 tool's addresses: its key set, the platform's login initiation and the launch. A launch
signs the user in with the same HTTP-only cookies (and CSRF cookie) as the sign-in form."""

from __future__ import annotations

import html

from flask import Blueprint, Flask, Response, current_app, jsonify, redirect, request, url_for

from db.tables import User
from server.security import client_ip, issue_tokens, set_session_cookies
from services import lti_launch, lti_registry
from services.lti_accounts import LaunchRefused

bp = Blueprint("lti", __name__, url_prefix="/lti")
STATE_COOKIE = "lti_state"
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
{refresh}<title>{title}</title></head>
<body style="font-family: sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem">
<main><h1>{title}</h1><p id="lti-message">{text}</p>{link}</main></body></html>
"""


def _page(status: int, title: str, text: str, target: str | None = None) -> Response:
    # The launch is a cross-site POST: the page that follows it is opened from this site (a refresh
    # and a link), so the sign-in cookies just set travel with it whatever their SameSite.
    refresh = f'<meta http-equiv="refresh" content="0;url={html.escape(target)}">' if target else ""
    link = f'<p><a href="{html.escape(target)}">Continue</a></p>' if target else ""
    body = PAGE.format(refresh=refresh, title=html.escape(title), text=html.escape(text), link=link)
    return Response(body, status=status, mimetype="text/html")


def tool_urls() -> dict[str, str]:
    """The addresses a platform's administrator enters when registering the tool."""
    return {
        "jwks_url": url_for("lti.keyset", _external=True),
        "login_url": url_for("lti.login", _external=True),
        "launch_url": url_for("lti.launch", _external=True),
    }


@bp.get("/jwks")
def keyset() -> Response:
    """The tool's public key set."""
    return jsonify(lti_registry.jwks())


@bp.route("/login", methods=("GET", "POST"))
def login() -> Response:
    """Third-party login initiation: remember a state and a nonce, send the browser to the platform."""
    params = {**request.args.to_dict(), **request.form.to_dict()}
    try:
        address, state = lti_launch.login_redirect(params, url_for("lti.launch", _external=True))
    except LaunchRefused as exc:
        return _page(exc.status, "The launch was refused", exc.message)
    response = redirect(address, code=302)
    # Sent back with the platform's cross-site form post, hence SameSite=None (which needs Secure
    # behind https); it binds the launch to the browser that started the login.
    response.set_cookie(
        STATE_COOKIE,
        state,
        max_age=int(lti_launch.STATE_LIFETIME.total_seconds()),
        httponly=True,
        secure=request.is_secure or bool(current_app.config.get("JWT_COOKIE_SECURE")),
        samesite="None",
        path=url_for("lti.launch"),
    )
    return response


@bp.post("/launch")
def launch() -> Response:
    """Check the platform's id_token, sign the user in and open their course or enrollment."""
    try:
        done = lti_launch.launch(request.form.to_dict(), request.cookies.get(STATE_COOKIE), client_ip())
    except LaunchRefused as exc:
        response = _page(exc.status, "The launch was refused", exc.message)
    else:
        user = User.by_id(done.user_id)
        response = _page(200, "Signed in", f"Signed in as {user.full_name or user.username}.", done.target)
        set_session_cookies(response, issue_tokens(user))
    response.delete_cookie(STATE_COOKIE, path=url_for("lti.launch"))
    return response


def init_app(app: Flask) -> None:
    """Serve the tool's key set, login initiation and launch."""
    app.register_blueprint(bp)
