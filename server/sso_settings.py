"""OpenID Connect providers and the local-password switch, read from the environment and checked at
start-up (no request to a provider is made here: discovery happens at the first sign-in)."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

from db.tables import ROLES

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
KNOWN_KEYS = {
    "name",
    "label",
    "issuer",
    "client_id",
    "client_secret",
    "scopes",
    "role_claim",
    "role_map",
    "default_role",
}
REQUIRED_KEYS = ("name", "issuer", "client_id", "client_secret")
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}


def parse_providers(raw: str | None) -> list[dict]:
    """The providers of OIDC_PROVIDERS (a JSON list of objects); RuntimeError saying what is wrong."""
    if not raw or not raw.strip():
        return []
    try:
        items = json.loads(raw)
    except ValueError as exc:
        raise RuntimeError(f"OIDC_PROVIDERS is not valid JSON: {exc}") from None
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise RuntimeError("OIDC_PROVIDERS must be a JSON list of objects, one per provider.")
    providers = [_provider(position, item) for position, item in enumerate(items, start=1)]
    names = [p["name"] for p in providers]
    if len(set(names)) != len(names):
        raise RuntimeError("OIDC_PROVIDERS: two providers have the same name.")
    return providers


def _provider(position: int, item: dict) -> dict:
    where = f"OIDC_PROVIDERS provider {position}"
    missing = [key for key in REQUIRED_KEYS if not str(item.get(key) or "").strip()]
    if missing:
        raise RuntimeError(f"{where}: missing {', '.join(missing)}.")
    unknown = sorted(set(item) - KNOWN_KEYS)
    if unknown:
        raise RuntimeError(
            f"{where}: unknown setting {', '.join(unknown)} (known: {', '.join(sorted(KNOWN_KEYS))})."
        )
    name = str(item["name"]).strip().lower()
    if not NAME_PATTERN.match(name):
        raise RuntimeError(f"{where}: name must be 1 to 32 lowercase letters, digits or dashes.")
    issuer = str(item["issuer"]).strip().rstrip("/")
    _check_issuer(where, issuer)
    scopes = item.get("scopes") or "openid email profile"
    scopes = " ".join(scopes) if isinstance(scopes, list) else str(scopes)
    if "openid" not in scopes.split():
        raise RuntimeError(f"{where}: scopes must include openid.")
    return {
        "name": name,
        "label": str(item.get("label") or name.title()),
        "issuer": issuer,
        "client_id": str(item["client_id"]),
        "client_secret": str(item["client_secret"]),
        "scopes": scopes,
        "role_claim": str(item.get("role_claim") or ""),
        "role_map": _role_map(where, item.get("role_map") or {}),
        "default_role": _role(where, "default_role", item.get("default_role") or "student"),
    }


def _check_issuer(where: str, issuer: str) -> None:
    parts = urlsplit(issuer)
    # Plain http only on this machine (a provider started for development or a test).
    if not parts.netloc or not (
        parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS)
    ):
        raise RuntimeError(f"{where}: issuer must be an https URL (http only for localhost), not {issuer!r}.")


def _role(where: str, key: str, value: object) -> str:
    if value not in ROLES:
        raise RuntimeError(f"{where}: {key} {value!r} must be one of {', '.join(ROLES)}.")
    return str(value)


def _role_map(where: str, mapping: object) -> dict[str, str]:
    if not isinstance(mapping, dict):
        raise RuntimeError(f"{where}: role_map must be an object of claim value to role.")
    return {str(value): _role(where, f"role_map[{value!r}]", role) for value, role in mapping.items()}


def check_local_passwords(local_passwords: bool, providers: list[dict]) -> None:
    """Refuse to switch local passwords off when no provider could sign anyone in."""
    if not local_passwords and not providers:
        raise RuntimeError(
            "LOCAL_PASSWORDS=off needs at least one provider in OIDC_PROVIDERS, or nobody could sign in."
        )
