"""flask-jwt-extended's manager, remembering the bearer tokens whose signature it has checked."""

from __future__ import annotations

import threading
import time

from flask import current_app
from flask_jwt_extended import JWTManager

VERIFIED_TOKENS_KEPT = 4096


class RememberingJWTManager(JWTManager):
    """A JWTManager that verifies each bearer token once per process.

    flask-jwt-extended decodes a token three times per request (twice unverified, to pick the
    key, then verified): a quarter of a saved prediction's time. A script sends the same token
    on every call, so the claims of a token that passed verification are kept, keyed by the whole
    encoded token and the app's secret (signature included: an altered token is a different key
    and is verified afresh), and reused until the token's own `exp`. Revocation, the user and
    their epoch are still checked on every request by the loaders in `server.security`; tokens
    checked against a CSRF value (cookies on writes) are never taken from here."""

    def __init__(self, app=None, add_context_processor: bool = False) -> None:
        self._verified: dict[tuple[str, str], dict] = {}
        self._verified_lock = threading.Lock()
        super().__init__(app, add_context_processor)

    def _decode_jwt_from_config(
        self, encoded_token: str, csrf_value=None, allow_expired: bool = False
    ) -> dict:
        if csrf_value is not None or allow_expired:
            return super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired)
        key = (current_app.config["JWT_SECRET_KEY"], encoded_token)
        claims = self._verified.get(key)
        if claims is not None and claims["exp"] > time.time():
            return dict(claims)
        claims = super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired)
        if isinstance(claims.get("exp"), int | float):
            with self._verified_lock:
                if len(self._verified) >= VERIFIED_TOKENS_KEPT:
                    self._verified.clear()
                self._verified[key] = dict(claims)
        return claims
