"""The OpenID Connect protocol, for the relying party: discovery (fetched at the first sign-in and
kept), the authorization request with state, nonce and PKCE, the code exchange, and the ID token's
checks (signature against the provider's JWKS, issuer, audience, expiry, nonce)."""

from __future__ import annotations

import threading
import time
from urllib.parse import urlencode

import requests
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import errors as jose_errors
from joserfc import jwt
from joserfc.jwk import KeySet

from services.errors import ServiceError

TIMEOUT_SECONDS = 10
DISCOVERY_SECONDS = 3600
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"]
CLOCK_LEEWAY_SECONDS = 60
_cache: dict[str, tuple[float, dict]] = {}
_cache_lock = threading.Lock()


class SignInRefused(ServiceError):
    """A provider's answer that does not sign anyone in; `code` names the reason for the sign-in page."""

    status = 401


def discovery(issuer: str) -> dict:
    """The provider's metadata (and its key set), fetched once an hour at most."""
    with _cache_lock:
        cached = _cache.get(issuer)
    if cached and time.monotonic() - cached[0] < DISCOVERY_SECONDS:
        return cached[1]
    metadata = _get_json(f"{issuer}/.well-known/openid-configuration")
    if metadata.get("issuer", "").rstrip("/") != issuer:
        raise SignInRefused("The provider's discovery document names another issuer.", code="issuer")
    metadata["_jwks"] = _get_json(metadata["jwks_uri"])
    with _cache_lock:
        _cache[issuer] = (time.monotonic(), metadata)
    return metadata


def forget(issuer: str) -> None:
    """Drop the kept metadata, so that the next sign-in fetches it again (keys rotated)."""
    with _cache_lock:
        _cache.pop(issuer, None)


def _get_json(url: str) -> dict:
    try:
        response = requests.get(url, timeout=TIMEOUT_SECONDS)
        response.raise_for_status()
        return response.json()
    except (requests.RequestException, ValueError):
        raise SignInRefused("The sign-in provider could not be reached.", code="unreachable") from None


def authorization(provider: dict, redirect_uri: str) -> tuple[str, dict]:
    """The URL to send the browser to, and what to keep until it comes back (state, nonce, verifier)."""
    metadata = discovery(provider["issuer"])
    pending = {"state": generate_token(32), "nonce": generate_token(32), "verifier": generate_token(64)}
    query = {
        "response_type": "code",
        "client_id": provider["client_id"],
        "redirect_uri": redirect_uri,
        "scope": provider["scopes"],
        "state": pending["state"],
        "nonce": pending["nonce"],
        "code_challenge": create_s256_code_challenge(pending["verifier"]),
        "code_challenge_method": "S256",
    }
    return f"{metadata['authorization_endpoint']}?{urlencode(query)}", pending


def exchange(provider: dict, code: str, redirect_uri: str, pending: dict) -> dict:
    """Trade the code for tokens and return the ID token's checked claims."""
    metadata = discovery(provider["issuer"])
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": pending["verifier"],
    }
    try:
        response = requests.post(
            metadata["token_endpoint"],
            data=form,
            auth=(provider["client_id"], provider["client_secret"]),
            timeout=TIMEOUT_SECONDS,
        )
        tokens = response.json()
    except (requests.RequestException, ValueError):
        raise SignInRefused("The sign-in provider could not be reached.", code="unreachable") from None
    if response.status_code != 200 or "id_token" not in tokens:
        raise SignInRefused("The provider refused to exchange the sign-in code.", code="exchange")
    return id_token_claims(provider, tokens["id_token"], pending["nonce"])


def id_token_claims(provider: dict, id_token: str, nonce: str) -> dict:
    """The ID token's claims once its signature, issuer, audience, expiry and nonce are right."""
    metadata = discovery(provider["issuer"])
    try:
        token = _decode(id_token, metadata)
    except (jose_errors.JoseError, ValueError):
        # A key rotated since discovery: fetch the key set once more before refusing.
        forget(provider["issuer"])
        token = _decode_or_refuse(id_token, discovery(provider["issuer"]))
    registry = jwt.JWTClaimsRegistry(
        leeway=CLOCK_LEEWAY_SECONDS,
        iss={"essential": True, "value": metadata["issuer"]},
        aud={"essential": True, "value": provider["client_id"]},
        exp={"essential": True},
        sub={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(token.claims)
    except jose_errors.ExpiredTokenError:
        raise SignInRefused("The provider's ID token has expired.", code="expired") from None
    except jose_errors.ClaimError as exc:
        claim = getattr(exc, "claim", "") or ""
        raise SignInRefused(
            f"The provider's ID token has a wrong {claim} claim.", code=_claim_code(claim)
        ) from None
    return token.claims


def _claim_code(claim: str) -> str:
    return {"iss": "issuer", "aud": "audience", "nonce": "nonce"}.get(claim, "claims")


def _decode(id_token: str, metadata: dict):
    return jwt.decode(id_token, KeySet.import_key_set(metadata["_jwks"]), algorithms=ALGORITHMS)


def _decode_or_refuse(id_token: str, metadata: dict):
    try:
        return _decode(id_token, metadata)
    except (jose_errors.JoseError, ValueError):
        raise SignInRefused(
            "The ID token's signature does not match the provider's keys.", code="signature"
        ) from None
