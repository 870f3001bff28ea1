"""Digests after a scoring run over 40,000 enrollments, received by a local SMTP server. Not a test.

Run:  python -m tests.benchmarks.bench_digest [--enrollments 40000] [--courses 4] [--tutors 2]
        [--database-url postgresql://postgres@127.0.0.1:5432/h_notify_bench]
Stores `--courses` running courses (at their day 16, generated activity) sharing `--enrollments`,
activates a small early-warning version, scores day 7 (no tutors yet), assigns `--tutors` tutors to each
course (emails on), then times one scoring run at day 14 and, from the moment it finished, the digests:
the newly-High query, the notifications and the emails until the last one reached the aiosmtpd server
started here. Target: the last digest within 30 s of the run's finish.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta

TARGET_SECONDS = 30


def store_courses(number: int, enrollments: int) -> list:
    """`number` 30-day courses at their day 16 sharing `enrollments` learners (inside an app context)."""
    from db.tables import utcnow
    from tests.helpers import dropout_counts, store_course

    courses = []
    for index in range(number):
        size = enrollments // number + (1 if index < enrollments % number else 0)
        counts, _ = dropout_counts(200 + index, size)
        counts[:, 16:] = 0
        start = utcnow().date() - timedelta(days=16)
        code = f"BENCH-{index + 1}"
        courses.append(store_course(code, counts, start=start, title=f"Bench course {index + 1}"))
    return courses


def assign_tutors(courses: list, per_course: int) -> int:
    """`per_course` tutors (emails on) for each course; how many tutors."""
    from db.tables import User
    from db.tutoring import CourseTutor

    count = 0
    for course in courses:
        for _ in range(per_course):
            count += 1
            user = User.create(
                username=f"tutor{count}", email=f"tutor{count}@example.org", password_hash="x", role="tutor"
            )
            CourseTutor.create(course=course, user=user)
    return count


def main(argv: list[str] | None = None) -> int:
    """Store, score, time the digests; returns the exit code."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--enrollments", type=int, default=40_000)
    parser.add_argument("--courses", type=int, default=4)
    parser.add_argument("--tutors", type=int, default=2, help="tutors per course")
    parser.add_argument("--database-url")
    args = parser.parse_args(argv)
    from tests.benchmarks.postgres import fresh_app

    app = fresh_app("digest", args.database_url)

    from db.connection import database
    from db.early_warning import EnrollmentPrediction
    from db.queries import is_postgres
    from db.tutoring import Notification
    from services.early_warning import scoring
    from services.tutoring import notifications
    from tests.digests import SmtpServer
    from tests.helpers import early_warning_version

    early_warning_version(app)
    with app.app_context(), SmtpServer() as smtp:
        started = time.perf_counter()
        courses = store_courses(args.courses, args.enrollments)
        database.execute_sql("ANALYZE")
        print(
            f"stored {args.enrollments:,} enrollments in {args.courses} courses in "
            f"{time.perf_counter() - started:.1f} s"
        )
        scoring.score_at_day("cli", 7)
        notifications.wait_for_deliveries()
        tutors = assign_tutors(courses, args.tutors)
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, PUBLIC_URL="http://ssa.example.org")

        started = time.perf_counter()
        run = scoring.score_at_day("cli", 14).run
        finished = time.perf_counter()
        assert notifications.wait_for_deliveries(300), "digests still being sent after 300 s"
        delivered = time.perf_counter()
        last = max(smtp.mailbox.received_at, default=float("nan"))

        # The digests marked what they announced; unmark it so the query is timed on what they saw.
        EnrollmentPrediction.update(notified_at=None).where(EnrollmentPrediction.run == run.id).execute()
        query_started = time.perf_counter()
        newly = notifications.newly_high(run.id, "High")
        query_seconds = time.perf_counter() - query_started
        sent = Notification.select().where(Notification.email_status == "sent").count()
        failed = Notification.select().where(Notification.email_status != "sent").count()
        size = max((len(m.as_bytes()) for m in smtp.mailbox.messages), default=0)
    backend = "PostgreSQL" if is_postgres() else "SQLite"
    print(
        f"{backend}: scoring run over {run.enrollments:,} enrollments took {finished - started:.2f} s; "
        f"{len(newly):,} newly High (query {query_seconds * 1000:.0f} ms); {tutors} tutors: "
        f"{len(smtp.mailbox.messages)} digests received ({sent} sent, {failed} not), "
        f"largest {size / 1024:.0f} KiB"
    )
    print(
        f"last digest received {last - finished:.2f} s after the run finished "
        f"(every thread done after {delivered - finished:.2f} s); target <= {TARGET_SECONDS} s"
    )
    return 0 if len(smtp.mailbox.messages) == tutors else 1


if __name__ == "__main__":
    sys.exit(main())
