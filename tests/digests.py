"""Shared by the digest tests and benchmark: a real SMTP server (aiosmtpd on a loopback port) that keeps
what it receives, and running courses scored with tutors assigned."""

from __future__ import annotations

import logging
import socket
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    """A loopback port nothing listens on (at the moment of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mailbox:
    """An aiosmtpd handler: keeps each message with the time it arrived, or refuses every message with
    `refuse` (e.g. "451 4.3.0 Try again later")."""

    def __init__(self, refuse: str | None = None) -> None:
        self.refuse = refuse
        self.messages: list[EmailMessage] = []
        self.received_at: list[float] = []
        self.attempts = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        with self._lock:
            self.attempts += 1
            if self.refuse:
                return self.refuse
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            self.received_at.append(time.perf_counter())
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        """The messages addressed to `address`."""
        return [m for m in self.messages if m["To"] == address]

    def wait_for(self, count: int, timeout: float = 30) -> None:
        """Wait until `count` messages arrived."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.01)


class _Authenticator:
    def __init__(self, username: str, password: str) -> None:
        self.expected = (username.encode(), password.encode())

    def __call__(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == self.expected
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535 itself


class SmtpServer:
    """An aiosmtpd server on 127.0.0.1 with a Mailbox, started and stopped by its user."""

    def __init__(
        self, refuse: str | None = None, login: tuple[str, str] | None = None, data_size_limit: int = 64 << 20
    ) -> None:
        self.mailbox = Mailbox(refuse)
        self.port = free_port()
        options = {}
        if login is not None:  # a server that takes mail only after AUTH with this name and password
            options = {"authenticator": _Authenticator(*login), "auth_required": True}
            options["auth_require_tls"] = False  # loopback only, in a test
        self.controller = Controller(
            self.mailbox, hostname="127.0.0.1", port=self.port, data_size_limit=data_size_limit, **options
        )

    def __enter__(self) -> SmtpServer:
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command
        self.controller.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.controller.stop()


DAY = 16


def running_course(code: str, seed: int, enrollments: int = 40):
    """A 30-day course at its day 16, with generated activity before today (inside an app context)."""
    from datetime import timedelta

    from db.tables import utcnow
    from tests.helpers import dropout_counts, store_course

    counts, _ = dropout_counts(seed, enrollments)
    counts[:, DAY:] = 0
    return store_course(code, counts, start=utcnow().date() - timedelta(days=DAY), title=f"Course {code}")


def scored_with_tutors(app, make_user, emails_off=()):
    """Two running courses scored at day 7 (no tutors yet: no digest), the five riskiest learners of each
    set High at day 7, then tutors assigned (`tutor-a` to NA, `tutor-b` to NB) and one run scoring both
    at day 14; returns (outcome, (NA, tutor a), (NB, tutor b)) once the digests are delivered."""
    from db.early_warning import EnrollmentPrediction as P
    from db.tables import User
    from db.tutoring import CourseTutor
    from services.early_warning import scoring
    from services.tutoring import notifications
    from tests.helpers import early_warning_version

    early_warning_version(app)
    a, b = make_user("tutor", "tutor-a"), make_user("tutor", "tutor-b")
    with app.app_context():
        first, second = running_course("NA", 5), running_course("NB", 6)
        scoring.score_at_day("cli", 7)
        assert notifications.wait_for_deliveries()
        for course in (first, second):
            top = P.select(P.id).where((P.course == course) & (P.day == 7)).order_by(P.probability.desc())
            P.update(risk_level="High").where(P.id.in_(top.limit(5))).execute()
        CourseTutor.create(course=first, user=a.id)
        CourseTutor.create(course=second, user=b.id)
        User.update(email_notifications=False).where(User.username.in_(list(emails_off))).execute()
        outcome = scoring.score_running_courses("cli")
        assert notifications.wait_for_deliveries()
        return outcome, (first, a), (second, b)


def daily_csv(code: str) -> bytes:
    """A daily activity CSV of twelve learners of a 30-day course at its day 16 (its days so far)."""
    from datetime import timedelta

    from db.tables import utcnow

    start = utcnow().date() - timedelta(days=DAY)
    lines = ["enrollment_id,time,event_video,event_problem,course_id"]
    for learner in range(12):
        for day in range(0, DAY, 1 + learner % 4):
            lines.append(f"u{learner},{start + timedelta(days=day)},{1 + learner % 3},1,{code}")
    return ("\n".join(lines) + "\n").encode()


# Levels under which almost every learner is High: a course where the run flags nearly everyone.
EVERYONE_HIGH = (("High", 0.01), ("Medium", 0.005), ("Low", 0.0))
ENROLLMENTS = 150


def flag_a_whole_course(app, make_user, monkeypatch, code: str = "BIG"):
    """A running course of 150 learners with a tutor, scored at day 14 with nearly everyone High; the
    tutor and how many the run flagged (once the digests are delivered)."""
    from db.early_warning import EnrollmentPrediction
    from db.tutoring import CourseTutor
    from services.early_warning import scoring
    from services.tutoring import notifications
    from tests.helpers import early_warning_version

    early_warning_version(app)
    monkeypatch.setitem(app.config, "RISK_LEVELS", EVERYONE_HIGH)
    # Early-warning levels are shares of the course: nine in ten at High.
    monkeypatch.setitem(app.config, "EARLY_WARNING_LEVEL_SHARES", (0.9, 0.05))
    tutor = make_user("tutor", f"tutor-{code.lower()}")
    with app.app_context():
        course = running_course(code, 7, enrollments=ENROLLMENTS)
        CourseTutor.create(course=course, user=tutor.id)
        scoring.score_at_day("cli", 14, code)
        assert notifications.wait_for_deliveries()
        p = EnrollmentPrediction
        flagged = p.select().where((p.course == course) & (p.day == 14) & (p.risk_level == "High")).count()
    assert flagged > 100, flagged
    return tutor, flagged
