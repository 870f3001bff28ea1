"""Accounts: registration, sign-in with throttling, profile, password, users, activity."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from db.connection import database, write_transaction
from db.tables import ROLES, Activity, User, utcnow
from services import passwords, throttle
from services.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from services.sign_in_methods import require_local_passwords

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,31}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Page:
    """One page of a listing."""

    items: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def _clean_email(email: str) -> str:
    email = email.strip().lower()
    if not EMAIL_PATTERN.match(email) or len(email) > 254:
        raise InvalidInput("Please correct the highlighted field.", {"email": "Not a valid email address."})
    return email


def _clean_full_name(full_name: str) -> str:
    full_name = " ".join(full_name.split())
    if len(full_name) > 120:
        raise InvalidInput(
            "Please correct the highlighted field.", {"full_name": "Use at most 120 characters."}
        )
    return full_name


def _email_taken(email: str, except_user: User | None = None) -> bool:
    query = User.select().where(User.email == email)
    if except_user is not None:
        query = query.where(User.id != except_user.id)
    return query.exists()


def _registration_problems(username: str, email: str, password: str, full_name: str = "") -> dict[str, str]:
    """Every field of a registration that is wrong and why (all at once, so a form shows them together)."""
    username = username.strip().lower()
    problems: dict[str, str] = {}
    if not USERNAME_PATTERN.match(username):
        problems["username"] = (
            "Use 3 to 32 letters, digits, dots, dashes or underscores, starting with a letter or digit."
        )
    for clean, value in ((_clean_email, email), (_clean_full_name, full_name)):
        try:
            clean(value)
        except InvalidInput as exc:
            problems.update(exc.fields)
    policy = passwords.policy_problem(password, username, email, full_name)
    if policy:
        problems["password"] = policy
    return problems


def register(
    username: str,
    email: str,
    password: str,
    full_name: str = "",
    *,
    role: str = "student",
    ip: str | None = None,
    confirmation: str | None = None,
) -> User:
    """Create an account (students sign themselves up; admins are made by the CLI or an admin);
    a form passes the password typed twice as `confirmation`, checked with the other fields."""
    username = username.strip().lower()
    problems = _registration_problems(username, email, password, full_name)
    if confirmation is not None and confirmation != password:
        problems["confirm"] = "The two passwords differ."
    if role not in ROLES:
        problems["role"] = f"Must be one of {', '.join(ROLES)}."
    if problems:
        raise InvalidInput("Please correct the highlighted fields.", problems)
    email, full_name = _clean_email(email), _clean_full_name(full_name)
    throttle.check_registration(ip)
    with database.atomic():
        taken = _taken_fields(username, email)
        if not taken:
            user = _create_user(username, email, password, full_name, role, ip)
    if taken:
        # Logged so that probing for existing accounts is throttled (services/throttle.py).
        Activity.record("register_taken", None, ip, fields=sorted(taken))
        raise Conflict("An account with these details already exists.", taken)
    return user


def _taken_fields(username: str, email: str) -> dict[str, str]:
    taken = {}
    if User.select().where(User.username == username).exists():
        taken["username"] = "This username is taken."
    if _email_taken(email):
        taken["email"] = "An account with this email exists."
    return taken


def _create_user(username: str, email: str, password: str, full_name: str, role: str, ip) -> User:
    user = User.create(
        username=username,
        email=email,
        full_name=full_name,
        role=role,
        password_hash=passwords.hash_password(password),
    )
    Activity.record("register", user, ip)
    return user


def authenticate(login: str, password: str, *, ip: str | None = None) -> User:
    """The active user with these credentials; failures are logged and throttled."""
    require_local_passwords()
    user = User.by_login(login or "")
    throttle.check_sign_in(user, login or "", ip)
    if user is None:
        passwords.burn_time(password)
        Activity.record("login_failed", None, ip, login=throttle.login_key(login or ""), reason="unknown")
        raise Unauthenticated("Wrong username or password.", code="invalid_credentials")
    if not passwords.verify_password(user.password_hash, password):
        Activity.record("login_failed", user, ip, reason="password")
        raise Unauthenticated("Wrong username or password.", code="invalid_credentials")
    if not user.is_active:
        Activity.record("login_failed", user, ip, reason="inactive")
        raise Forbidden("This account has been deactivated.", code="account_inactive")
    with database.atomic():
        user.last_login_at = utcnow()
        if passwords.needs_rehash(user.password_hash):
            user.password_hash = passwords.hash_password(password)
        user.save()
        Activity.record("login", user, ip)
    return user


def record_logout(user: User, ip: str | None) -> None:
    """Log a sign-out."""
    Activity.record("logout", user, ip)


def update_profile(
    user: User,
    *,
    full_name: str | None = None,
    email: str | None = None,
    ip: str | None = None,
    email_notifications: bool | None = None,
    worklist_capacity: int | None = None,
) -> User:
    """Change the user's own name, email, whether digests are emailed to them and/or how many learners
    their worklist lists (staff)."""
    changed: dict[str, object] = {}
    if worklist_capacity is not None and worklist_capacity != user.worklist_capacity:
        user.worklist_capacity = _clean_capacity(user, worklist_capacity)
        changed["worklist_capacity"] = user.worklist_capacity
    if email_notifications is not None and bool(email_notifications) != user.email_notifications:
        user.email_notifications = bool(email_notifications)
        changed["email_notifications"] = user.email_notifications
    if full_name is not None:
        full_name = _clean_full_name(full_name)
        if full_name != user.full_name:
            user.full_name = full_name
            changed["full_name"] = full_name
    if email is not None:
        email = _clean_email(email)
        if email != user.email:
            if _email_taken(email, except_user=user):
                raise Conflict(
                    "An account with this email exists.", {"email": "An account with this email exists."}
                )
            user.email = email
            changed["email"] = email
    if changed:
        with database.atomic():
            user.save()
            Activity.record("profile_update", user, ip, fields=sorted(changed))
    return user


WORKLIST_CAPACITY_RANGE = (1, 200)


def _clean_capacity(user: User, value: object) -> int:
    low, high = WORKLIST_CAPACITY_RANGE
    if not user.is_staff:
        raise InvalidInput(
            "Only tutors and administrators have a worklist.",
            {"worklist_capacity": "Only tutors and administrators have a worklist."},
        )
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problem = f"A whole number from {low} to {high}."
        raise InvalidInput("Please correct the highlighted fields.", {"worklist_capacity": problem})
    return value


def change_password(user: User, current_password: str, new_password: str, *, ip: str | None = None) -> User:
    """Replace the password; every other session of the user stops working."""
    if not passwords.verify_password(user.password_hash, current_password):
        Activity.record("password_change_failed", user, ip)
        raise InvalidInput(
            "The current password is wrong.", {"current_password": "This is not your current password."}
        )
    problem = passwords.policy_problem(new_password, user.username, user.email, user.full_name)
    if problem:
        raise InvalidInput("Please choose another password.", {"new_password": problem})
    if current_password == new_password:
        raise InvalidInput(
            "Please choose another password.",
            {"new_password": "Use a different password from the current one."},
        )
    with database.atomic():
        user.password_hash = passwords.hash_password(new_password)
        user.token_epoch += 1
        user.save()
        Activity.record("password_change", user, ip)
    return user


def activity_page(user: User, page: int = 1, per_page: int = 20) -> Page:
    """The user's own activity log, newest first."""
    rows, total = Activity.for_user(user, page, per_page)
    return Page([row.to_dict() for row in rows], total, page, per_page)


def users_page(text: str | None = None, role: str | None = None, page: int = 1, per_page: int = 20) -> Page:
    """Users matching a search, for administrators."""
    rows, total = User.search(text, role, page, per_page)
    return Page([row.to_dict() for row in rows], total, page, per_page)


def get_user(user_id: int) -> User:
    """The user with this id."""
    user = User.get_or_none(User.id == user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def update_user(
    admin: User,
    user_id: int,
    *,
    role: str | None = None,
    is_active: bool | None = None,
    ip: str | None = None,
) -> User:
    """An administrator changes another user's role or active flag; the last active administrator
    stays one, and a deactivated user's sessions end for good."""
    if role is not None and role not in ROLES:
        raise InvalidInput(
            "Please correct the highlighted field.", {"role": f"Must be one of {', '.join(ROLES)}."}
        )
    if user_id == admin.id and ((role is not None and role != "admin") or is_active is False):
        raise Conflict("You cannot remove your own administrator access or deactivate yourself.")
    # One transaction with the administrators' rows locked: two admins removing each other at the
    # same moment are serialised, and the second sees that it would leave none.
    with write_transaction():
        # Administrators' rows first, in id order, then the target: every such change takes its
        # locks in the same order, so two of them wait for each other instead of deadlocking.
        active_admins = User.locked_active_admin_ids()
        user = User.locked_for_update(user_id)
        if user is None:
            raise NotFound("No such user.")
        was_active_admin = user.is_admin and user.is_active
        changes = _apply_user_changes(user, role, is_active)
        if not changes:
            return user
        if was_active_admin and not (user.is_admin and user.is_active):
            _keep_an_active_admin(active_admins, user.id)
        user.save()
        Activity.record("user_update", admin, ip, target=user.username, **changes)
        Activity.record("account_changed_by_admin", user, ip, by=admin.username, **changes)
    return user


def _apply_user_changes(user: User, role: str | None, is_active: bool | None) -> dict[str, Any]:
    """Set the changed fields on `user` (not saved) and return them."""
    changes: dict[str, Any] = {}
    if role is not None and role != user.role:
        user.role = role
        changes["role"] = role
    if is_active is not None and is_active != user.is_active:
        user.is_active = is_active
        changes["is_active"] = is_active
        if not is_active:
            # Every token carries the epoch it was issued in: reactivation does not revive them.
            user.token_epoch += 1
    return changes


def _keep_an_active_admin(active_admins: list[int], removed_id: int) -> None:
    """Refuse a change that would leave no active administrator."""
    remaining = [i for i in active_admins if i != removed_id]
    if not remaining:
        raise Conflict("This is the last active administrator; make another user an administrator first.")


def user_activity_page(admin: User, user_id: int, page: int = 1, per_page: int = 20) -> Page:
    """Another user's activity log, newest first (administrators only)."""
    if not admin.is_admin:
        raise Forbidden("Only administrators can read another user's activity.")
    return activity_page(get_user(user_id), page, per_page)
