"""A tutor's Home: "new since your last visit" over a large scored course. Not a test.

One course of --enrollments learners x 30 days (generated activity), scored at --days days (7, 10, 13,
... one day apart in the past: the first scored --days days ago, the last today), each learner's risk
drawn anew each day, so that some are High for the first time at each day; the tutor's last visit was
--visit-days-ago days ago. Times, for the course's tutor, the newly-High part alone
(`course_risk._newly_high`), the whole "since your last visit" (newly High, others' actions, scoring runs)
and the whole Home (`tutor_home`: the courses' shares too; the news mark is put back each time).
Prints the median and the worst of --runs after one warm-up, and how many learners are newly High.

Run:  python -m tests.benchmarks.bench_tutor_home [--database-url postgresql://...]
        [--enrollments 5000] [--days 6] [--visit-days-ago 3] [--runs 20]
Without --database-url it uses SQLite in a temporary folder.
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta

from tests.benchmarks.timing import report, timed_ms


def _seed(enrollments: int, days: int, visit_days_ago: int) -> int:
    """The course, its predictions, its tutor (last visit set); the tutor's id."""
    import numpy as np

    from db.connection import database
    from db.courses import Enrollment
    from db.early_warning import EnrollmentPrediction
    from db.tables import User, utcnow
    from db.tutoring import CourseTutor
    from tests.helpers import dropout_counts, store_course

    counts, _ = dropout_counts(11, enrollments)
    course = store_course("BENCH-TH", counts)
    ids = [row[0] for row in Enrollment.of_course(course)]
    rng = np.random.default_rng(5)
    now = utcnow()
    scored_days = [7 + 3 * index for index in range(days)]
    with database.atomic():
        for index, day in enumerate(scored_days):
            probabilities = rng.random(len(ids))
            EnrollmentPrediction.upsert_many(
                [
                    {
                        "enrollment": enrollment,
                        "course": course.id,
                        "day": day,
                        "checkpoint": min(day, 30),
                        "probability": float(p),
                        "risk_level": "High" if p >= 0.7 else "Medium" if p >= 0.4 else "Low",
                        "top_factors": [
                            {
                                "feature": "f",
                                "contribution": 0.1,
                                "direction": "up",
                                "text": f"Reason at day {day}.",
                            }
                        ],
                        "model_version": None,
                        "run": None,
                        "created_at": now - timedelta(days=days - 1 - index, minutes=1),
                    }
                    for enrollment, p in zip(ids, probabilities, strict=True)
                ]
            )
    tutor = User.create(
        username="bench-tutor", email="bench-tutor@example.org", password_hash="x", role="tutor"
    )
    CourseTutor.create(course=course, user=tutor)
    User.update(last_visit_at=now - timedelta(days=visit_days_ago)).where(User.id == tutor.id).execute()
    database.execute_sql("ANALYZE")
    return tutor.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--enrollments", type=int, default=5000)
    parser.add_argument("--days", type=int, default=6, help="scored days, one a day up to today")
    parser.add_argument("--visit-days-ago", type=int, default=3)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    from tests.benchmarks.postgres import fresh_app

    app = fresh_app("tutor-home", args.database_url)

    from db.tables import User
    from services import course_risk

    with app.app_context():
        start = time.perf_counter()
        tutor_id = _seed(args.enrollments, args.days, args.visit_days_ago)
        tutor = User.get_by_id(tutor_id)
        visit = tutor.last_visit_at
        print(f"database: {'PostgreSQL' if args.database_url else 'SQLite'}")
        print(
            f"seeded {args.enrollments:,} enrollments x {args.days} scored days in "
            f"{time.perf_counter() - start:.1f} s; last visit {args.visit_days_ago} days ago"
        )
        items, total = course_risk._newly_high(tutor, visit)
        first = items[0]["learner_ref"] if items else "-"
        print(f"newly High since the last visit: {total:,} (first listed: {first})")
        report("newly High (_newly_high)", timed_ms(lambda: course_risk._newly_high(tutor, visit), args.runs))
        report("since_last_visit", timed_ms(lambda: course_risk.since_last_visit(tutor), args.runs))

        def home() -> None:
            course_risk.tutor_home(tutor)
            User.update(last_visit_at=visit).where(User.id == tutor.id).execute()
            tutor.last_visit_at = visit

        report("tutor_home (courses and news)", timed_ms(home, args.runs))


if __name__ == "__main__":
    main()
