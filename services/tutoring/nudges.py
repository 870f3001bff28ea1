"""Nudges to learners: a tutor of the course (or an administrator) picks a template and learners (or a
segment), previews the first learner's email, then sends. Each email goes through the MAIL_* settings
and is recorded as the action `nudged`; a learner without an email address, unsubscribed, or nudged in
the last NUDGE_MIN_DAYS days is skipped and reported. With NUDGE_HOLDOUT_SHARE a random share of the
chosen learners is held back (the action `held_back`, no email)."""

from __future__ import annotations

import html
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import peewee
from itsdangerous import BadSignature, URLSafeSerializer

from db.connection import lock_for_transaction, write_transaction
from db.courses import ActivityDay, Course, Enrollment
from db.early_warning import EnrollmentPrediction
from db.nudges import LearnerContact, NudgeTemplate
from db.tables import User, utcnow
from db.tutoring import NUDGE_KINDS, EnrollmentAction
from services import course_overview, mail
from services.courses import require_course
from services.errors import Forbidden, InvalidInput, NotFound
from services.tutoring import nudge_templates

SALT = "nudge-unsubscribe"
NUDGE_LOCK = 31  # advisory-lock namespace: one sender decides a learner's nudge at a time
MAX_LEARNERS = 5000


@dataclass(frozen=True)
class NudgeSettings:
    """A snapshot of the settings a nudge reads."""

    secret: str
    public_url: str
    min_days: float = 7
    holdout_share: float = 0
    mail: mail.MailSettings | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> NudgeSettings:
        """The running app's settings."""
        return cls(
            secret=config["SECRET_KEY"],
            public_url=config["PUBLIC_URL"],
            min_days=float(config.get("NUDGE_MIN_DAYS", 7)),
            holdout_share=float(config.get("NUDGE_HOLDOUT_SHARE") or 0),
            mail=mail.MailSettings.from_config(config),
        )


# --- The unsubscribe link -----------------------------------------------------------------------------


def unsubscribe_link(settings: NudgeSettings, enrollment_id: int) -> str:
    """The learner's one-click link, signed with the app's secret: it works without signing in."""
    token = URLSafeSerializer(settings.secret, salt=SALT).dumps({"enrollment": enrollment_id})
    return f"{settings.public_url}/unsubscribe/{token}"


def unsubscribe(settings: NudgeSettings, token: str) -> dict[str, Any]:
    """Stop nudges to the learner of the token's enrollment from now on: {course, already}; 404 for a
    token that is not ours or names no contact any more."""
    try:
        enrollment_id = int(URLSafeSerializer(settings.secret, salt=SALT).loads(token)["enrollment"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise NotFound("This unsubscribe link is not valid.") from None
    with write_transaction():
        contact = LearnerContact.get_or_none(LearnerContact.enrollment == enrollment_id)
        if contact is None:
            raise NotFound("This unsubscribe link is not valid.")
        already = contact.unsubscribed_at is not None
        if not already:
            contact.unsubscribed_at = utcnow()
            contact.save(only=[LearnerContact.unsubscribed_at])
    course = (
        Course.select(Course.title, Course.code).join(Enrollment).where(Enrollment.id == enrollment_id).get()
    )
    return {"course": course.title or course.code, "already": already}


# --- Choosing the learners ----------------------------------------------------------------------------


def _chosen(viewer: User, course: Course, learners: list[str] | None, segment: str | None):
    """The enrollments to nudge, in order, and the learner references that are not in the course."""
    if (learners is None) == (segment is None):
        raise InvalidInput(
            "Choose learners or a segment.", {"learners": "give learners or segment, not both"}
        )
    if segment is not None:
        filters = course_overview.AtRiskFilters(segment=segment)
        items = course_overview.at_risk_listing(viewer, course.code, filters)["items"]
        return [(item["enrollment"], item["learner_ref"]) for item in items], []
    wanted = list(dict.fromkeys(learners or []))
    if not wanted or len(wanted) > MAX_LEARNERS:
        raise InvalidInput("Choose learners.", {"learners": f"from 1 to {MAX_LEARNERS} learner references"})
    query = Enrollment.select(Enrollment.id, Enrollment.learner_ref).where(
        (Enrollment.course == course) & Enrollment.learner_ref.in_(wanted)
    )
    found = {row.learner_ref: row.id for row in query}
    return [(found[ref], ref) for ref in wanted if ref in found], [ref for ref in wanted if ref not in found]


def _recently_nudged(enrollment_ids: list[int], min_days: float) -> set[int]:
    since = utcnow() - timedelta(days=min_days)
    query = EnrollmentAction.select(EnrollmentAction.enrollment).where(
        EnrollmentAction.enrollment.in_(enrollment_ids)
        & EnrollmentAction.kind.in_(NUDGE_KINDS)
        & (EnrollmentAction.created_at >= since)
    )
    return {row.enrollment_id for row in query}


def _sort_out(chosen, settings: NudgeSettings) -> tuple[list[tuple[int, str, LearnerContact]], list[dict]]:
    """(the learners who may be nudged with their contact, the skipped ones with why)."""
    ids = [enrollment for enrollment, _ in chosen]
    contacts, recent = LearnerContact.of(ids), _recently_nudged(ids, settings.min_days)
    eligible, skipped = [], []
    for enrollment, ref in chosen:
        contact = contacts.get(enrollment)
        if contact is None:
            skipped.append({"learner": ref, "reason": "no email address"})
        elif contact.unsubscribed_at is not None:
            skipped.append({"learner": ref, "reason": "unsubscribed"})
        elif enrollment in recent:
            skipped.append({"learner": ref, "reason": f"nudged in the last {settings.min_days:g} days"})
        else:
            eligible.append((enrollment, ref, contact))
    return eligible, skipped


# --- The email ----------------------------------------------------------------------------------------


def _days_inactive(course: Course, enrollment_ids: list[int]) -> dict[int, int]:
    """Days since each enrollment's last active day (since the course's start for one never active)."""
    today = min(course.day_of(utcnow().date()), course.length_days - 1)
    last = dict(
        ActivityDay.select(ActivityDay.enrollment, peewee.fn.MAX(ActivityDay.day))
        .where((ActivityDay.course == course) & ActivityDay.enrollment.in_(enrollment_ids))
        .group_by(ActivityDay.enrollment)
        .tuples()
    )
    return {e: max(0, today - last[e]) if e in last else max(0, today + 1) for e in enrollment_ids}


def _email(template, course, contact, ref, days, settings: NudgeSettings) -> dict[str, Any]:
    """One learner's email: to, subject, text, html and the unsubscribe link."""
    link = f"{settings.public_url}/enrollment?id={contact.enrollment_id}"
    values = {
        "name": contact.name or ref,
        "course": course.title or course.code,
        "days_inactive": days,
        "link": link,
    }
    subject, body = nudge_templates.render(template, values)
    stop = unsubscribe_link(settings, contact.enrollment_id)
    text = f"{body}\n\n--\nTo stop these emails: {stop}\n"
    page = "<br>".join(html.escape(line) for line in body.splitlines())
    markup = f'<p>{page}</p><hr><p><a href="{html.escape(stop)}">Unsubscribe from these emails</a></p>'
    return {
        "learner": ref,
        "to": contact.email,
        "subject": subject,
        "text": text,
        "html": markup,
        "unsubscribe": stop,
    }


# --- Sending ------------------------------------------------------------------------------------------


def _claim(course: Course, viewer: User, eligible, kind: str, note: str, settings: NudgeSettings) -> list:
    """Record `kind` on each learner not nudged meanwhile by someone else (under a lock per learner):
    the recorded ones, each with its action id."""
    ids = [enrollment for enrollment, _, _ in eligible]
    latest = EnrollmentPrediction.latest_of(ids)
    claimed = []
    with write_transaction():
        lock_for_transaction(NUDGE_LOCK, ids)
        recent = _recently_nudged(ids, settings.min_days)
        for enrollment, ref, contact in eligible:
            if enrollment in recent:
                continue
            prediction, version = latest.get(enrollment, (None, None))
            action = EnrollmentAction.create(
                enrollment=enrollment,
                course=course.id,
                user=viewer.id,
                kind=kind,
                note=note,
                prediction=prediction,
                model_version=version,
                holdout_share=settings.holdout_share,
            )
            claimed.append((enrollment, ref, contact, action.id))
    return claimed


def _deliver(claimed, emails: dict[int, dict], settings: NudgeSettings) -> tuple[list[str], list[dict]]:
    """Send each claimed learner's email; a failed one loses its `nudged` action (it was not nudged)."""
    outgoing = [
        mail.Outgoing(
            emails[enrollment]["to"],
            emails[enrollment]["subject"],
            emails[enrollment]["text"],
            emails[enrollment]["html"],
            {"List-Unsubscribe": f"<{emails[enrollment]['unsubscribe']}>"},
        )
        for enrollment, _, _, _ in claimed
    ]
    sent, failed = [], []
    for (_enrollment, ref, _contact, action_id), error in zip(
        claimed, mail.send_each(settings.mail, outgoing), strict=True
    ):
        if error is None:
            sent.append(ref)
            continue
        EnrollmentAction.delete_by_id(action_id)
        failed.append({"learner": ref, "reason": f"the mail server refused: {error}"[:300]})
    return sent, failed


def hold_back(chosen: list, share: float, draw: random.Random) -> tuple[list, list]:
    """(held back, to be emailed): each chosen learner is held back with probability `share`, drawn
    independently, so that the two groups differ only by chance."""
    held, sent = [], []
    for one in chosen:
        (held if share and draw.random() < share else sent).append(one)
    return held, sent


def nudge(
    viewer: User,
    code: str,
    template: str | int,
    *,
    learners: list[str] | None = None,
    segment: str | None = None,
    preview: bool = False,
    settings: NudgeSettings,
    rng: random.Random | None = None,
) -> dict[str, Any]:
    """Preview (the first learner's email) or send a nudge to the chosen learners of a course the
    viewer tutors (any, for an administrator): who got it, who was held back, who was skipped and why."""
    if not viewer.is_staff:
        raise Forbidden("Only the course's tutors and administrators nudge learners.")
    course = require_course(viewer, code)
    try:
        found = nudge_templates.find(template)
    except NotFound:
        raise InvalidInput("Choose a template.", {"template": f"no template named {template}"}) from None
    chosen, unknown = _chosen(viewer, course, learners, segment)
    eligible, skipped = _sort_out(chosen, settings)
    skipped = [{"learner": ref, "reason": "not in this course"} for ref in unknown] + skipped
    days = _days_inactive(course, [enrollment for enrollment, _, _ in eligible])
    emails = {e: _email(found, course, contact, ref, days[e], settings) for e, ref, contact in eligible}
    result = {
        "template": found.name,
        "chosen": len(chosen),
        "recipients": len(eligible),
        "preview": None,
        "sent": [],
        "held_back": [],
        "skipped": skipped,
        "failed": [],
    }
    if preview:
        first = next(iter(emails.values()), None)
        result["preview"] = (
            {key: first[key] for key in ("learner", "to", "subject", "text")} if first else None
        )
        return result
    if settings.mail is None:
        raise InvalidInput("Email is off: set MAIL_SERVER to send nudges.", {"mail": "not configured"})
    held, to_send = hold_back(eligible, settings.holdout_share, rng or random.SystemRandom())
    note = f"Nudge template: {found.name}"
    held_claimed = _claim(course, viewer, held, "held_back", note, settings)
    claimed = _claim(course, viewer, to_send, "nudged", note, settings)
    result["held_back"] = [ref for _, ref, _, _ in held_claimed]
    result["sent"], result["failed"] = _deliver(claimed, emails, settings)
    # Nudged by someone else between the check above and the claim: reported like any recent nudge.
    taken = {enrollment for enrollment, _, _, _ in held_claimed + claimed}
    reason = f"nudged in the last {settings.min_days:g} days"
    result["skipped"] += [{"learner": ref, "reason": reason} for e, ref, _ in eligible if e not in taken]
    return result


def template_choices() -> list[NudgeTemplate]:
    """The templates a tutor picks from, by name."""
    return list(NudgeTemplate.select().order_by(NudgeTemplate.name))
