"""Sign-in and registration throttling from the activity log.

Following OWASP's authentication guidance, limits are keyed by the caller's address: an attacker
is slowed down from the addresses they use, while the owner signing in from elsewhere is not.
Known and unknown names are throttled alike, so a 429 does not tell that an account exists.
"""

from __future__ import annotations

from flask import current_app

from db.tables import Activity, User, utcnow
from services.errors import RateLimited

SIGN_IN_MESSAGE = "Too many failed sign-ins from this address. Try again later."
REGISTER_MESSAGE = "Too many registrations from this address. Try again later."


def login_key(login: str) -> str:
    """The form of a typed name under which failures for an unknown name are counted."""
    return login.strip().lower()[:64]


def check_sign_in(user: User | None, login: str, ip: str | None) -> None:
    """Refuse with 429 when this address failed too often, overall or for this name."""
    if not ip:
        return
    config = current_app.config
    window = config["LOGIN_WINDOW"]
    since = utcnow() - window
    if Activity.failures_since(since, ip=ip) >= config["LOGIN_MAX_FAILURES_PER_ADDRESS"]:
        raise RateLimited(SIGN_IN_MESSAGE, int(window.total_seconds()))
    if _name_failures(user, login, ip, since) >= config["LOGIN_MAX_FAILURES_PER_ACCOUNT_ADDRESS"]:
        raise RateLimited(SIGN_IN_MESSAGE, int(window.total_seconds()))


def _name_failures(user: User | None, login: str, ip: str, since) -> int:
    if user is None:
        key = login_key(login)
        return sum(1 for tried in Activity.unknown_logins_failed_since(since, ip) if tried == key)
    # A success from this address proves it is the owner's; one from elsewhere proves nothing here.
    last_ok = Activity.last_success(user, ip)
    account_since = max(since, last_ok) if last_ok else since
    return Activity.failures_since(account_since, user=user, ip=ip)


def check_registration(ip: str | None) -> None:
    """Refuse with 429 when this address registered, or was told a name is taken, too often."""
    if not ip:
        return
    config = current_app.config
    window = config["REGISTER_WINDOW"]
    since = utcnow() - window
    taken = Activity.count_since(["register_taken"], since, ip)
    attempts = taken + Activity.count_since(["register"], since, ip)
    if taken >= config["REGISTER_MAX_TAKEN_PER_ADDRESS"] or attempts >= config["REGISTER_MAX_PER_ADDRESS"]:
        raise RateLimited(REGISTER_MESSAGE, int(window.total_seconds()))
