"""The auth resource: register, sign in, refresh, sign out."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask_jwt_extended import current_user

from api.contract import operation
from api.schemas.accounts import (
    AccessTokenOut,
    LoginIn,
    RegisterIn,
    RegisterOut,
    TokensOut,
    UserOut,
)
from api.schemas.common import Message
from server.security import (
    clear_session_cookies,
    client_ip,
    issue_access_token,
    issue_tokens,
    revoke_session,
    set_session_cookies,
)
from services import accounts
from services.sign_in_methods import require_local_passwords

bp = Blueprint("auth", __name__, url_prefix="/auth")


@bp.post("/register")
@operation(
    auth="public", body=RegisterIn, response=RegisterOut, status=201, errors=(409, 429), tags=("auth",)
)
def register(body: RegisterIn):
    """Create a student account (refused where local passwords are switched off)."""
    require_local_passwords()
    user = accounts.register(body.username, body.email, body.password, body.full_name, ip=client_ip())
    return {"user": user}


@bp.post("/login")
@operation(auth="public", body=LoginIn, response=TokensOut, errors=(401, 403, 429), tags=("auth",))
def login(body: LoginIn):
    """Sign in with username or email; returns tokens and sets HTTP-only cookies."""
    user = accounts.authenticate(body.username, body.password, ip=client_ip())
    tokens = issue_tokens(user)
    payload = TokensOut(user=UserOut.model_validate(user, from_attributes=True), **tokens)
    response = jsonify(payload.model_dump(mode="json"))
    return set_session_cookies(response, tokens)


@bp.post("/refresh")
@operation(auth="refresh", response=AccessTokenOut, tags=("auth",))
def refresh():
    """Exchange a refresh token for a new access token."""
    token = issue_access_token(current_user)
    response = jsonify({"access_token": token})
    return set_session_cookies(response, {"access_token": token})


@bp.post("/logout")
@operation(auth="user", response=Message, tags=("auth",))
def logout():
    """Revoke this sign-in session (access and refresh tokens) and clear the cookies."""
    revoke_session()
    accounts.record_logout(current_user, client_ip())
    response = jsonify({"message": "Signed out."})
    return clear_session_cookies(response)
