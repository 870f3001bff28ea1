"""Digests after a scoring run: the in-app notification per tutor and the email a real SMTP server
(aiosmtpd, started here) receives; emails off; a refusing server; the profile setting over the API."""

from __future__ import annotations

import re

import pytest

from db.early_warning import EnrollmentPrediction, ScoringRun
from db.tables import User
from db.tutoring import CourseTutor, Notification
from services.early_warning import scoring
from services.tutoring import notifications
from tests.digests import SmtpServer, free_port, running_course, scored_with_tutors
from tests.helpers import early_warning_version


def levels(course, day: int) -> dict[int, str]:
    p = EnrollmentPrediction
    query = p.select(p.enrollment, p.risk_level).where((p.course == course) & (p.day == day))
    return dict(query.tuples())


def newly_high(course) -> set[int]:
    """Enrollments High at day 14 and not High at day 7 (computed from the stored history)."""
    before, now = levels(course, 7), levels(course, 14)
    return {e for e, level in now.items() if level == "High" and before.get(e) != "High"}


def refs(ids: set[int]) -> set[str]:
    from db.courses import Enrollment

    return {e.learner_ref for e in Enrollment.select().where(Enrollment.id.in_(list(ids)))}


def test_each_tutor_gets_one_digest_of_their_newly_high_learners(app, make_user, mail_to):
    with SmtpServer() as smtp:
        mail_to(smtp.port)
        outcome, (first, a), (second, b) = scored_with_tutors(app, make_user, emails_off=["tutor-b"])
        with app.app_context():
            assert ScoringRun.get_by_id(outcome.run.id).status == "succeeded"
            expected_a, expected_b = newly_high(first), newly_high(second)
            assert expected_a and expected_b
            still_high = {e for e, level in levels(first, 14).items() if level == "High"} - expected_a
            assert still_high, "some learners were High before: they are not in the digest"

            # Tutor a: one notification and one email, listing exactly NA's newly High learners.
            (note_a,) = Notification.select().where(Notification.user == a.id)
            assert (note_a.kind, note_a.email_status, note_a.email_attempts) == ("digest", "sent", 1)
            (course,) = note_a.payload["courses"]
            assert course["code"] == "NA" and course["total"] == len(expected_a)
            assert {learner["enrollment"] for learner in course["learners"]} == expected_a
            assert all(learner["reasons"] for learner in course["learners"])
            assert note_a.link == "/course?code=NA"

            (message,) = smtp.mailbox.to(a.email)
            assert "newly at High risk" in message["Subject"]
            text = message.get_body(("plain",)).get_content()
            html = message.get_body(("html",)).get_content()
            assert set(re.findall(r"^  - (\S+):", text, re.M)) == refs(expected_a)
            assert set(map(int, re.findall(r"/enrollment\?id=(\d+)", html))) == expected_a
            assert "http://ssa.example.org/course?code=NA" in html and "NB" not in text

            # Tutor b turned emails off: the notification only.
            (note_b,) = Notification.select().where(Notification.user == b.id)
            assert note_b.email_status == "off" and note_b.email_attempts == 0
            assert {x["enrollment"] for x in note_b.payload["courses"][0]["learners"]} == expected_b
            assert smtp.mailbox.to(b.email) == [] and len(smtp.mailbox.messages) == 1


def test_a_run_catching_up_on_two_checkpoints_compares_with_what_came_before_it(app, make_user):
    early_warning_version(app)
    tutor, gone = make_user("tutor"), make_user("tutor")
    with app.app_context():
        course = running_course("CATCH", 7)
        CourseTutor.create(course=course, user=tutor.id)
        CourseTutor.create(course=course, user=gone.id)
        User.update(is_active=False).where(User.id == gone.id).execute()
        outcome = scoring.score_running_courses("cli")  # days 7 and 14 in one run
        assert notifications.wait_for_deliveries()
        assert sorted(EnrollmentPrediction.counts_by_day(course)) == [7, 14]
        high_at_14 = {e for e, level in levels(course, 14).items() if level == "High"}
        assert high_at_14
        (note,) = Notification.select()  # the deactivated tutor gets none
        assert note.user_id == tutor.id and note.payload["run"] == outcome.run.id
        (listed,) = note.payload["courses"]
        assert listed["total"] == len(high_at_14) and len(listed["learners"]) == min(10, len(high_at_14))
        assert {x["enrollment"] for x in listed["learners"]} <= high_at_14


def test_scoring_the_same_day_again_by_hand_announces_nobody_twice(app, make_user):
    """A re-run of a scored day (score-enrollments --day, or the API) replaces the predictions but does
    not announce the same learners to their tutor again."""
    early_warning_version(app)
    tutor = make_user("tutor")
    with app.app_context():
        course = running_course("AGAIN", 7)
        CourseTutor.create(course=course, user=tutor.id)
        scoring.score_at_day("cli", 14, "AGAIN")
        assert notifications.wait_for_deliveries()
        (first,) = Notification.select()
        announced = {x["enrollment"] for x in first.payload["courses"][0]["learners"]}
        assert announced

        again = scoring.score_at_day("cli", 14, "AGAIN")
        assert notifications.wait_for_deliveries()
        assert ScoringRun.get_by_id(again.run.id).status == "succeeded"
        assert Notification.select().count() == 1


def test_without_mail_server_the_digest_stays_in_the_app(app, make_user):
    assert app.config["MAIL_SERVER"] is None
    _, (first, a), _ = scored_with_tutors(app, make_user)
    with app.app_context():
        (note,) = Notification.select().where(Notification.user == a.id)
        assert note.email_status == "off" and note.read_at is None
        assert notifications.unread_count(User.get_by_id(a.id)) == 1


def test_a_refusing_server_is_retried_then_recorded_as_failed_and_scoring_succeeds(app, make_user, mail_to):
    with SmtpServer(refuse="451 4.3.0 Try again later") as smtp:
        mail_to(smtp.port)
        outcome, (_, a), _ = scored_with_tutors(app, make_user, emails_off=["tutor-b"])
        assert smtp.mailbox.attempts == 3 and smtp.mailbox.messages == []
    with app.app_context():
        assert ScoringRun.get_by_id(outcome.run.id).status == "succeeded"
        (note,) = Notification.select().where(Notification.user == a.id)
        assert (note.email_status, note.email_attempts) == ("failed", 3)
        assert "451" in note.email_error and note.emailed_at is None


def test_a_server_nobody_answers_on_is_recorded_as_failed(app, make_user, mail_to):
    mail_to(free_port())
    outcome, (_, a), _ = scored_with_tutors(app, make_user)
    with app.app_context():
        assert ScoringRun.get_by_id(outcome.run.id).status == "succeeded"
        (note,) = Notification.select().where(Notification.user == a.id)
        assert (note.email_status, note.email_attempts) == ("failed", 3)
        assert "Connection" in note.email_error or "refused" in note.email_error


def test_a_user_turns_digest_emails_off_and_on_over_the_api(client, make_user, bearer):
    tutor = make_user("tutor")
    headers = bearer(tutor)
    assert client.get("/api/v1/me", headers=headers).json["email_notifications"] is True
    answer = client.patch("/api/v1/me", json={"email_notifications": False}, headers=headers)
    assert answer.status_code == 200 and answer.json["email_notifications"] is False
    assert client.get("/api/v1/me", headers=headers).json["email_notifications"] is False
    bad = client.patch("/api/v1/me", json={"email_notifications": "maybe"}, headers=headers)
    assert bad.status_code == 422


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_mail_signs_in_when_a_username_is_set_and_sends_text_and_html():
    from smtplib import SMTPAuthenticationError

    from services import mail

    with SmtpServer(login=("digest-bot", "s3cret-pass")) as smtp:
        settings = mail.MailSettings("127.0.0.1", smtp.port, username="digest-bot", password="s3cret-pass")
        mail.send(settings, "tutor@example.org", "Hello", "plain words", "<p>html words</p>")
        (message,) = smtp.mailbox.messages
        assert message["To"] == "tutor@example.org" and message["From"] == settings.sender
        assert message.get_body(("plain",)).get_content().strip() == "plain words"
        assert message.get_body(("html",)).get_content().strip() == "<p>html words</p>"
        wrong = mail.MailSettings("127.0.0.1", smtp.port, username="digest-bot", password="guess")
        with pytest.raises(SMTPAuthenticationError):
            mail.send(wrong, "tutor@example.org", "Hello", "plain", "<p>html</p>")
        assert len(smtp.mailbox.messages) == 1


def test_mail_settings_refuse_starttls_and_ssl_together(monkeypatch):
    from server.config import load_config

    monkeypatch.setenv("MAIL_USE_TLS", "1")
    monkeypatch.setenv("MAIL_USE_SSL", "1")
    with pytest.raises(RuntimeError, match="MAIL_USE_TLS"):
        load_config("testing")
    monkeypatch.setenv("MAIL_USE_SSL", "0")
    config = load_config("testing")
    assert (config.MAIL_USE_TLS, config.MAIL_PORT, config.MAIL_SERVER) == (True, 25, None)
