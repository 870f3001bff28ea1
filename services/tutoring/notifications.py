"""Digests of newly flagged learners after a scoring run: one in-app notification per tutor (the bell)
and, when email is set up and the tutor wants it, one email.

An enrollment is *newly High* in a run when its prediction at the run's latest scored day for it is at
the top risk level and its prediction at the latest day before the run's first scored day for it is
not (or there is none), and no digest announced that prediction before (scoring a day again by hand
keeps the mark). One query finds them for the whole run; one more finds the tutors.

Everything happens on a background thread started once the run has committed, so a slow or failing
mail server never slows or fails scoring: each send is tried MAIL_MAX_ATTEMPTS times with a growing
wait, every failure is logged and the last one is kept on the notification. Each attempt first claims
the notification's email in the database (services/digest_recovery resends what a dead process left
pending), so two processes never send the same digest.
"""

from __future__ import annotations

import html
import logging
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app

from db.connection import database
from db.early_warning import EnrollmentPrediction, ScoringRun
from db.tables import User, utcnow
from db.tutoring import CourseTutor, Notification
from services import mail
from services.accounts import Page
from services.course_overview import flag_level
from services.errors import NotFound
from services.links import course_href, enrollment_href

log = logging.getLogger(__name__)
DIGEST = "digest"
REASONS_SHOWN = 3
PAGE_SIZE = 50
# Learners a digest lists per course (highest risk first); the rest are counted and linked to, so that a
# run flagging a whole course still gives a short notification and email.
LISTED_PER_COURSE = 10
_threads: set[threading.Thread] = set()
_threads_lock = threading.Lock()


@dataclass(frozen=True)
class DigestSettings:
    """What the background thread needs from the app's configuration (it has no app context)."""

    high: str
    public_url: str
    max_per_course: int
    mail: mail.MailSettings | None
    attempts: int
    retry_seconds: float
    # A pending email older than this is taken for abandoned, and so is a claim on one.
    resend_after: timedelta = timedelta(minutes=15)

    @classmethod
    def from_config(cls, config) -> DigestSettings:
        """The settings of the running app."""
        return cls(
            high=flag_level(config),
            public_url=str(config.get("PUBLIC_URL") or "").rstrip("/"),
            max_per_course=int(config.get("DIGEST_MAX_PER_COURSE") or LISTED_PER_COURSE),
            mail=mail.MailSettings.from_config(config),
            attempts=max(1, int(config.get("MAIL_MAX_ATTEMPTS") or 1)),
            retry_seconds=float(config.get("MAIL_RETRY_SECONDS") or 0),
            resend_after=timedelta(minutes=float(config.get("DIGEST_RESEND_AFTER_MINUTES") or 15)),
        )


# --- after a scoring run -------------------------------------------------------------------------


def after_scoring_run(run: ScoringRun) -> threading.Thread | None:
    """Start sending the run's digests in the background; never raises (scoring has succeeded)."""
    try:
        if not run.enrollments:
            return None
        settings = DigestSettings.from_config(current_app.config)
        thread = threading.Thread(
            target=_deliver_run, args=(run.id, settings), name=f"digests-run-{run.id}", daemon=False
        )
        with _threads_lock:
            _threads.add(thread)
        thread.start()
        return thread
    except Exception:
        log.exception("digests of scoring run %s could not be started", run.id)
        return None


def wait_for_deliveries(timeout: float = 60) -> bool:
    """Wait until every digest thread of this process ended; false if one still runs at `timeout`."""
    deadline = time.monotonic() + timeout
    with _threads_lock:
        running = list(_threads)
    for thread in running:
        thread.join(max(0.0, deadline - time.monotonic()))
    return not any(thread.is_alive() for thread in running)


def _deliver_run(run_id: int, settings: DigestSettings) -> None:
    try:
        with database.connection_context():
            notifications = create_digests(run_id, settings)
            send_emails(notifications, settings)
    except Exception:
        log.exception("digests of scoring run %s failed", run_id)
    finally:
        with _threads_lock:
            _threads.discard(threading.current_thread())


def newly_high(run_id: int, high: str) -> list[dict[str, Any]]:
    """The enrollments newly at `high` in the run, by course code then risk (highest first)."""
    predictions = EnrollmentPrediction._meta.table_name
    p = database.param
    sql = f"""
        SELECT pr.enrollment_id, pr.course_id, e.learner_ref, c.code, c.title, pr.day, pr.probability,
               pr.top_factors
        FROM (SELECT enrollment_id, MIN(day) AS first_day, MAX(day) AS last_day
              FROM "{predictions}" WHERE run_id = {p} GROUP BY enrollment_id) AS r
        JOIN "{predictions}" pr ON pr.enrollment_id = r.enrollment_id AND pr.day = r.last_day
        JOIN enrollments e ON e.id = pr.enrollment_id
        JOIN courses c ON c.id = pr.course_id
        WHERE pr.risk_level = {p} AND pr.notified_at IS NULL
          AND COALESCE((SELECT q.risk_level FROM "{predictions}" q
                        WHERE q.enrollment_id = pr.enrollment_id AND q.day < r.first_day
                        ORDER BY q.day DESC LIMIT 1), '') <> {p}
        ORDER BY c.code, pr.probability DESC, e.learner_ref
    """
    decode = EnrollmentPrediction.top_factors.python_value
    keys = ("enrollment", "course_id", "learner", "code", "title", "day", "probability", "factors")
    rows = [dict(zip(keys, row, strict=True)) for row in database.execute_sql(sql, (run_id, high, high))]
    for row in rows:
        factors = decode(row.pop("factors")) or []
        row["reasons"] = [f.get("text") or f.get("feature", "") for f in factors[:REASONS_SHOWN]]
        row["probability"] = round(float(row["probability"]), 4)
    return rows


def _by_course(rows: list[dict[str, Any]], limit: int) -> dict[int, dict[str, Any]]:
    courses: dict[int, dict[str, Any]] = {}
    for row in rows:
        course = courses.setdefault(
            row["course_id"], {"code": row["code"], "title": row["title"], "total": 0, "learners": []}
        )
        course["total"] += 1
        if len(course["learners"]) < limit:
            course["learners"].append(
                {k: row[k] for k in ("enrollment", "learner", "probability", "day", "reasons")}
            )
    return courses


def create_digests(run_id: int, settings: DigestSettings) -> list[Notification]:
    """One notification per active tutor of a course with newly High enrollments in the run."""
    rows = newly_high(run_id, settings.high)
    courses = _by_course(rows, settings.max_per_course)
    if not courses:
        return []
    assignments = (
        CourseTutor.select(CourseTutor.course, User)
        .join(User, on=(CourseTutor.user == User.id))
        .where(CourseTutor.course.in_(list(courses)) & User.is_active)
    )
    tutors: dict[int, User] = {}
    courses_of: dict[int, list[int]] = defaultdict(list)
    for assignment in assignments:
        tutors[assignment.user.id] = assignment.user
        courses_of[assignment.user.id].append(assignment.course_id)
    created = []
    with database.atomic():
        for user_id, user in tutors.items():
            mine = sorted((courses[c] for c in courses_of[user_id]), key=lambda c: c["code"])
            created.append(_create_digest(user, run_id, mine, settings))
        EnrollmentPrediction.mark_notified(run_id, [row["enrollment"] for row in rows])
    return created


def _create_digest(user: User, run_id: int, courses: list[dict[str, Any]], settings: DigestSettings):
    total = sum(course["total"] for course in courses)
    emailed = settings.mail is not None and user.email_notifications and bool(user.email)
    return Notification.create(
        user=user,
        kind=DIGEST,
        title=f"{total} learner{'s' if total != 1 else ''} newly at {settings.high} risk",
        body="; ".join(f"{c['code']}: {c['total']}" for c in courses),
        link=course_href(courses[0]["code"]) if len(courses) == 1 else "/courses",
        payload={"run": run_id, "level": settings.high, "total": total, "courses": courses},
        email_status="pending" if emailed else "off",
    )


# --- email ----------------------------------------------------------------------------------------


def send_emails(notifications: list[Notification], settings: DigestSettings) -> None:
    """Email every pending digest, retrying the failed ones after a growing wait (the attempts a
    notification already had count towards MAIL_MAX_ATTEMPTS)."""
    pending = [n for n in notifications if n.email_status == "pending"]
    if settings.mail is None:
        return
    for round_ in range(1, settings.attempts + 1):
        pending = [n for n in pending if _try_send(n, settings)]
        if not pending or round_ == settings.attempts:
            break
        time.sleep(settings.retry_seconds * 2 ** (round_ - 1))


def _try_send(notification: Notification, settings: DigestSettings) -> bool:
    """One attempt at one digest, claimed first and recorded on the notification; whether to try again
    (false once sent, failed for good, or taken by another sender)."""
    now = utcnow()
    attempt = Notification.claim_email(notification.id, now, now - settings.resend_after)
    if attempt is None:
        return False
    user = notification.user
    try:
        subject, text, body = render_digest(notification, settings.public_url, settings.max_per_course)
        mail.send(settings.mail, user.email, subject, text, body)
    except Exception as exc:  # any refusal or network error: recorded, tried again, never raised
        error = f"{type(exc).__name__}: {exc}"[:2000]
        final = attempt >= settings.attempts
        (log.error if final else log.warning)(
            "digest %s to %s, attempt %s of %s failed: %s",
            notification.id, user.username, attempt, settings.attempts, error,
        )
        Notification.update(
            email_error=error, email_status="failed" if final else "pending", email_claimed_at=None
        ).where(Notification.id == notification.id).execute()
        return not final
    Notification.update(email_status="sent", emailed_at=utcnow(), email_claimed_at=None).where(
        Notification.id == notification.id
    ).execute()
    return False


def _course_url(public_url: str, code: str) -> str:
    return public_url + course_href(code)


def _enrollment_url(public_url: str, enrollment_id: int) -> str:
    return public_url + enrollment_href(enrollment_id)


def _course_name(course: dict[str, Any]) -> str:
    code, title = course["code"], course["title"]
    return code if title in ("", code) else f"{code} {title}"


def risk_text(learner: dict[str, Any]) -> str:
    """A digest learner's risk as a percentage ("-" for an erased learner, whose risk is gone)."""
    return "-" if learner["probability"] is None else f"{learner['probability']:.0%}"


def listed(course: dict[str, Any], limit: int = LISTED_PER_COURSE) -> tuple[list[dict[str, Any]], int]:
    """A digest course's learners to list (at most `limit`, also for digests stored with more) and how
    many more it counts."""
    learners = course["learners"][: max(0, limit)]
    return learners, course["total"] - len(learners)


def render_digest(
    notification: Notification, public_url: str, limit: int = LISTED_PER_COURSE
) -> tuple[str, str, str]:
    """The digest's subject, plain text and HTML (at most `limit` learners per course)."""
    courses = notification.payload.get("courses", [])
    subject = f"Student Success Analytics: {notification.title}"
    return (
        subject,
        _digest_text(notification.title, courses, public_url, limit),
        _digest_html(notification.title, courses, public_url, limit),
    )


def _digest_text(title: str, courses: list[dict[str, Any]], public_url: str, limit: int) -> str:
    lines = [f"{title} in your courses after the latest scoring.", ""]
    for course in courses:
        url = _course_url(public_url, course["code"])
        learners, more = listed(course, limit)
        lines.append(f"{_course_name(course)}: {course['total']} learner(s) ({url})")
        for learner in learners:
            reasons = "; ".join(learner["reasons"])
            erased = learner["enrollment"] is None  # an erased learner has no page to link to
            link = "" if erased else f" ({_enrollment_url(public_url, learner['enrollment'])})"
            lines.append(f"  - {learner['learner']}: {risk_text(learner)}. {reasons}{link}")
        if more > 0:
            lines.append(f"  ... and {more} more: the full list is on the course page, {url}")
        lines.append("")
    lines.append(f"You can turn these emails off on your profile: {public_url}/profile")
    return "\n".join(lines)


def _digest_html(title: str, courses: list[dict[str, Any]], public_url: str, limit: int) -> str:
    esc = html.escape
    parts = [f"<p>{esc(title)} in your courses after the latest scoring.</p>"]
    for course in courses:
        url = esc(_course_url(public_url, course["code"]))
        learners, more = listed(course, limit)
        parts.append(f'<h3><a href="{url}">{esc(_course_name(course))}</a>: {course["total"]}</h3>')
        parts.append("<table><tr><th>Learner</th><th>Risk</th><th>Top reasons</th></tr>")
        for learner in learners:
            name = esc(learner["learner"])
            if learner["enrollment"] is not None:
                name = f'<a href="{esc(_enrollment_url(public_url, learner["enrollment"]))}">{name}</a>'
            parts.append(
                f"<tr><td>{name}</td>"
                f"<td>{risk_text(learner)}</td><td>{esc('; '.join(learner['reasons']))}</td></tr>"
            )
        parts.append("</table>")
        if more > 0:
            parts.append(f'<p>... and {more} more: <a href="{url}">the full list on the course page</a>.</p>')
    profile = esc(f"{public_url}/profile")
    parts.append(f'<p><small>You can turn these emails off on <a href="{profile}">your profile</a>.')
    parts.append("</small></p>")
    return "<html><body>" + "".join(parts) + "</body></html>"


# --- the bell, the notifications page and the API ---------------------------------------------------


@dataclass(frozen=True)
class Inbox:
    """One page of a user's notifications and how many of all of them are unread."""

    page: Page
    unread: int


def unread_count(user: User) -> int:
    """How many of the user's notifications are unread."""
    return Notification.unread_count(user)


def latest(user: User, limit: int = PAGE_SIZE) -> list[Notification]:
    """The user's notifications, newest first."""
    return list(
        Notification.select()
        .where(Notification.user == user)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    )


def mark_all_read(user: User) -> int:
    """Mark every unread notification of the user read; how many were."""
    return (
        Notification.update(read_at=utcnow())
        .where((Notification.user == user) & Notification.read_at.is_null())
        .execute()
    )


def inbox(user: User, unread: bool | None = None, page: int = 1, per_page: int = 20) -> Inbox:
    """The user's own notifications, newest first (only the unread or only the read ones when
    `unread` says so), a page of them, and the unread count."""
    rows, total = Notification.for_user(user, unread, page, per_page)
    return Inbox(Page([row.to_dict() for row in rows], total, page, per_page), unread_count(user))


def mark_read(user: User, notification_id: int) -> dict[str, Any]:
    """Mark one of the user's notifications read; another user's (or none) is not found."""
    notification = Notification.mark_read(user, notification_id)
    if notification is None:
        raise NotFound("No such notification.")
    return notification.to_dict()
