"""Sending a nudge to every learner of a course, received by a local SMTP server. Not a test.

Run:  python -m tests.benchmarks.bench_nudges [--learners 1000]
        [--database-url postgresql://postgres@127.0.0.1:5432/ssa_nudges]
Stores a 30-day course at its day 10 with `--learners` learners, each with an email address, then times
one preview and one send of the default template "We miss you" to all of them by an administrator (the
emails go one after the other within the call, as from the Course page or the API), and the time from
the send's start until the local SMTP server (aiosmtpd) holds every email (target: 30 s at most).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta


def main(argv: list[str] | None = None) -> int:
    """Store, preview, send; returns the exit code (1 unless every learner got one email)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--target", type=float, default=30.0, help="seconds until every email arrived")
    parser.add_argument("--database-url")
    args = parser.parse_args(argv)
    from tests.benchmarks.postgres import fresh_app

    app = fresh_app("nudges", args.database_url)

    import numpy as np

    from db.courses import Enrollment
    from db.nudges import LearnerContact
    from db.queries import is_postgres
    from db.tables import utcnow
    from services import accounts
    from services.tutoring import nudges
    from tests.digests import SmtpServer
    from tests.helpers import store_course

    with app.app_context(), SmtpServer() as smtp:
        counts = np.zeros((args.learners, 30, 7), dtype=int)
        counts[:, :3, 0] = 1
        course = store_course("NUDGE", counts, start=utcnow().date() - timedelta(days=10))
        ids = Enrollment.select(Enrollment.id, Enrollment.learner_ref).where(Enrollment.course == course)
        refs = []
        for row in ids:
            LearnerContact.create(
                enrollment=row.id, email=f"{row.learner_ref.lower()}@example.org", name="Ada"
            )
            refs.append(row.learner_ref)
        admin = accounts.register(
            "bench-admin", "bench@example.org", "correct-horse-battery", "B", role="admin"
        )
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, PUBLIC_URL="http://ssa.example.org")
        settings = nudges.NudgeSettings.from_config(app.config)
        started = time.perf_counter()
        nudges.nudge(admin, "NUDGE", "We miss you", learners=refs, preview=True, settings=settings)
        previewed = time.perf_counter()
        result = nudges.nudge(admin, "NUDGE", "We miss you", learners=refs, settings=settings)
        sent = time.perf_counter()
        smtp.mailbox.wait_for(args.learners, timeout=max(30.0, args.target))
        arrived = time.perf_counter()
        received = len(smtp.mailbox.messages)
    backend = "PostgreSQL" if is_postgres() else "SQLite"
    print(
        f"{backend}: {args.learners:,} learners: preview {previewed - started:.2f} s;"
        f" send {sent - previewed:.2f} s ({(sent - previewed) / max(1, args.learners) * 1000:.1f} ms per"
        f" learner); {len(result['sent'])} sent, {received} received; all in the mailbox"
        f" {arrived - previewed:.2f} s after the send started (target {args.target:g} s)"
    )
    within = arrived - previewed <= args.target
    return 0 if received == args.learners == len(result["sent"]) and within else 1


if __name__ == "__main__":
    sys.exit(main())
