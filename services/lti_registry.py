"""The product as an LTI 1.3 tool: its key pair (made at first use, kept in the database so every
process and host signs with the same key) and the platforms administrators register."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlsplit

import peewee
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from db.connection import write_transaction
from db.lti import LtiPlatform, LtiToolKey
from db.tables import Activity, User
from services.errors import Conflict, InvalidInput, NotFound
from services.tutoring.tutors import require_admin

TEXT_FIELDS = ("issuer", "client_id")
URL_FIELDS = ("keyset_url", "auth_login_url", "token_url")
OPTIONAL_FIELDS = ("token_url",)  # only platform services (grades, rosters) need it; a launch does not


def tool_key() -> LtiToolKey:
    """The tool's key pair, generated and stored the first time it is asked for."""
    found = LtiToolKey.current()
    if found is not None:
        return found
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return LtiToolKey.store_first(hashlib.sha256(public_der).hexdigest()[:32], pem)


def jwks() -> dict[str, Any]:
    """The tool's public key set, as platforms fetch it from the JWKS URL."""
    key = tool_key()
    private = serialization.load_pem_private_key(key.private_pem.encode(), password=None)
    public = RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    return {"keys": [{**public, "kid": key.kid, "alg": "RS256", "use": "sig"}]}


def platforms() -> list[dict[str, Any]]:
    """Every registered platform."""
    return [platform.to_dict() for platform in LtiPlatform.listed()]


def _clean_url(name: str, value: str, problems: dict[str, str]) -> str:
    value = (value or "").strip()
    if not value and name in OPTIONAL_FIELDS:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc or len(value) > 1000:
        problems[name] = "An http(s) address, at most 1000 characters."
    return value


def _clean_deployments(value: Any, problems: dict[str, str]) -> list[str]:
    items = value.replace(",", "\n").splitlines() if isinstance(value, str) else list(value or [])
    cleaned = sorted({str(item).strip() for item in items if str(item).strip()})
    if not cleaned or any(len(item) > 255 for item in cleaned):
        problems["deployment_ids"] = "One or more deployment ids (one a line), each at most 255 characters."
    return cleaned


def _cleaned(fields: dict[str, Any]) -> dict[str, Any]:
    """The registration's fields, stripped and checked; every problem reported at once."""
    problems: dict[str, str] = {}
    row: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        row[name] = str(fields.get(name) or "").strip()
        if not row[name] or len(row[name]) > 255:
            problems[name] = "Required, at most 255 characters."
    for name in URL_FIELDS:
        row[name] = _clean_url(name, str(fields.get(name) or ""), problems)
    row["deployment_ids"] = _clean_deployments(fields.get("deployment_ids"), problems)
    if problems:
        raise InvalidInput("Please correct the highlighted fields.", problems)
    return row


def register_platform(admin: User | None, fields: dict[str, Any], ip: str | None = None) -> dict[str, Any]:
    """Register a platform (issuer, client id, deployment ids, keyset, login and token URLs)."""
    require_admin(admin, "register LTI platforms")
    row = _cleaned(fields)
    try:
        with write_transaction():
            platform = LtiPlatform.create(**row)
            Activity.record(
                "lti_platform_registered", admin, ip, issuer=row["issuer"], client_id=row["client_id"]
            )
    except peewee.IntegrityError:
        raise Conflict(
            "This issuer is already registered with this client id.", {"client_id": "already registered"}
        ) from None
    return platform.to_dict()


def remove_platform(admin: User | None, platform_id: int, ip: str | None = None) -> dict[str, Any]:
    """Remove a registration: its platform can no longer launch the tool (the accounts it made stay)."""
    require_admin(admin, "remove LTI platforms")
    platform = LtiPlatform.get_or_none(LtiPlatform.id == platform_id)
    if platform is None:
        raise NotFound(f"No LTI platform {platform_id}.")
    with write_transaction():
        platform.delete_instance(recursive=False)
        Activity.record(
            "lti_platform_removed", admin, ip, issuer=platform.issuer, client_id=platform.client_id
        )
    return platform.to_dict()
