"""Digest emails a stopped process left pending are sent by the scheduler, exactly once however many
processes or threads resend at the same time, with the usual attempts and records.

A crash cannot be caused at the right instant from a test, so its result is inserted: notifications
stored with their email still `pending` (and, for a crash in the middle of a send, a claim on it). The
mail server is real (aiosmtpd on a loopback port)."""

from __future__ import annotations

import threading
from datetime import timedelta

from db.connection import database
from db.tables import utcnow
from db.tutoring import Notification
from services.early_warning import schedule
from services.tutoring import digest_recovery
from tests.digests import SmtpServer

LONG_AGO = timedelta(hours=1)  # well past DIGEST_RESEND_AFTER_MINUTES (15)


def left_pending(app, account, title: str, age=LONG_AGO, **state) -> int:
    """A digest stored `age` ago whose email never went out (as a stopped process leaves it); its id."""
    learner = {"enrollment": 1, "learner": "L-1", "probability": 0.91, "day": 14, "reasons": ["idle"]}
    course = {"code": "C1", "title": "Course 1", "total": 1, "learners": [learner]}
    with app.app_context():
        return Notification.create(
            user=account.id,
            kind="digest",
            title=title,
            body="C1: 1",
            link="/course?code=C1",
            payload={"run": 1, "level": "High", "total": 1, "courses": [course]},
            email_status="pending",
            created_at=utcnow() - age,
            **state,
        ).id


def stored(app, notification_id: int) -> Notification:
    with app.app_context():
        return Notification.get_by_id(notification_id)


def subjects(smtp) -> list[str]:
    prefix = "Student Success Analytics: "
    return sorted(message["Subject"].removeprefix(prefix) for message in smtp.mailbox.messages)


def test_a_digest_left_pending_is_sent_once_however_often_recovery_runs(app, make_user, mail_to):
    tutor = make_user("tutor")
    note = left_pending(app, tutor, "2 learners newly at High risk")
    with SmtpServer() as smtp:
        settings = mail_to(smtp.port)
        with app.app_context():
            assert digest_recovery.resend_pending(settings) == 1
            assert digest_recovery.resend_pending(settings) == 0
        (message,) = smtp.mailbox.to(tutor.email)
        assert "newly at High risk" in message["Subject"]
        assert "L-1: 91%" in message.get_body(("plain",)).get_content()
    sent = stored(app, note)
    assert (sent.email_status, sent.email_attempts, sent.email_claimed_at) == ("sent", 1, None)
    assert sent.emailed_at is not None


def test_two_threads_resending_at_once_send_each_digest_once(app, make_user, mail_to):
    tutors = [make_user("tutor") for _ in range(3)]
    expected = sorted(f"digest {i}" for i in range(30))
    for i, title in enumerate(expected):
        left_pending(app, tutors[i % 3], title)
    with SmtpServer() as smtp:
        settings = mail_to(smtp.port)
        start = threading.Barrier(2)

        def resend() -> None:
            with database.connection_context():  # each thread its own connection, as two processes
                start.wait()
                digest_recovery.resend_pending(settings)

        threads = [threading.Thread(target=resend) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert subjects(smtp) == expected  # each one, once
    with app.app_context():
        rows = list(Notification.select())
        assert {(n.email_status, n.email_attempts) for n in rows} == {("sent", 1)}


def test_a_digest_another_sender_holds_or_a_recent_one_is_left_to_it(app, make_user, mail_to):
    tutor = make_user("tutor")
    recent = left_pending(app, tutor, "recent", age=timedelta(minutes=1))  # its own thread is on it
    held = left_pending(app, tutor, "held", email_claimed_at=utcnow() - timedelta(minutes=1))
    dead = left_pending(  # a process died in the middle of this send an hour ago
        app, tutor, "dead", email_claimed_at=utcnow() - LONG_AGO, email_attempts=1
    )
    with SmtpServer() as smtp:
        settings = mail_to(smtp.port)
        with app.app_context():
            digest_recovery.resend_pending(settings)
        assert subjects(smtp) == ["dead"]
    assert (stored(app, dead).email_status, stored(app, dead).email_attempts) == ("sent", 2)
    assert stored(app, recent).email_status == stored(app, held).email_status == "pending"


def test_a_refused_resend_is_retried_up_to_the_attempts_in_all_and_recorded(app, make_user, mail_to):
    tutor = make_user("tutor")
    note = left_pending(app, tutor, "tried once", email_attempts=1, email_error="timed out")
    with SmtpServer(refuse="451 4.3.0 Try again later") as smtp:
        settings = mail_to(smtp.port)
        with app.app_context():
            digest_recovery.resend_pending(settings)
            digest_recovery.resend_pending(settings)  # failed for good: not tried again
        assert smtp.mailbox.attempts == 2 and smtp.mailbox.messages == []
    failed = stored(app, note)
    assert (failed.email_status, failed.email_attempts, failed.emailed_at) == ("failed", 3, None)
    assert "451" in failed.email_error and failed.email_claimed_at is None


def test_the_scheduler_sends_what_was_left_pending_when_it_checks(app, make_user, mail_to):
    tutor = make_user("tutor")
    note = left_pending(app, tutor, "left by a crash")
    with SmtpServer() as smtp:
        mail_to(smtp.port)
        schedule.check(app, "this-process", 60)  # the scheduler's first check, as the process starts
        assert subjects(smtp) == ["left by a crash"]
    assert stored(app, note).email_status == "sent"


def test_the_command_line_sends_what_was_left_pending(app, make_user, mail_to):
    tutor = make_user("tutor")
    note = left_pending(app, tutor, "sent by hand")
    with SmtpServer() as smtp:
        mail_to(smtp.port)
        result = app.test_cli_runner().invoke(args=["resend-digests"])
        assert result.exit_code == 0 and result.output.startswith("1 digest email(s)"), result.output
        assert subjects(smtp) == ["sent by hand"]
    assert stored(app, note).email_status == "sent"


def test_without_a_mail_server_nothing_is_sent_and_the_email_stays_pending(app, make_user):
    tutor = make_user("tutor")
    note = left_pending(app, tutor, "no server")
    assert app.config["MAIL_SERVER"] is None
    schedule.check(app, "this-process", 60)
    assert (stored(app, note).email_status, stored(app, note).email_attempts) == ("pending", 0)


def test_celery_beat_resends_pending_digests_every_five_minutes():
    from server.celery_app import RESEND_DIGESTS, beat_schedule

    entry = beat_schedule({"EARLY_WARNING_SCORE_HOUR": 4})["resend-pending-digests"]
    assert entry["task"] == RESEND_DIGESTS and entry["schedule"].minute == set(range(0, 60, 5))
