"""Who a checked LTI launch signs in: the platform user's account (made at the first launch, matched
by the platform and its `sub` only, never by e-mail), as a tutor of the launch's course or as the
learner of one of its enrollments."""

from __future__ import annotations

import hashlib
from typing import Any

import peewee

from db.connection import write_transaction
from db.courses import Course, Enrollment
from db.lti import LtiAccount, LtiPlatform
from db.tables import Activity, User, utcnow
from db.tutoring import CourseTutor
from services.errors import ServiceError
from services.links import course_href, enrollment_href

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
# The last part of an LTI role (after "#" or "/") -> what the product makes of it; other roles are ignored.
ROLE_KINDS = {"Instructor": "staff", "TeachingAssistant": "staff", "Learner": "learner"}
# Where a launch's course code is read, first found first: a custom parameter the administrator sets
# in the platform, then the context's label (Moodle's course short name, Canvas' course code).
COURSE_CLAIMS = (("custom", "course_code"), ("context", "label"), ("context", "id"))
# Where the learner's reference is read, each tried against the course's enrollments in turn.
LEARNER_CLAIMS = (("custom", "learner_ref"), ("lis", "person_sourcedid"), (None, "sub"))
UNUSABLE_PASSWORD = "!lti"  # no password hash: the account signs in through its platform only


class LaunchRefused(ServiceError):
    """A login or launch that is not accepted; the message says why, for the person who launched."""

    status, code = 403, "lti_refused"


class KeysetUnreachable(LaunchRefused):
    """The platform's key set could not be fetched: the platform's side, not the launch, failed."""

    status, code = 502, "keyset_unreachable"


def _claim(claims: dict[str, Any], group: str | None, name: str) -> str:
    source = claims if group is None else claims.get(CLAIM + group) or {}
    value = source.get(name) if isinstance(source, dict) else None
    return str(value).strip() if value not in (None, "") else ""


def role_kind(claims: dict[str, Any]) -> str:
    """ "staff" when the launch carries an instructor or teaching assistant role, else "learner"."""
    names = {str(role).replace("/", "#").rsplit("#", 1)[-1] for role in claims.get(CLAIM + "roles") or []}
    kinds = {ROLE_KINDS[name] for name in names if name in ROLE_KINDS}
    if not kinds:
        raise LaunchRefused(
            "The launch carries no instructor, teaching assistant or learner role.", code="no_role"
        )
    return "staff" if "staff" in kinds else "learner"


def launch_course(claims: dict[str, Any]) -> Course:
    """The product's course of the launch's context."""
    tried = [value for group, name in COURSE_CLAIMS if (value := _claim(claims, group, name))]
    for code in tried:
        course = Course.by_code(code)
        if course is not None:
            return course
    raise LaunchRefused(
        f"The course {tried[0] if tried else '(none named)'} is not in Student Success Analytics: an "
        "administrator imports it, or sets the custom parameter course_code in the platform.",
        code="unknown_course",
    )


def _new_user(platform: LtiPlatform, subject: str, claims: dict[str, Any], role: str) -> User:
    username = "lti-" + hashlib.sha256(f"{platform.id}:{subject}".encode()).hexdigest()[:20]
    email = _claim(claims, None, "email").lower()
    if not email or len(email) > 254 or User.select().where(User.email == email).exists():
        email = f"{username}@lti.invalid"  # unique, never mailed; never shared with a local account
    name = " ".join(_claim(claims, None, "name").split())[:120]
    user = User.create(
        username=username, email=email, full_name=name, role=role, password_hash=UNUSABLE_PASSWORD
    )
    LtiAccount.create(platform=platform, subject=subject, user=user)
    return user


def _account(platform: LtiPlatform, claims: dict[str, Any], kind: str, ip: str | None) -> User:
    try:
        return _account_once(platform, claims, kind, ip)
    except peewee.IntegrityError:
        # Two first launches of the same person at once (or a local account taking the e-mail
        # meanwhile): the other one's account exists now, so the second attempt finds or avoids it.
        return _account_once(platform, claims, kind, ip)


def _account_once(platform: LtiPlatform, claims: dict[str, Any], kind: str, ip: str | None) -> User:
    subject = _claim(claims, None, "sub")
    role = "tutor" if kind == "staff" else "student"
    with write_transaction():
        user = LtiAccount.user_of(platform, subject)
        if user is None:
            user = _new_user(platform, subject, claims, role)
            Activity.record("lti_account_created", user, ip, issuer=platform.issuer)
        elif kind == "staff" and user.role == "student":
            user.role = "tutor"  # the platform says this person teaches: a tutor from now on
        if not user.is_active:
            raise LaunchRefused("This account has been deactivated.", code="account_inactive")
        user.last_login_at = utcnow()
        user.save()
        Activity.record("login", user, ip, via="lti", issuer=platform.issuer)
    return user


def _learner_enrollment(course: Course, claims: dict[str, Any]) -> Enrollment:
    for group, name in LEARNER_CLAIMS:
        ref = _claim(claims, group, name)
        found = Enrollment.by_ref(course, ref) if ref else None
        if found is not None:
            return found
    raise LaunchRefused(
        f"No enrollment of {course.code} matches your platform account yet: your tutor can tell you when "
        "your course's activity is imported.",
        code="unknown_learner",
    )


def sign_in(platform: LtiPlatform, claims: dict[str, Any], ip: str | None) -> tuple[User, str]:
    """The launch's account, made a tutor of the course or linked to the learner's enrollment, and the
    page it opens."""
    kind = role_kind(claims)
    course = launch_course(claims)
    enrollment = _learner_enrollment(course, claims) if kind == "learner" else None
    user = _account(platform, claims, kind, ip)
    if enrollment is None:
        with write_transaction():
            CourseTutor.insert(course=course.id, user=user.id).on_conflict_ignore().execute()
        return user, course_href(course.code)
    _, linked = Enrollment.link_account(enrollment.id, user.id)
    if linked != user.id:
        raise LaunchRefused(
            f"Your enrollment in {course.code} is linked to another account; ask an administrator.",
            code="linked_elsewhere",
        )
    return user, enrollment_href(enrollment.id)
