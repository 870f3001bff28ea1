"""JWT sign-in shared by the browser (HTTP-only cookies + CSRF) and scripts (bearer header)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request
from flask_jwt_extended import (
    JWTManager,
    create_access_token,
    create_refresh_token,
    get_current_user,
    get_jwt,
    get_jwt_request_location,
    set_access_cookies,
    set_refresh_cookies,
    unset_jwt_cookies,
    verify_jwt_in_request,
)
from flask_jwt_extended.exceptions import CSRFError, JWTExtendedException
from jwt import PyJWTError

from db.tables import RevokedToken, User, utcnow
from server.errors import error_response

jwt = JWTManager()


def init_app(app: Flask) -> None:
    """Bind flask-jwt-extended and make every token error speak the API's error shape."""
    jwt.init_app(app)
    app.after_request(refresh_expiring_access_cookie)

    @app.errorhandler(CSRFError)
    def csrf_failed(exc: CSRFError) -> Response:
        return error_response(
            403, "csrf_failed", "The CSRF token is missing or wrong. Reload the page and retry."
        )


@jwt.token_in_blocklist_loader
def is_token_revoked(_header: dict, payload: dict) -> bool:
    """True when the token or its sign-in session was revoked. The token's user comes back from
    the same query and is kept for `load_user`, which flask-jwt-extended calls next."""
    identifiers = [payload["jti"]]
    if payload.get("sid"):
        identifiers.append(payload["sid"])
    try:
        user_id = int(payload["sub"])
    except (KeyError, ValueError):
        return RevokedToken.any_revoked(identifiers)
    user, revoked = User.for_token(user_id, identifiers)
    g._token_user = (payload["jti"], user)
    return revoked


@jwt.user_lookup_loader
def load_user(_header: dict, payload: dict) -> User | None:
    """The token's user, if still active and the token predates no password change."""
    jti, user = g.pop("_token_user", (None, None))
    if jti != payload.get("jti"):
        try:
            user = User.by_id(int(payload["sub"]))
        except (KeyError, ValueError):
            return None
    if user is None or not user.is_active or payload.get("epoch") != user.token_epoch:
        return None
    return user


@jwt.unauthorized_loader
def missing_token(_reason: str) -> Response:
    # Fixed messages: the library's reason (or a decoder's) tells an attacker how a token is read.
    return error_response(401, "unauthenticated", "Sign in first: no session token was sent.")


@jwt.invalid_token_loader
def invalid_token(_reason: str) -> Response:
    return error_response(401, "invalid_token", "The token is not valid. Sign in again.")


@jwt.expired_token_loader
def expired_token(_header: dict, _payload: dict) -> Response:
    return error_response(401, "token_expired", "The token has expired. Sign in again.")


@jwt.revoked_token_loader
def revoked_token(_header: dict, _payload: dict) -> Response:
    return error_response(401, "token_revoked", "This session has been signed out.")


@jwt.user_lookup_error_loader
def unknown_user(_header: dict, _payload: dict) -> Response:
    return error_response(401, "session_ended", "This session is no longer valid. Sign in again.")


@jwt.needs_fresh_token_loader
def stale_token(_header: dict, _payload: dict) -> Response:
    return error_response(401, "fresh_token_required", "Sign in again to do this.")


@jwt.token_verification_failed_loader
def claims_failed(_header: dict, _payload: dict) -> Response:
    return error_response(401, "invalid_token", "The token's claims are not valid.")


def _claims(user: User, session_id: str) -> dict:
    return {"sid": session_id, "epoch": user.token_epoch, "role": user.role}


def issue_tokens(user: User) -> dict[str, str]:
    """A new sign-in session: an access and a refresh token sharing one session id."""
    claims = _claims(user, uuid.uuid4().hex)
    return {
        "access_token": create_access_token(identity=str(user.id), additional_claims=claims),
        "refresh_token": create_refresh_token(identity=str(user.id), additional_claims=claims),
    }


def issue_access_token(user: User) -> str:
    """A new access token within the current session (for refresh)."""
    session_id = get_jwt().get("sid") or uuid.uuid4().hex
    return create_access_token(identity=str(user.id), additional_claims=_claims(user, session_id))


def set_session_cookies(response: Response, tokens: dict[str, str]) -> Response:
    """Put the tokens in HTTP-only cookies, with their CSRF double-submit cookies."""
    set_access_cookies(response, tokens["access_token"])
    if "refresh_token" in tokens:
        set_refresh_cookies(response, tokens["refresh_token"])
    return response


def clear_session_cookies(response: Response) -> Response:
    """Remove every sign-in cookie."""
    unset_jwt_cookies(response)
    return response


def revoke_session() -> None:
    """Revoke the current token and every other token of its sign-in session."""
    payload = get_jwt()
    identifiers = [payload["jti"]] + ([payload["sid"]] if payload.get("sid") else [])
    lifetime = current_app.config["JWT_REFRESH_TOKEN_EXPIRES"]
    RevokedToken.revoke(identifiers, utcnow() + lifetime)


def refresh_expiring_access_cookie(response: Response) -> Response:
    """Re-issue the browser's access cookie when it is close to expiry (implicit refresh)."""
    # A location is only known once a token of this request has been verified (and its user loaded).
    if get_jwt_request_location() != "cookies" or g.get("_skip_implicit_refresh"):
        return response
    payload = get_jwt()
    user = get_current_user()
    if payload.get("type") != "access" or user is None:
        return response
    expires = datetime.fromtimestamp(payload["exp"], UTC)
    window: timedelta = current_app.config["ACCESS_TOKEN_REFRESH_WINDOW"]
    if expires - datetime.now(UTC) < window:
        set_access_cookies(response, issue_access_token(user))
    return response


def signed_in_user() -> User | None:
    """The user of the request's access cookie, or None (never raises)."""
    if "dashboard_user" in g:
        return g.dashboard_user
    try:
        verify_jwt_in_request(optional=True, locations=["cookies"])
        user = get_current_user()
    except (JWTExtendedException, PyJWTError):
        user = None
    g.dashboard_user = user
    return user


def safe_next(next_path: str | None) -> str:
    """`next_path` if it can only be read as a path on this site, else the home page."""
    if not next_path or not next_path.startswith("/"):
        return "/"
    # Browsers drop tabs and newlines inside URLs and read a backslash as a slash, so "/\\evil",
    # "/\t/evil" or "/%5Cevil" (once decoded) would lead to another host: refuse any of them.
    if "\\" in next_path or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in next_path):
        return "/"
    parts = urlsplit(next_path)
    if parts.scheme or parts.netloc or next_path.startswith("//"):
        return "/"
    return next_path


def caller_is_admin() -> bool:
    """True when the request carries a valid token (header or cookie) of an active administrator;
    any missing or bad token just means "not an administrator" on public endpoints."""
    try:
        verify_jwt_in_request(optional=True)
    except (JWTExtendedException, PyJWTError):
        return False
    user = get_current_user()
    return user is not None and user.is_admin


def client_ip() -> str | None:
    """The caller's address (behind a proxy, set TRUSTED_PROXIES so it is the real one)."""
    return request.remote_addr
