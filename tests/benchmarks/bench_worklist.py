"""A tutor's worklist ("This week", GET /api/v1/worklist) over many large scored courses. Not a test.

The tutor tutors --courses running courses of --enrollments learners each (no activity rows: the
worklist reads only the predictions), each scored at days 7 and 14 (only 14 counts) with random
probabilities, the levels by rank (the riskiest 20% High, the next 30% Medium) and random segments;
--acted of the enrollments have an action, half of them within the recent days (left out). Times the
service call (`services.tutoring.worklist.worklist`, the rows at the default capacity of 25, the done
count) for the tutor. Prints the median and the worst of --runs after one warm-up.

Run:  python -m tests.benchmarks.bench_worklist [--database-url postgresql://...]
        [--courses 10] [--enrollments 5000] [--acted 0.1] [--runs 20]
Without --database-url it uses SQLite in a temporary folder.
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta

from tests.benchmarks.timing import report, timed_ms

SEGMENT_NAMES = ("not_started", "gone_quiet", "slipping", "steady")


def _course(code: str, enrollments: int, tutor, rng, acted: float) -> None:
    """One running course, scored at days 7 and 14, some learners acted on; tutored by `tutor`."""
    import numpy as np

    from db.connection import database
    from db.courses import Enrollment
    from db.early_warning import EnrollmentPrediction
    from db.tables import utcnow
    from db.tutoring import CourseTutor, EnrollmentAction
    from tests.helpers import store_course

    now = utcnow()
    course = store_course(code, np.zeros((enrollments, 30, 7)), start=now.date() - timedelta(days=20))
    ids = [row[0] for row in Enrollment.of_course(course)]
    with database.atomic():
        for day in (7, 14):
            probabilities = rng.random(len(ids))
            order = np.argsort(-probabilities)
            rank = np.empty(len(ids), dtype=int)
            rank[order] = np.arange(1, len(ids) + 1)
            EnrollmentPrediction.upsert_many(
                [
                    {
                        "enrollment": enrollment,
                        "course": course.id,
                        "day": day,
                        "checkpoint": day,
                        "probability": float(p),
                        "risk_level": "High"
                        if r <= 0.2 * len(ids)
                        else "Medium"
                        if r <= 0.5 * len(ids)
                        else "Low",
                        "top_factors": [{"feature": "f", "text": f"Reason at day {day}."}],
                        "segment": SEGMENT_NAMES[int(s)],
                        "rank_in_course": int(r),
                        "model_version": None,
                        "run": None,
                        "created_at": now - timedelta(days=14 - day),
                    }
                    for enrollment, p, r, s in zip(
                        ids, probabilities, rank, rng.integers(0, 4, len(ids)), strict=True
                    )
                ]
            )
        chosen = rng.choice(ids, int(acted * len(ids)), replace=False)
        EnrollmentAction.insert_many(
            [
                {
                    "enrollment": int(enrollment),
                    "course": course.id,
                    "user": tutor.id,
                    "kind": "contacted",
                    "note": "",
                    "created_at": now - timedelta(days=int(age)),
                }
                for enrollment, age in zip(chosen, rng.integers(0, 15, len(chosen)), strict=True)
            ]
        ).execute()
        CourseTutor.create(course=course, user=tutor)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--courses", type=int, default=10)
    parser.add_argument("--enrollments", type=int, default=5000)
    parser.add_argument("--acted", type=float, default=0.1, help="share of enrollments with an action")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    from tests.benchmarks.postgres import fresh_app

    app = fresh_app("worklist", args.database_url)

    import numpy as np

    from db.connection import database
    from db.tables import User
    from services.tutoring import worklist

    with app.app_context():
        start = time.perf_counter()
        tutor = User.create(
            username="bench-tutor", email="bench-tutor@example.org", password_hash="x", role="tutor"
        )
        rng = np.random.default_rng(7)
        for index in range(args.courses):
            _course(f"BENCH-WL-{index}", args.enrollments, tutor, rng, args.acted)
        database.execute_sql("ANALYZE")
        print(f"database: {'PostgreSQL' if args.database_url else 'SQLite'}")
        print(
            f"seeded {args.courses} courses x {args.enrollments:,} enrollments x 2 scored days in "
            f"{time.perf_counter() - start:.1f} s"
        )
        result = worklist.worklist(tutor)
        first = result["items"][0] if result["items"] else {}
        print(
            f"listed {len(result['items'])} (first: {first.get('learner_ref')}, {first.get('risk_level')}, "
            f"{first.get('segment')}); done this week: {result['done']}"
        )
        report("worklist (rows and done count)", timed_ms(lambda: worklist.worklist(tutor), args.runs))


if __name__ == "__main__":
    main()
