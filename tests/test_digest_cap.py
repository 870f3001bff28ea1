"""A scoring run that flags a whole course gives a short digest: at most 10 learners per course in the
notification and in the email (aiosmtpd receives it), with the count of the rest and a link to the
full list on the course page."""

from __future__ import annotations

import re

from db.tutoring import Notification
from services.tutoring import notifications
from tests.digests import SmtpServer, flag_a_whole_course


def test_a_digest_lists_ten_learners_per_course_with_the_count_and_a_link(
    app, make_user, mail_to, monkeypatch
):
    with SmtpServer() as smtp:
        mail_to(smtp.port)
        tutor, flagged = flag_a_whole_course(app, make_user, monkeypatch)
        smtp.mailbox.wait_for(1)
        (message,) = smtp.mailbox.to(tutor.email)
    with app.app_context():
        (note,) = Notification.select().where(Notification.user == tutor.id)
    (course,) = note.payload["courses"]
    assert course["total"] == flagged and len(course["learners"]) == 10
    assert note.title == f"{flagged} learners newly at High risk"

    text = message.get_body(("plain",)).get_content()
    assert len(re.findall(r"^  - ", text, re.M)) == 10
    assert f"BIG Course BIG: {flagged} learner(s)" in text
    assert (
        f"... and {flagged - 10} more: the full list is on the course page, http://ssa.example.org/course?code=BIG"
        in text
    )
    body = message.get_body(("html",)).get_content()
    assert len(re.findall(r"/enrollment\?id=\d+", body)) == 10
    assert (
        f'... and {flagged - 10} more: <a href="http://ssa.example.org/course?code=BIG">the full list' in body
    )


def test_a_digest_stored_with_more_learners_is_listed_ten_per_course(app, make_user):
    """Digests stored before the cap (with hundreds of learners) are shown and sent capped too."""
    with app.app_context():
        user = make_user("tutor")
        learners = [
            {"enrollment": i, "learner": f"L{i}", "probability": 0.9, "day": 14, "reasons": ["Idle"]}
            for i in range(300)
        ]
        note = Notification.create(
            user=user.id,
            kind=notifications.DIGEST,
            title="1198 learners newly at High risk",
            body="OLD: 1198",
            link="/course?code=OLD",
            payload={
                "level": "High",
                "total": 1198,
                "courses": [{"code": "OLD", "title": "", "total": 1198, "learners": learners}],
            },
        )
        _subject, text, body = notifications.render_digest(Notification.get_by_id(note.id), "http://x")
    assert len(re.findall(r"^  - ", text, re.M)) == 10 and "and 1188 more" in text
    assert len(re.findall(r"/enrollment\?id=\d+", body)) == 10
