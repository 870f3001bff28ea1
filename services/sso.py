"""Single sign-on accounts: the configured providers, the sign-in round trip's two halves, and the
account a provider's subject signs in to (created on first sign-in with the mapped role, never an
existing account found by e-mail)."""

from __future__ import annotations

import hashlib
import re

import peewee

from db.connection import database
from db.identities import UserIdentity
from db.tables import ROLES, Activity, User, utcnow
from services import oidc
from services.accounts import EMAIL_PATTERN, USERNAME_PATTERN
from services.errors import Conflict, Forbidden, NotFound
from services.oidc import SignInRefused
from services.sign_in_methods import providers

# Placeholder that no password matches: the account signs in only through its provider.
NO_PASSWORD = "!sso"
# What the sign-in page says for each reason a provider's answer was refused (shown by code only).
REFUSALS = {
    "state": "This sign-in was not started here or has already been used. Please try again.",
    "provider": "The sign-in provider did not sign you in. Please try again.",
    "unreachable": "The sign-in provider could not be reached. Please try again later.",
    "exchange": "The sign-in provider refused to complete the sign-in. Please try again.",
    "signature": "The sign-in was refused: the provider's ID token is not signed with the provider's keys.",
    "issuer": "The sign-in was refused: the ID token was issued by another provider.",
    "audience": "The sign-in was refused: the ID token was issued for another application.",
    "expired": "The sign-in was refused: the provider's ID token has expired.",
    "nonce": "The sign-in was refused: the ID token does not belong to this sign-in (wrong nonce).",
    "claims": "The sign-in was refused: the provider's ID token is incomplete or invalid.",
    "email_taken": "An account here already uses the e-mail address your provider gave, and it is not "
    "taken over by e-mail alone. Ask an administrator to link it to your sign-in.",
    "inactive": "This account has been deactivated.",
    "not_found": "This sign-in provider is not configured here.",
    "other": "The sign-in did not succeed. Please try again.",
}
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}


def provider(name: str) -> dict:
    """The configured provider of this name."""
    for item in providers():
        if item["name"] == name:
            return item
    raise NotFound("No such sign-in provider.")


def start(name: str, redirect_uri: str, target: str) -> tuple[str, dict]:
    """Where to send the browser to sign in with this provider, and what to keep until it returns."""
    url, pending = oidc.authorization(provider(name), redirect_uri)
    return url, {**pending, "provider": name, "next": target}


def finish(name: str, pending: dict | None, args: dict, redirect_uri: str, ip: str | None) -> User:
    """The account signed in by the provider's answer (the callback's query), or SignInRefused."""
    item = provider(name)
    if args.get("error"):
        raise SignInRefused(f"{item['label']} did not sign you in ({args['error']}).", code="provider")
    if not pending or pending.get("provider") != name or pending.get("state") != args.get("state"):
        raise SignInRefused("This sign-in was not started here or has already been used.", code="state")
    try:
        claims = oidc.exchange(item, str(args.get("code") or ""), redirect_uri, pending)
    except SignInRefused as exc:
        Activity.record("login_failed", None, ip, provider=name, reason=f"sso_{exc.code}")
        raise
    return sign_in(item, claims, ip)


def sign_in(item: dict, claims: dict, ip: str | None) -> User:
    """The account of the provider's subject (created the first time); refused when deactivated."""
    subject = str(claims["sub"])
    try:
        user = UserIdentity.user_for(item["name"], subject) or _create(item, claims, subject, ip)
    except peewee.IntegrityError:
        # The same person's first sign-in finishing twice at once (two tabs): the other one made it.
        user = UserIdentity.user_for(item["name"], subject)
        if user is None:
            raise SignInRefused("The account could not be created; please try again.", code="other") from None
    if not user.is_active:
        Activity.record("login_failed", user, ip, provider=item["name"], reason="inactive")
        raise Forbidden("This account has been deactivated.", code="inactive")
    with database.atomic():
        UserIdentity.touch(item["name"], subject)
        user.last_login_at = utcnow()
        user.save()
        Activity.record("login", user, ip, provider=item["name"])
    return user


def _create(item: dict, claims: dict, subject: str, ip: str | None) -> User:
    email = str(claims.get("email") or "").strip().lower()
    if email and User.select().where(User.email == email).exists():
        # Never taken over by e-mail alone: the provider's address might not be the account owner's.
        Activity.record(
            "login_failed", None, ip, provider=item["name"], subject=subject, reason="email_taken"
        )
        raise SignInRefused(
            "An account here already uses the e-mail address your provider gave; it is not taken over. "
            "Ask an administrator to link it to your sign-in.",
            code="email_taken",
        )
    username = _free_username(claims, item["name"], subject)
    if not EMAIL_PATTERN.match(email):
        email = f"{username}@{item['name']}.invalid"
    with database.atomic():
        return _create_linked(item, claims, subject, username, email, ip)


def _create_linked(item: dict, claims: dict, subject: str, username: str, email: str, ip: str | None) -> User:
    user = User.create(
        username=username,
        email=email,
        full_name=" ".join(str(claims.get("name") or "").split())[:120],
        role=role_for(item, claims),
        password_hash=NO_PASSWORD,
    )
    UserIdentity.link(user, item["name"], subject)
    Activity.record("register", user, ip, provider=item["name"])
    return user


def role_for(item: dict, claims: dict) -> str:
    """The role the provider's claim maps to (the highest of several), else the provider's default."""
    value = claims.get(item["role_claim"]) if item["role_claim"] else None
    values = value if isinstance(value, list) else [value] if value is not None else []
    mapping = item["role_map"] or {role: role for role in ROLES}
    roles = [mapping[str(v)] for v in values if str(v) in mapping]
    return max(roles, key=ROLE_RANK.__getitem__) if roles else item["default_role"]


def _free_username(claims: dict, provider_name: str, subject: str) -> str:
    wanted = str(claims.get("preferred_username") or str(claims.get("email") or "").split("@")[0])
    base = re.sub(r"[^a-z0-9_.-]", "", wanted.lower())[:28].lstrip("_.-")
    if len(base) < 3:
        base = f"{provider_name}-{hashlib.sha256(subject.encode()).hexdigest()[:8]}"[:28]
    for number in range(1, 100):
        candidate = base if number == 1 else f"{base}-{number}"
        if USERNAME_PATTERN.match(candidate) and not User.select().where(User.username == candidate).exists():
            return candidate
    return f"{provider_name}-{hashlib.sha256(subject.encode()).hexdigest()[:16]}"[:32]


def link(username: str, provider_name: str, subject: str) -> User:
    """An administrator links an existing account to a provider's subject (from the command line)."""
    provider(provider_name)
    user = User.by_login(username)
    if user is None:
        raise NotFound(f"No account {username!r}.")
    try:
        with database.atomic():
            UserIdentity.link(user, provider_name, subject)
            Activity.record("sso_linked", user, None, provider=provider_name)
    except peewee.IntegrityError:
        raise Conflict(f"This {provider_name} subject already signs in to an account.") from None
    return user
