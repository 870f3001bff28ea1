"""Erasing one learner with 30 days of activity from a course of 5,000 learners. Not a test.

Run:  python -m tests.benchmarks.bench_erasure [--learners 5000] [--erasures 10]
        [--database-url postgresql://postgres@127.0.0.1:5432/ssa_erasure]
Stores a finished 30-day course whose every learner was active on every day (activity rows and event
keys), scored at two checkpoints, with a contact each, then a tutor's digest listing the first learners,
an action and an enrollment view each for the learners to erase; times the export then the erasure of
`--erasures` learners one by one (each a separate learner, through the service the API and page call).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta

DAYS = 30


def _store(learners: int) -> tuple[list[int], object]:
    """The course, its activity, event keys, predictions and contacts; its enrollment ids by reference."""
    import numpy as np

    from db.connection import database
    from db.courses import Enrollment
    from db.early_warning import EnrollmentPrediction, ScoringRun
    from db.ingest import DayEvents
    from db.nudges import LearnerContact
    from db.tables import utcnow
    from tests.helpers import store_course

    counts = np.ones((learners, DAYS, 7), dtype=int)
    course = store_course("ERASE", counts, start=date.today() - timedelta(days=DAYS + 5))
    ids = [row for (row,) in Enrollment.select(Enrollment.id).where(Enrollment.course == course).tuples()]
    run = ScoringRun.create(trigger="cli", status="succeeded", run_date=utcnow().date())
    with database.atomic():
        for chunk in range(0, len(ids), 500):
            part = ids[chunk : chunk + 500]
            keys = [
                {"course": course.id, "enrollment": e, "day": d, "keys": b"\x01" * 56, "codes": b"\x02" * 7}
                for e in part
                for d in range(DAYS)
            ]
            DayEvents.insert_many(keys).execute()
            LearnerContact.insert_many(
                [{"enrollment": e, "email": f"l{e}@example.org"} for e in part]
            ).execute()
        EnrollmentPrediction.upsert_many(
            [
                {
                    "enrollment": e,
                    "course": course.id,
                    "day": day,
                    "checkpoint": day,
                    "probability": 0.8,
                    "risk_level": "High",
                    "top_factors": [{"feature": "x", "text": "few study days"}],
                    "model_version": None,
                    "run": run.id,
                    "created_at": utcnow(),
                }
                for e in ids
                for day in (7, 14)
            ]
        )
    return ids, run


def main(argv: list[str] | None = None) -> int:
    """Store, then time the exports and erasures; returns the exit code (1 if a learner is left)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--learners", type=int, default=5000)
    parser.add_argument("--erasures", type=int, default=10)
    parser.add_argument("--database-url")
    args = parser.parse_args(argv)
    from tests.benchmarks.postgres import fresh_app

    app = fresh_app("erasure", args.database_url)

    import time

    from db.courses import ActivityDay, Enrollment
    from db.queries import is_postgres
    from db.tutoring import CourseTutor
    from services import accounts, enrollment_timeline, learner_data
    from services.tutoring import actions, notifications
    from tests.benchmarks.timing import report

    with app.app_context():
        started = time.perf_counter()
        ids, run = _store(args.learners)
        admin = accounts.register(
            "bench-admin", "bench@example.org", "correct-horse-battery", "B", role="admin"
        )
        tutor = accounts.register(
            "bench-tutor", "tutor@example.org", "correct-horse-battery", "T", role="tutor"
        )
        CourseTutor.create(course=Enrollment.get_by_id(ids[0]).course_id, user=tutor)
        settings = notifications.DigestSettings.from_config(app.config)
        (digest,) = notifications.create_digests(run.id, settings)
        chosen = [learner["enrollment"] for learner in digest.payload["courses"][0]["learners"]]
        chosen = chosen[: args.erasures]  # learners the digest lists (DIGEST_MAX_PER_COURSE of them)
        for enrollment in chosen:
            actions.record_action(tutor, enrollment, "contacted", "called", "phone")
            enrollment_timeline.enrollment_view(tutor, enrollment)
        refs = [Enrollment.get_by_id(e).learner_ref for e in chosen]
        stored = time.perf_counter() - started
        rows = ActivityDay.select().count()
        exports, erasures = [], []
        for ref in refs:
            begin = time.perf_counter()
            learner_data.export(admin, ref, None)
            exports.append((time.perf_counter() - begin) * 1000)
            begin = time.perf_counter()
            removed = learner_data.erase(admin, ref, None)
            erasures.append((time.perf_counter() - begin) * 1000)
            assert removed["activity_days"] == DAYS and removed["notifications"] == 1, removed
        left = Enrollment.select().where(Enrollment.learner_ref.in_(refs)).count()
    backend = "PostgreSQL" if is_postgres() else "SQLite"
    print(f"{backend}: {args.learners:,} learners, {rows:,} activity rows (stored in {stored:.0f} s)")
    report(f"{backend} export of one learner", exports)
    report(f"{backend} erasure of one learner", erasures)
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main())
