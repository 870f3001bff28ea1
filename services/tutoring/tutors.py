"""Which staff tutor which course: an administrator assigns and unassigns, anyone reads."""

from __future__ import annotations

from dataclasses import dataclass

from db.connection import write_transaction
from db.courses import Course
from db.tables import STAFF_ROLES, User
from db.tutoring import CourseTutor
from services.errors import Forbidden, InvalidInput, NotFound


@dataclass(frozen=True)
class Assignment:
    """The result of an assign or unassign: who, which course, and whether anything changed."""

    username: str
    course: str
    changed: bool


def require_admin(admin: User | None, doing: str = "assign tutors to courses") -> None:
    """Refuse anyone but an administrator (None: the command line, run by whoever operates the server)."""
    if admin is not None and not admin.is_admin:
        raise Forbidden(f"Only administrators {doing}.")


def user_named(username: str) -> User:
    """The account `username` (or email); 404 naming the field otherwise."""
    user = User.by_login(username or "")
    if user is None:
        raise NotFound(f"No user {username}.", {"username": "no such user"})
    return user


def _tutor(username: str) -> User:
    """The account `username`, which must be staff (a tutor or an administrator)."""
    user = user_named(username)
    if user.role not in STAFF_ROLES:
        raise InvalidInput(
            f"{user.username} is a {user.role}; only tutors and administrators tutor a course.",
            {"username": f"must have role {' or '.join(STAFF_ROLES)}"},
        )
    return user


def course_coded(code: str) -> Course:
    """The course `code`; 404 naming the field otherwise."""
    course = Course.by_code(code or "")
    if course is None:
        raise NotFound(f"No course {code}.", {"course": "no such course"})
    return course


def _insert(course: Course, user: User, admin: User | None) -> None:
    # Ignoring a conflict: two administrators assigning the same tutor at once both succeed.
    CourseTutor.insert(
        course=course.id, user=user.id, assigned_by=admin.id if admin else None
    ).on_conflict_ignore().execute()


def assign_tutor(admin: User | None, username: str, code: str) -> Assignment:
    """Make `username` (a tutor or an administrator) a tutor of course `code`; assigning twice is a no-op."""
    require_admin(admin)
    user, course = _tutor(username), course_coded(code)
    with write_transaction():
        exists = (
            CourseTutor.select().where((CourseTutor.course == course) & (CourseTutor.user == user)).exists()
        )
        if not exists:
            _insert(course, user, admin)
    return Assignment(user.username, course.code, not exists)


def unassign_tutor(admin: User | None, username: str, code: str) -> Assignment:
    """Remove `username` from course `code`'s tutors; removing one who is not assigned is a no-op."""
    require_admin(admin)
    user, course = user_named(username), course_coded(code)
    with write_transaction():
        removed = (
            CourseTutor.delete().where((CourseTutor.course == course) & (CourseTutor.user == user)).execute()
        )
    return Assignment(user.username, course.code, removed > 0)


def set_courses(admin: User | None, username: str, codes: list[str]) -> list[str]:
    """Make `username`'s assigned courses exactly `codes` (all or none); returns them by code."""
    require_admin(admin)
    user = _tutor(username)
    wanted = {code: course_coded(code) for code in dict.fromkeys(codes)}
    with write_transaction():
        CourseTutor.delete().where(
            (CourseTutor.user == user) & CourseTutor.course.not_in([c.id for c in wanted.values()])
        ).execute()
        have = {course_id for (course_id,) in CourseTutor.course_ids_of(user).tuples()}
        for course in wanted.values():
            if course.id not in have:
                _insert(course, user, admin)
    return courses_of(user)


def set_tutors(admin: User | None, code: str, usernames: list[str]) -> list[str]:
    """Make course `code`'s tutors exactly `usernames` (all or none); returns them by username."""
    require_admin(admin)
    course = course_coded(code)
    problems, wanted = {}, {}
    for index, name in enumerate(usernames):
        if name in wanted:
            continue
        try:
            wanted[name] = _tutor(name)
        except (NotFound, InvalidInput) as exc:
            problems[f"tutors.{index}"] = exc.message
    if problems:
        raise InvalidInput("Some tutors cannot be assigned.", problems)
    with write_transaction():
        CourseTutor.delete().where(
            (CourseTutor.course == course) & CourseTutor.user.not_in([u.id for u in wanted.values()])
        ).execute()
        have = {user.id for user in CourseTutor.tutors_of(course)}
        for user in wanted.values():
            if user.id not in have:
                _insert(course, user, admin)
    return tutors_of(course)


def courses_of(user: User) -> list[str]:
    """The codes of the courses `user` is assigned to, in order."""
    query = Course.select(Course.code).where(Course.id.in_(CourseTutor.course_ids_of(user)))
    return [code for (code,) in query.order_by(Course.code).tuples()]


def tutors_of(course: Course | str) -> list[str]:
    """The usernames of a course's tutors (a Course or its code), in order."""
    if isinstance(course, str):
        course = course_coded(course)
    return [user.username for user in CourseTutor.tutors_of(course)]


def course_tutors(admin: User | None, code: str) -> dict[str, object]:
    """A course's tutors as an administrator reads them: `{course, tutors}`."""
    require_admin(admin)
    return {"course": course_coded(code).code, "tutors": tutors_of(code)}


def assigned_courses(user_ids: list[int]) -> dict[int, list[str]]:
    """User id -> the codes of the courses they tutor (in order), for the given users (one query)."""
    query = (
        CourseTutor.select(CourseTutor.user, Course.code)
        .join(Course)
        .where(CourseTutor.user.in_(list(user_ids)))
        .order_by(Course.code)
        .tuples()
    )
    found: dict[int, list[str]] = {}
    for user_id, code in query:
        found.setdefault(user_id, []).append(code)
    return found


def course_codes(admin: User) -> list[str]:
    """Every course code, for an administrator choosing a tutor's courses."""
    require_admin(admin)
    return [code for (code,) in Course.select(Course.code).order_by(Course.code).tuples()]
