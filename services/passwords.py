"""Password hashing with argon2id and the password policy."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

MIN_LENGTH = 8
MAX_LENGTH = 128
# zxcvbn's 0-4 scale; 3 means "safely unguessable" against an online attack on a slow hash.
MIN_SCORE = 3

_hasher = PasswordHasher()


def configure(time_cost: int, memory_cost: int) -> None:
    """Set the argon2id cost (the factory calls this from the configuration)."""
    global _hasher
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost)


def hash_password(password: str) -> str:
    """An argon2id hash with its own random salt."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when `password` matches the stored hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than the current ones."""
    return _hasher.check_needs_rehash(password_hash)


def policy_problem(password: str, username: str, *others: str) -> str | None:
    """Why `password` is not acceptable for `username` (and its email or name), or None."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    if password.strip().lower() == username.strip().lower():
        return "The password must not be the username."
    personal = [username, *others]
    return personal_problem(password, personal) or strength_problem(password, personal)


def personal_problem(password: str, personal: list[str]) -> str | None:
    """Why `password` is only the account's own words (repeated, reversed, recased, with separators)."""
    # zxcvbn knows the user inputs as words but scores "name-name" or "eman-eman" as strong enough;
    # what is left once every personal word and its reversal is taken out must stand on its own.
    words = _personal_words(personal)
    rest = password.lower()
    found = False
    for word in words:
        if word in rest:
            rest = rest.replace(word, " ")
            found = True
    if not found:
        return None
    rest = re.sub(r"[\W_]+", "", rest)
    if rest and zxcvbn(rest)["score"] >= MIN_SCORE:
        return None
    return "The password must not be built from your username, e-mail or name."


def _personal_words(personal: list[str]) -> list[str]:
    """Each personal word, its e-mail's local part and name parts, and their reversals, longest first."""
    words: set[str] = set()
    for text in personal:
        text = (text or "").strip().lower()
        parts = {text, text.split("@")[0], *text.split()}
        words |= {part for part in parts if len(part) >= 3}
    words |= {word[::-1] for word in words}
    return sorted(words, key=len, reverse=True)


def strength_problem(password: str, personal: list[str]) -> str | None:
    """zxcvbn's reason when `password` is too easy to guess (words from `personal` count as known)."""
    result = zxcvbn(password, user_inputs=[word for word in personal if word])
    if result["score"] >= MIN_SCORE:
        return None
    feedback = result["feedback"]
    reasons = [feedback["warning"], *feedback["suggestions"]]
    advice = " ".join(reason for reason in reasons if reason)
    return f"This password is too easy to guess. {advice}".strip()


_dummy_hash: str | None = None


def burn_time(password: str) -> None:
    """Spend the same time as a real check, so unknown usernames are not revealed by timing."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash("not-a-real-password")
    verify_password(_dummy_hash, password)
