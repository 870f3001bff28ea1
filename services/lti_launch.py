"""An LTI 1.3 launch: the platform's third-party login (OIDC) and the id_token it posts back, checked
with PyJWT against the platform's key set (signature, issuer, audience, expiry, one-time nonce,
deployment); the platform user is then signed in as a tutor of the course or as the learner."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import jwt

from db.lti import LtiLaunchState, LtiPlatform
from db.tables import utcnow
from services import lti_accounts
from services.lti_accounts import KeysetUnreachable, LaunchRefused

STATE_LIFETIME = timedelta(minutes=10)
CLOCK_LEEWAY_SECONDS = 60
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
_key_sets: dict[str, jwt.PyJWKClient] = {}


@dataclass(frozen=True)
class Launch:
    """A checked launch: who signed in and where they go."""

    user_id: int
    target: str


def _platform_for_login(issuer: str, client_id: str) -> LtiPlatform:
    candidates = [p for p in LtiPlatform.of_issuer(issuer) if not client_id or p.client_id == client_id]
    if not candidates:
        raise LaunchRefused(
            f"The platform {issuer or '(no issuer given)'} is not registered with this tool. "
            "An administrator registers it on the LTI page.",
            code="unknown_issuer",
        )
    if len(candidates) > 1:
        raise LaunchRefused("This platform is registered more than once: its login must name the client id.")
    return candidates[0]


def login_redirect(params: dict[str, str], launch_url: str) -> tuple[str, str]:
    """The platform's authorization address to send the browser to, and the state to bind to it."""
    if not params.get("login_hint"):
        raise LaunchRefused(
            "The login request carried no login_hint: start the launch from the course.", code="bad_login"
        )
    platform = _platform_for_login(params.get("iss", ""), params.get("client_id", ""))
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    LtiLaunchState.open(state, nonce, platform, utcnow() + STATE_LIFETIME)
    query = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": platform.client_id,
        "redirect_uri": launch_url,
        "login_hint": params["login_hint"],
        "state": state,
        "nonce": nonce,
    }
    if params.get("lti_message_hint"):
        query["lti_message_hint"] = params["lti_message_hint"]
    separator = "&" if "?" in platform.auth_login_url else "?"
    return f"{platform.auth_login_url}{separator}{urlencode(query)}", state


def _key_set(url: str) -> jwt.PyJWKClient:
    # One client per keyset URL: it caches the keys and fetches again when a token names a new kid.
    if url not in _key_sets:
        _key_sets[url] = jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=10)
    return _key_sets[url]


def _unverified(id_token: str) -> dict[str, Any]:
    try:
        return jwt.decode(id_token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise LaunchRefused("The launch's id_token is not a readable JWT.", code="bad_token") from None


def _audiences(claims: dict[str, Any]) -> list[str]:
    aud = claims.get("aud")
    return [aud] if isinstance(aud, str) else [str(item) for item in aud or []]


def _platform_for_launch(claims: dict[str, Any], expected: LtiPlatform) -> LtiPlatform:
    registered = LtiPlatform.of_issuer(str(claims.get("iss", "")))
    if not registered:
        raise LaunchRefused(
            f"The platform {claims.get('iss') or '(no issuer)'} is not registered with this tool.",
            code="unknown_issuer",
        )
    audiences = _audiences(claims)
    match = [p for p in registered if p.client_id in audiences]
    # Several audiences: the spec's authorized party (azp) names the one the launch is for.
    if not match or (len(audiences) > 1 and claims.get("azp") != match[0].client_id):
        raise LaunchRefused(
            "The launch was meant for another tool: its audience is not this tool's client id.",
            code="wrong_audience",
        )
    if match[0].id != expected.id:
        raise LaunchRefused(
            "The launch does not come from the platform that started the login. Open the tool again "
            "from your course.",
            code="platform_mismatch",
        )
    return match[0]


def _verified(id_token: str, platform: LtiPlatform) -> dict[str, Any]:
    """The token's claims once its signature, issuer, audience and times are checked."""
    try:
        key = _key_set(platform.keyset_url).get_signing_key_from_jwt(id_token)
    except jwt.PyJWKClientConnectionError:
        raise KeysetUnreachable(
            "The platform's key set could not be fetched; try again, or ask an administrator to check "
            "its keyset URL."
        ) from None
    except jwt.PyJWTError:
        raise LaunchRefused(
            "The launch's signature is not valid: no platform key matches it.", code="bad_signature"
        ) from None
    try:
        return jwt.decode(
            id_token,
            key.key,
            algorithms=["RS256"],
            audience=platform.client_id,
            issuer=platform.issuer,
            leeway=CLOCK_LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "sub", "nonce"]},
        )
    except jwt.ExpiredSignatureError:
        raise LaunchRefused(
            "The launch has expired. Open the tool again from your course.", code="expired"
        ) from None
    except jwt.InvalidSignatureError:
        raise LaunchRefused("The launch's signature is not valid.", code="bad_signature") from None
    except jwt.PyJWTError as exc:
        raise LaunchRefused(f"The launch's id_token is not valid: {exc}.", code="bad_token") from None


def _check_lti_claims(claims: dict[str, Any], platform: LtiPlatform, nonce: str) -> None:
    if not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
        raise LaunchRefused(
            "This launch was already used (its nonce does not match a login under way). "
            "Open the tool again from your course.",
            code="replayed",
        )
    deployment = str(claims.get(CLAIM + "deployment_id", ""))
    if deployment not in (platform.deployment_ids or []):
        raise LaunchRefused(
            f"The deployment {deployment or '(none)'} of this platform is not registered with this tool.",
            code="unknown_deployment",
        )
    if (
        claims.get(CLAIM + "message_type") != RESOURCE_LINK_REQUEST
        or claims.get(CLAIM + "version") != "1.3.0"
    ):
        raise LaunchRefused("Only LTI 1.3 resource link launches are accepted.", code="bad_message")


def launch(form: dict[str, str], state_cookie: str | None, ip: str | None = None) -> Launch:
    """Check a launch posted by a platform and sign its user in (an account made at first launch)."""
    state, id_token = form.get("state", ""), form.get("id_token", "")
    if form.get("error"):
        raise LaunchRefused(
            f"The platform refused the login: {form.get('error_description') or form['error']}."
        )
    if not state or not id_token:
        raise LaunchRefused(
            "The launch carried no state or no id_token: start it from the course.", code="bad_launch"
        )
    if not state_cookie or not secrets.compare_digest(state_cookie, state):
        raise LaunchRefused(
            "This launch was not started in this browser (its state cookie is missing or different). "
            "Open the tool again from your course, in a new window.",
            code="state_mismatch",
        )
    pending = LtiLaunchState.take(state)
    if pending is None:
        raise LaunchRefused(
            "This launch has expired or was already used. Open the tool again from your course.",
            code="replayed",
        )
    platform = _platform_for_launch(_unverified(id_token), pending.platform)
    claims = _verified(id_token, platform)
    _check_lti_claims(claims, platform, pending.nonce)
    user, target = lti_accounts.sign_in(platform, claims, ip)
    return Launch(user.id, target)
