"""A small course whose outcomes report can be worked out by hand (shared by the API and browser tests).

Eleven enrollments `<code>-L0..L10`: L0-L3 dropped out, L4-L9 stayed, L10 has no outcome yet.
Model v1 scored checkpoint 7 on days 7 and 10; model v2 scored checkpoint 14 on day 14. High at:
  day 7 (v1, ignored by the checkpoint figures: day 10 is checkpoint 7's latest): L0 L5 L6 L7 L8
  day 10 (v1): L0 L1 L4
  day 14 (v2): L0 L1 L2 L5 L10
Actions (created_at decides "at or after the flag"; each enrollment's first High is its flag):
  contacted: L0 after its flag, L2 before its flag (day 14), L4 after, L5 exactly at its flag,
  L9 (never flagged), L10 after; acknowledged: L6 (not a contact);
  feedback: v1 not_useful L4, L7, L9 (L9 not flagged by v1), v1 incorrectly_flagged L7,
  v2 incorrectly_flagged L5, L6 (L6 not flagged by v2), v2 useful L0 (not counted).

Nudges (the holdout share of their send in brackets): at day 7, with 0.5: nudged L0 L1 L4 L5 L10, held
back L2 L6 L7; with the holdout off (0): nudged L3 L8 (not randomised: left out); at day 14, with 0.5:
nudged L2, held back L0 (each learner counts in the group of their first randomised decision).

Worked out by hand (see EXPECTED): checkpoint 7 at day 10: 10 with outcomes, 4 dropped out,
3 flagged of whom 2 dropped out: precision 2/3, recall 2/4, base rate 4/10, lift (2/3)/(4/10) = 5/3.
Checkpoint 14 at day 14: flagged with outcomes L0 L1 L2 L5, 3 dropped out: precision 3/4, recall 3/4,
base rate 4/10, lift 15/8. Share flagged, of the 11 scored: 3/11 at day 10, 5/11 at day 14.
Ever flagged: L0 L1 L2 L4 L5 L6 L7 L8 L10 (9); contacted at or after the
flag: L0 (dropped), L4, L5 (stayed), L10 (unknown): 3 known, 1 dropped; not contacted: L1, L2 (dropped),
L6, L7, L8 (stayed): 5, 2 dropped. v1 flagged L0 L1 L4 L5 L6 L7 L8 (7 learners, 8 High predictions),
marked: L4, L7 (2/7; not_useful 2, incorrectly_flagged 1); v2 flagged 5 in 5 predictions, marked L5 (1/5).
Nudged: L0 L1 (dropped) L4 L5 (stayed), L10 (unknown): 4 known, 2 dropped; held back: L2 (dropped), L6 L7
(stayed): 3, 1 dropped; difference 1/2 - 1/3 = 1/6, far too few learners to tell.
"""

from __future__ import annotations

from datetime import datetime, timedelta

DROPPED = (0, 1, 2, 3)
UNKNOWN = (10,)
HIGH = {(7, 7): (0, 5, 6, 7, 8), (7, 10): (0, 1, 4), (14, 14): (0, 1, 2, 5, 10)}
SCORED_AT = {7: datetime(2024, 3, 11, 6), 10: datetime(2024, 3, 14, 6), 14: datetime(2024, 3, 18, 6)}
LATER = timedelta(hours=1)
EXPECTED = {
    "checkpoints": [
        {
            "checkpoint": 7,
            "day": 10,
            "scored": 11,
            "with_outcomes": 10,
            "dropped_out": 4,
            "flagged": 3,
            "flagged_share": 3 / 11,
            "flagged_dropped_out": 2,
            "precision": 2 / 3,
            "recall": 0.5,
            "base_rate": 0.4,
            "lift": 5 / 3,
        },
        {
            "checkpoint": 14,
            "day": 14,
            "scored": 11,
            "with_outcomes": 10,
            "dropped_out": 4,
            "flagged": 4,
            "flagged_share": 5 / 11,
            "flagged_dropped_out": 3,
            "precision": 0.75,
            "recall": 0.75,
            "base_rate": 0.4,
            "lift": 1.875,
        },
    ],
    "contacts": {
        "flagged": 9,
        "contacted": {
            "learners": 3,
            "dropped_out": 1,
            "stayed": 2,
            "dropout_rate": 1 / 3,
            "unknown_outcome": 1,
        },
        "not_contacted": {
            "learners": 5,
            "dropped_out": 2,
            "stayed": 3,
            "dropout_rate": 0.4,
            "unknown_outcome": 0,
        },
    },
    "model_versions": [
        {"flag_predictions": 8, "flags": 7, "not_useful": 2, "incorrectly_flagged": 1, "marked": 2},
        {"flag_predictions": 5, "flags": 5, "not_useful": 0, "incorrectly_flagged": 1, "marked": 1},
    ],
    "marked_share": [2 / 7, 1 / 5],
    "nudged": {"learners": 4, "dropped_out": 2, "stayed": 2, "dropout_rate": 0.5, "unknown_outcome": 1},
    "held_back": {"learners": 3, "dropped_out": 1, "stayed": 2, "dropout_rate": 1 / 3, "unknown_outcome": 0},
}
NUDGES = [
    (SCORED_AT[7] + LATER, 0.5, "nudged", (0, 1, 4, 5, 10)),
    (SCORED_AT[7] + LATER, 0.5, "held_back", (2, 6, 7)),
    (SCORED_AT[7] + LATER, 0.0, "nudged", (3, 8)),
    (SCORED_AT[14] + LATER, 0.5, "nudged", (2,)),
    (SCORED_AT[14] + LATER, 0.5, "held_back", (0,)),
]


def outcomes_course(app, code: str = "OUT-1"):
    """Build the course above with two early-warning versions; returns (course code, (v1, v2))."""
    import numpy as np

    from db.courses import Enrollment
    from db.early_warning import EnrollmentPrediction
    from db.tutoring import EnrollmentAction
    from tests.helpers import early_warning_version, store_course

    versions = (early_warning_version(app), early_warning_version(app))
    with app.app_context():
        course = store_course(code, np.zeros((11, 30, 7), dtype=int))
        ids = {int(ref.rsplit("L", 1)[1]): id_ for id_, ref in Enrollment.of_course(course)}
        for e, id_ in ids.items():
            dropped = None if e in UNKNOWN else e in DROPPED
            Enrollment.update(dropped_out=dropped).where(Enrollment.id == id_).execute()
        rows = []
        for (checkpoint, day), high in HIGH.items():
            version = versions[0] if checkpoint == 7 else versions[1]
            for e, id_ in ids.items():
                rows.append(
                    {
                        "enrollment": id_,
                        "course": course.id,
                        "day": day,
                        "checkpoint": checkpoint,
                        "probability": 0.9 if e in high else 0.2,
                        "risk_level": "High" if e in high else "Low",
                        "top_factors": [],
                        "model_version": version.id,
                        "run": None,
                        "created_at": SCORED_AT[day],
                    }
                )
        EnrollmentPrediction.upsert_many(rows)
        actions = [
            (0, "contacted", None, SCORED_AT[10] + LATER),
            (2, "contacted", None, SCORED_AT[10] + LATER),
            (4, "contacted", None, SCORED_AT[10] + LATER),
            (5, "contacted", None, SCORED_AT[7]),
            (9, "contacted", None, SCORED_AT[7]),
            (10, "contacted", None, SCORED_AT[14] + LATER),
            (6, "acknowledged", None, SCORED_AT[7] + LATER),
            (4, "not_useful", versions[0], SCORED_AT[10] + LATER),
            (7, "not_useful", versions[0], SCORED_AT[10] + LATER),
            (9, "not_useful", versions[0], SCORED_AT[10] + LATER),
            (7, "incorrectly_flagged", versions[0], SCORED_AT[10] + LATER),
            (5, "incorrectly_flagged", versions[1], SCORED_AT[14] + LATER),
            (6, "incorrectly_flagged", versions[1], SCORED_AT[14] + LATER),
            (0, "useful", versions[1], SCORED_AT[14] + LATER),
        ]
        for e, kind, version, when in actions:
            EnrollmentAction.create(
                enrollment=ids[e],
                course=course.id,
                kind=kind,
                model_version=version.id if version else None,
                created_at=when,
            )
        for when, share, kind, learners in NUDGES:
            for e in learners:
                EnrollmentAction.create(
                    enrollment=ids[e], course=course.id, kind=kind, holdout_share=share, created_at=when
                )
    return code, versions
