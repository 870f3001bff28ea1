"""API keys for platforms' scripts: create (the secret shown once), list, revoke, authenticate."""

from __future__ import annotations

import fnmatch
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import peewee

from db.api_keys import SCOPES, ApiKey
from db.connection import write_transaction
from db.courses import Course
from db.tables import Activity, User, utcnow
from services.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated

HEADER = "X-API-Key"
KEY_PREFIX = "ssa_"
PREFIX_BYTES = 4  # 8 hex characters: enough to tell keys apart in a list, not a secret
NAME_RULE = "Use 2 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit."
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,63}$")
KEY_PATTERN = re.compile(
    rf"^{KEY_PREFIX}(?P<prefix>[0-9a-f]{{{PREFIX_BYTES * 2}}})_(?P<secret>[\w-]{{20,100}})$"
)
# last_used_at is written at most once per interval per key, so a platform pushing in a tight loop
# does not turn every request into a write.
LAST_USED_INTERVAL = timedelta(minutes=1)


def _hash(key: str) -> str:
    """SHA-256 of the whole key. A password needs a slow hash (argon2) because people choose guessable
    ones; a key is 256 random bits from `secrets`, so no guess can be tested faster than brute force
    over 2**256 values, and a fast hash keeps each authenticated request cheap."""
    return hashlib.sha256(key.encode()).hexdigest()


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not NAME_PATTERN.match(name):
        raise InvalidInput(
            "Please correct the highlighted field.",
            {"name": NAME_RULE},
        )
    return name


COURSE_PATTERN = re.compile(r"^[\w.:+/*?\[\]-]{1,64}$")
COURSES_RULE = (
    "Course codes or patterns (* and ? as wildcards), one per line or comma-separated,"
    " up to 64 characters each."
)
MAX_PATTERNS = 200


def _clean_courses(courses: str | list[str] | None) -> str:
    """The key's course codes or patterns, one per line ('' for every course)."""
    if isinstance(courses, str):
        courses = re.split(r"[,\n]", courses)
    patterns = [pattern.strip() for pattern in courses or [] if pattern and pattern.strip()]
    if len(patterns) > MAX_PATTERNS or not all(COURSE_PATTERN.match(pattern) for pattern in patterns):
        raise InvalidInput("Please correct the highlighted field.", {"courses": COURSES_RULE})
    return "\n".join(dict.fromkeys(patterns))


def _clean_scope(scope: str) -> str:
    if scope not in SCOPES:
        raise InvalidInput(
            "Please correct the highlighted field.", {"scope": f"One of: {', '.join(SCOPES)}."}
        )
    return scope


def create(
    name: str,
    scope: str,
    created_by: User | None = None,
    ip: str | None = None,
    *,
    courses: str | list[str] | None = None,
    may_create_courses: bool = False,
    may_push_finished: bool = False,
) -> tuple[ApiKey, str]:
    """A new key and its secret; the secret is returned only here (only its hash is stored). The key
    pushes into the courses `courses` names (codes or patterns; none: every course), creates courses
    only if `may_create_courses`, and pushes into finished courses only if `may_push_finished`."""
    name, scope, courses = _clean_name(name), _clean_scope(scope), _clean_courses(courses)
    limits = {"courses": courses, "may_create_courses": bool(may_create_courses),
              "may_push_finished": bool(may_push_finished)}
    prefix = secrets.token_hex(PREFIX_BYTES)
    key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    try:
        with write_transaction():
            if ApiKey.by_name(name) is not None:
                raise Conflict(
                    f"A key named {name} exists (revoked keys keep their name).", {"name": "Already used."}
                )
            row = ApiKey.create(
                name=name, scope=scope, prefix=prefix, secret_hash=_hash(key), created_by=created_by, **limits
            )
            Activity.record("api_key_create", created_by, ip, name=name, scope=scope, prefix=prefix, **limits)
    except peewee.IntegrityError:
        # Another request took the name (or, once in 4 billion, the prefix) between check and insert.
        raise Conflict(f"A key named {name} exists.", {"name": "Already used."}) from None
    return row, key


def keys() -> list[dict[str, Any]]:
    """Every key (never a secret): live ones first."""
    return [row.to_dict() for row in ApiKey.listing()]


def revoke(name: str, by: User | None = None, ip: str | None = None) -> ApiKey:
    """Stop the key working at once; revoking a revoked key changes nothing."""
    with write_transaction():
        row = ApiKey.by_name((name or "").strip())
        if row is None:
            raise NotFound(f"No API key named {name}.")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            row.save()
            Activity.record("api_key_revoke", by, ip, name=row.name, prefix=row.prefix)
    return row


def authenticate(key: str | None, scope: str) -> ApiKey:
    """The live key `key` with `scope`, its last use noted (401 for a wrong or revoked key, 403 for
    another scope)."""
    match = KEY_PATTERN.match(key or "")
    row = ApiKey.by_prefix(match.group("prefix")) if match else None
    # Compare digests in constant time, so response times do not reveal how much of a hash matched.
    if row is None or not hmac.compare_digest(row.secret_hash, _hash(key)) or row.is_revoked:
        raise Unauthenticated("The API key is not valid or has been revoked.", code="invalid_api_key")
    if row.scope != scope:
        raise Forbidden(f"This API key has the scope {row.scope}, not {scope}.")
    now = utcnow()
    if row.last_used_at is None or row.last_used_at < now - LAST_USED_INTERVAL:
        ApiKey.mark_used(row.id, now, now - LAST_USED_INTERVAL)
    return row


def authenticate_sensor(header: str | None, credentials: Any, query: str | None) -> ApiKey:
    """The live ingest key of a Caliper sensor: as X-API-Key, as `Authorization: Bearer <key>`, or as the
    `key` query parameter of a webhook that sends no header (401 otherwise)."""
    bearer = getattr(credentials, "token", None) if getattr(credentials, "type", None) == "bearer" else None
    key = next((given for given in (header, bearer, query) if given is not None), None)
    if key is None:
        raise Unauthenticated(
            "Send an ingest key as Authorization: Bearer <key>, as X-API-Key, or as the key parameter.",
            code="invalid_api_key",
        )
    return authenticate(key, "ingest")


def authenticate_basic(credentials: Any) -> ApiKey:
    """The live ingest key sent by HTTP Basic (an LRS credential): the key's prefix as the user, the whole
    key as the password (401 otherwise)."""
    if credentials is None or credentials.type != "basic" or not credentials.password:
        raise Unauthenticated(
            "Send an ingest key by HTTP Basic: its prefix as the user name, the whole key as the password.",
            code="invalid_api_key",
        )
    row = authenticate(credentials.password, "ingest")
    if credentials.username not in (row.prefix, f"{KEY_PREFIX}{row.prefix}"):
        raise Unauthenticated("The user name is not the key's prefix.", code="invalid_api_key")
    return row


def course_policy(key: ApiKey, today: date) -> Callable[[str, Course | None], str | None]:
    """The rule an import applies to each course a push from `key` names: why its rows are refused, or
    None (outside the key's courses; new while the key may not create courses; finished while the key
    may not push into finished courses, whose outcomes train the model)."""
    patterns = key.course_patterns

    def refusal(code: str, course: Course | None) -> str | None:
        if patterns and not any(fnmatch.fnmatchcase(code, pattern) for pattern in patterns):
            return f"the key {key.name} may not push into course {code}"
        if course is None and not key.may_create_courses:
            return f"no course {code}, and the key {key.name} may not create courses"
        if course is not None and course.has_finished(today) and not key.may_push_finished:
            return f"course {code} has finished; the key {key.name} may not push into finished courses"
        return None

    return refusal
