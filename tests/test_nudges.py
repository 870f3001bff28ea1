"""Nudges to learners: the preview, emails through a real SMTP server (aiosmtpd), the unsubscribe link
that works signed out and blocks later nudges, the NUDGE_MIN_DAYS limit, the holdout."""

from __future__ import annotations

import random
import re
import threading
from datetime import timedelta

import pytest

from db.early_warning import EnrollmentPrediction
from db.nudges import LearnerContact
from db.tables import User, utcnow
from db.tutoring import NUDGE_KINDS, CourseTutor, EnrollmentAction
from services.tutoring import nudges
from tests.digests import SmtpServer
from tests.helpers import assert_error, scored_course
from tests.nudges_data import ACTIVE, SCORES, seed_templates

NAMES = {"NC-L0": "Ada", "NC-L1": "Bob", "NC-L3": "Cy"}  # NC-L2 has no email address
EVERYONE = ["NC-L0", "NC-L1", "NC-L2", "NC-L3"]


@pytest.fixture
def course(app, make_user):
    """Course NC (today its day 20) with four learners, three with an address; its tutor; a tutor of
    another course; L1 and L2 gone quiet, L0 and L3 steady."""
    tutor, stranger = make_user("tutor"), make_user("tutor")
    with app.app_context():
        seed_templates()
        found, ids = scored_course("NC", SCORES, ACTIVE)
        other, _ = scored_course("NO", SCORES, ACTIVE)
        CourseTutor.create(course=found.id, user=tutor.id)
        CourseTutor.create(course=other.id, user=stranger.id)
        for ref, name in NAMES.items():
            LearnerContact.create(enrollment=ids[ref], email=f"{name.lower()}@example.org", name=name)
        quiet = [ids["NC-L1"], ids["NC-L2"]]
        EnrollmentPrediction.update(segment="gone_quiet").where(
            EnrollmentPrediction.enrollment.in_(quiet)
        ).execute()
        EnrollmentPrediction.update(segment="steady").where(
            (EnrollmentPrediction.course == found.id) & EnrollmentPrediction.enrollment.not_in(quiet)
        ).execute()
    return tutor, stranger, ids


def _post(client, headers, **body):
    return client.post("/api/v1/courses/NC/nudges", json={"template": "We miss you", **body}, headers=headers)


def _actions(app, kind: str) -> list[int]:
    with app.app_context():
        query = EnrollmentAction.select().where(EnrollmentAction.kind == kind)
        return sorted(action.enrollment_id for action in query)


def test_the_preview_shows_the_first_learners_email_and_sends_nothing(
    app, client, course, bearer, make_user, mail_to
):
    tutor, stranger, _ids = course
    with SmtpServer() as smtp:
        mail_to(smtp.port)
        response = _post(client, bearer(tutor), learners=["NC-L1", "NC-L0"], preview=True)
        assert response.status_code == 200, response.json
        assert smtp.mailbox.messages == []
    result = response.json
    assert (
        result["preview"]["to"] == "bob@example.org" and result["preview"]["subject"] == "We miss you in NC"
    )
    # L1 was last active on day 3; today is day 20.
    assert "Hello Bob,\n\nIt has been 17 days since your last visit to NC." in result["preview"]["text"]
    assert "To stop these emails: http://ssa.example.org/unsubscribe/" in result["preview"]["text"]
    assert (result["recipients"], result["sent"]) == (2, [])
    assert _actions(app, "nudged") == []
    assert_error(_post(client, bearer(stranger), learners=["NC-L1"], preview=True), 404)
    assert_error(_post(client, bearer(make_user()), learners=["NC-L1"], preview=True), 403)


def test_each_learner_gets_one_email_with_their_name_and_own_unsubscribe_link(
    app, client, course, bearer, mail_to
):
    tutor, _stranger, ids = course
    with SmtpServer() as smtp:
        mail_to(smtp.port)
        result = _post(client, bearer(tutor), learners=[*EVERYONE, "NOBODY"]).json
        messages = list(smtp.mailbox.messages)
    assert sorted(result["sent"]) == ["NC-L0", "NC-L1", "NC-L3"]
    assert result["skipped"] == [
        {"learner": "NOBODY", "reason": "not in this course"},
        {"learner": "NC-L2", "reason": "no email address"},
    ]
    assert sorted(m["To"] for m in messages) == ["ada@example.org", "bob@example.org", "cy@example.org"]
    links = set()
    for message in messages:
        text = message.get_body(("plain",)).get_content()
        name = message["To"].split("@")[0].title()
        assert text.startswith(f"Hello {name},") and message["Subject"] == "We miss you in NC"
        (link,) = re.findall(r"http://ssa\.example\.org/unsubscribe/\S+", text)
        assert message["List-Unsubscribe"] == f"<{link}>"
        links.add(link)
    assert len(links) == 3
    assert _actions(app, "nudged") == sorted(ids[ref] for ref in ("NC-L0", "NC-L1", "NC-L3"))


def test_the_unsubscribe_link_works_signed_out_and_blocks_later_nudges(
    app, client, course, bearer, mail_to, monkeypatch
):
    tutor, _stranger, _ids = course
    with SmtpServer() as smtp:
        mail_to(smtp.port)
        _post(client, bearer(tutor), learners=["NC-L0"])
        (message,) = smtp.mailbox.messages
        (link,) = re.findall(
            r"http://ssa\.example\.org(/unsubscribe/\S+)", message.get_body(("plain",)).get_content()
        )
        page = app.test_client().get(link)  # a fresh client: nobody signed in
        assert page.status_code == 200
        assert "You are unsubscribed" in page.text and "any more of these emails about NC" in page.text
        assert "already unsubscribed" in app.test_client().get(link).text
        assert app.test_client().get(link[:-3] + "abc").status_code == 404
        monkeypatch.setitem(app.config, "NUDGE_MIN_DAYS", 0)
        again = _post(client, bearer(tutor), learners=["NC-L0"]).json
        assert again["sent"] == [] and again["skipped"] == [{"learner": "NC-L0", "reason": "unsubscribed"}]
        assert len(smtp.mailbox.messages) == 1


def test_a_learner_nudged_in_the_last_k_days_is_skipped(app, client, course, bearer, mail_to):
    tutor, _stranger, _ids = course
    with SmtpServer() as smtp:
        mail_to(smtp.port)
        assert _post(client, bearer(tutor), segment="gone_quiet").json["sent"] == ["NC-L1"]
        again = _post(client, bearer(tutor), segment="gone_quiet").json
        assert again["sent"] == []
        assert sorted(again["skipped"], key=lambda skip: skip["learner"]) == [
            {"learner": "NC-L1", "reason": "nudged in the last 7 days"},
            {"learner": "NC-L2", "reason": "no email address"},
        ]
        with app.app_context():
            EnrollmentAction.update(created_at=utcnow() - timedelta(days=7, minutes=1)).execute()
        assert _post(client, bearer(tutor), segment="gone_quiet").json["sent"] == ["NC-L1"]
        assert len(smtp.mailbox.messages) == 2


def test_a_held_back_learner_is_never_emailed(app, course, mail_to, monkeypatch):
    tutor, _stranger, ids = course
    with SmtpServer() as smtp:
        mail_to(smtp.port)
        monkeypatch.setitem(app.config, "NUDGE_HOLDOUT_SHARE", 0.5)
        with app.app_context():
            settings = nudges.NudgeSettings.from_config(app.config)
            result = nudges.nudge(
                User.get_by_id(tutor.id),
                "NC",
                "We miss you",
                learners=EVERYONE,
                settings=settings,
                rng=random.Random(3),
            )
        held, sent = result["held_back"], result["sent"]
    assert held and sent and sorted(held + sent) == ["NC-L0", "NC-L1", "NC-L3"]
    emailed = {m["To"] for m in smtp.mailbox.messages}
    assert emailed == {f"{NAMES[ref].lower()}@example.org" for ref in sent}
    assert _actions(app, "held_back") == sorted(ids[ref] for ref in held)
    with app.app_context():  # both groups remember the share, so the outcomes report can compare them
        nudge_actions = EnrollmentAction.select().where(EnrollmentAction.kind.in_(NUDGE_KINDS))
        shares = {row.holdout_share for row in nudge_actions}
    assert shares == {0.5}


def test_a_refused_email_is_reported_and_leaves_no_nudged_action(app, client, course, bearer, mail_to):
    tutor, _stranger, _ids = course
    with SmtpServer(refuse="550 5.1.1 No such mailbox") as smtp:
        mail_to(smtp.port)
        result = _post(client, bearer(tutor), learners=["NC-L0", "NC-L1"]).json
    assert result["sent"] == [] and [row["learner"] for row in result["failed"]] == ["NC-L0", "NC-L1"]
    assert "No such mailbox" in result["failed"][0]["reason"]
    assert _actions(app, "nudged") == []


def test_a_bad_choice_is_refused_with_the_field_named(app, client, course, bearer):
    tutor, _stranger, _ids = course
    headers = bearer(tutor)
    error = assert_error(_post(client, headers, template="Nope", learners=["NC-L0"], preview=True), 422)
    assert error["fields"] == {"template": "no template named Nope"}
    error = assert_error(_post(client, headers, segment="bogus", preview=True), 422)
    assert set(error["fields"]) == {"segment"}
    error = assert_error(_post(client, headers, learners=["NC-L0"], segment="steady", preview=True), 422)
    assert set(error["fields"]) == {"learners"}


def test_two_sends_at_once_email_each_learner_once(app, course, mail_to, monkeypatch):
    tutor, _stranger, _ids = course
    results, errors = [], []
    checked = threading.Barrier(2, timeout=30)
    sort_out = nudges._sort_out

    def both_checked(*args):
        """Both senders have found the learners not nudged yet before either records anything."""
        found = sort_out(*args)
        checked.wait()
        return found

    monkeypatch.setattr(nudges, "_sort_out", both_checked)
    with SmtpServer() as smtp:
        mail_to(smtp.port)
        settings = nudges.NudgeSettings.from_config(app.config)

        def send() -> None:
            with app.app_context():
                try:
                    results.append(
                        nudges.nudge(
                            User.get_by_id(tutor.id),
                            "NC",
                            "We miss you",
                            learners=EVERYONE,
                            settings=settings,
                        )
                    )
                except Exception as exc:  # reported below: a thread's exception is otherwise lost
                    errors.append(exc)

        threads = [threading.Thread(target=send) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        smtp.mailbox.wait_for(3)
    assert errors == []
    assert sorted(results[0]["sent"] + results[1]["sent"]) == ["NC-L0", "NC-L1", "NC-L3"]
    assert sorted(m["To"] for m in smtp.mailbox.messages) == [
        "ada@example.org",
        "bob@example.org",
        "cy@example.org",
    ]
