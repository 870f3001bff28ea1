"""The randomised holdout, checked by simulation. Not a test.

Run:  python -m tests.benchmarks.bench_holdout [--choices 10000] [--runs 200] [--effect 0.05]
        [--share 0.2] [--seed 1] [--database-url postgresql://postgres@127.0.0.1:5432/ssa_holdout]

1. The share held back: the product's choosing function (services.tutoring.nudges.hold_back, with the system's
   random source as a send uses it) over `--choices` learners at shares 0.1, 0.2 and 0.5; target: within
   3 points of the setting.
2. The estimate recovers a known effect: each run generates 5 courses (300 to 2,000 learners, dropout
   rates from 0.66 to 0.93, each learner's own rate drawn around the course's), holds learners back
   with the product's function at `--share`, lowers the nudged learners' dropout probability by
   `--effect` (the true effect: -effect), draws the outcomes, stores courses, outcomes and nudge actions
   in the database and reads the product's report across courses (services.tutoring.nudge_effect, as the API
   and the page do) as a tutor of those courses. Counts the runs whose 95% interval covers the true
   effect, per course (Newcombe) and overall (Mantel-Haenszel); target: at least 90% of the runs.
"""

from __future__ import annotations

import argparse
import random
import sys
import time

SHARES = (0.1, 0.2, 0.5)
COURSES_PER_RUN = 5


def share_check(choices: int) -> list[tuple[float, float]]:
    """(setting, share held back) over `choices` learners, for each setting."""
    from services.tutoring.nudges import hold_back

    found = []
    for share in SHARES:
        held, _sent = hold_back(list(range(choices)), share, random.SystemRandom())
        found.append((share, len(held) / choices))
    return found


def _course(run: int, number: int, share: float, effect: float, rng: random.Random, tutor) -> None:
    """One generated course of the run, its outcomes and nudge decisions stored."""
    import numpy as np

    from db.courses import Enrollment
    from db.tutoring import CourseTutor, EnrollmentAction
    from services.tutoring.nudges import hold_back
    from tests.helpers import store_course

    size = rng.randint(300, 2000)
    base = rng.uniform(0.66, 0.93)
    course = store_course(f"H{run}-{number}", np.zeros((size, 1, 7), dtype=int), days=1)
    CourseTutor.create(course=course.id, user=tutor.id)
    ids = [row.id for row in Enrollment.select(Enrollment.id).where(Enrollment.course == course)]
    held, nudged = hold_back(ids, share, rng)
    # Each learner's own dropout probability, around the course's rate (a Beta with mean `base`).
    chance = {e: rng.betavariate(base * 8, (1 - base) * 8) for e in ids}
    emailed = set(nudged)
    # A learner whose own probability is below the effect cannot lose all of it: with these rates such
    # a learner is vanishingly rare, so the true effect stays -effect.
    dropped = {e: rng.random() < chance[e] - (effect if e in emailed else 0) for e in ids}
    for value in (True, False):
        chosen = [e for e in ids if dropped[e] is value]
        for start in range(0, len(chosen), 500):
            Enrollment.update(dropped_out=value).where(
                Enrollment.id.in_(chosen[start : start + 500])
            ).execute()
    rows = [
        {"enrollment": e, "course": course.id, "kind": kind, "holdout_share": share}
        for kind, group in (("nudged", nudged), ("held_back", held))
        for e in group
    ]
    for start in range(0, len(rows), 400):
        EnrollmentAction.insert_many(rows[start : start + 400]).execute()


def coverage(runs: int, share: float, effect: float, seed: int) -> dict[str, float]:
    """Share of runs (and of courses) whose interval covers -effect, and how often each verdict came."""
    from db.connection import database
    from services import accounts
    from services.tutoring.nudge_effect import nudges_across_courses

    rng = random.Random(seed)
    covered_overall = covered_courses = courses = 0
    verdicts: dict[str, int] = {}
    for run in range(runs):
        with database.atomic():
            tutor = accounts.register(
                f"tutor{run}", f"t{run}@example.org", "correct-horse-battery", "T", role="tutor"
            )
            for number in range(COURSES_PER_RUN):
                _course(run, number, share, effect, rng, tutor)
        report = nudges_across_courses(tutor)
        overall = report["overall"]
        covered_overall += overall["low"] <= -effect <= overall["high"]
        verdicts[overall["verdict"]] = verdicts.get(overall["verdict"], 0) + 1
        for row in report["courses"]:
            courses += 1
            covered_courses += row["low"] <= -effect <= row["high"]
    return {
        "overall": covered_overall / runs,
        "courses": covered_courses / courses,
        **{f"verdict_{name}": n / runs for name, n in sorted(verdicts.items())},
    }


def main(argv: list[str] | None = None) -> int:
    """Both checks; returns 1 unless both meet their targets."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--choices", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--effect", type=float, default=0.05)
    parser.add_argument("--share", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url")
    args = parser.parse_args(argv)
    from tests.benchmarks.postgres import fresh_app

    app = fresh_app("holdout", args.database_url)
    ok = True
    with app.app_context():
        for share, held in share_check(args.choices):
            within = abs(held - share) <= 0.03
            ok &= within
            print(f"share {share:.0%}: {held:.2%} held back of {args.choices:,}; within 3 points: {within}")
        started = time.perf_counter()
        found = coverage(args.runs, args.share, args.effect, args.seed)
    ok &= found["overall"] >= 0.9 and found["courses"] >= 0.9
    seconds = time.perf_counter() - started
    verdicts = ", ".join(f"{k[8:]} {v:.0%}" for k, v in found.items() if k.startswith("verdict_"))
    print(
        f"known effect -{args.effect:.0%} at a {args.share:.0%} holdout, {args.runs} runs of "
        f"{COURSES_PER_RUN} courses ({seconds:.0f} s): the interval covers it in {found['overall']:.1%} "
        f"of runs (overall) and {found['courses']:.1%} of courses; overall verdicts: {verdicts}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
