"""How people may sign in on this deployment: the OpenID Connect providers and local passwords."""

from __future__ import annotations

from flask import current_app

from services.errors import Forbidden


def providers() -> list[dict]:
    """The configured providers (their secrets stay server-side: pages show name and label only)."""
    return list(current_app.config.get("OIDC_PROVIDERS") or [])


def local_passwords_on() -> bool:
    """Whether this deployment lets people sign in (and sign up) with a local password."""
    return bool(current_app.config.get("LOCAL_PASSWORDS", True))


def require_local_passwords() -> None:
    """Refuse password sign-in and sign-up where local passwords are switched off."""
    if not local_passwords_on():
        labels = " or ".join(item["label"] for item in providers())
        raise Forbidden(
            f"Password sign-in is switched off on this site: sign in with {labels}.",
            code="local_passwords_off",
        )
