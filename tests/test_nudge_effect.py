"""Whether nudging helps: the interval of the difference between two dropout rates (Newcombe's, checked
against the published worked examples), the comparison over several courses that does not let a
difference between courses pass for an effect, the verdicts at their thresholds, and the report across
courses over the API with who may read what."""

from __future__ import annotations

import numpy as np
import pytest

from modelling.difference import Arm, mantel_haenszel, newcombe
from services.tutoring.nudge_effect import MIN_PER_GROUP, NUDGES, verdict
from tests.helpers import assert_error, store_course


def test_the_interval_is_newcombes_hybrid_score_interval():
    # Newcombe (1998), Statistics in Medicine 17, table II, method 10.
    found = newcombe(Arm(70, 56), Arm(80, 48))
    assert (found.difference, found.low, found.high) == pytest.approx((0.2, 0.0524, 0.3339), abs=5e-5)
    found = newcombe(Arm(10, 9), Arm(10, 3))
    assert (found.low, found.high) == pytest.approx((0.1705, 0.8090), abs=5e-5)
    found = newcombe(Arm(10, 10), Arm(10, 0))  # rates of 1 and 0: the interval stays within -1..1
    assert found.difference == 1 and found.low > 0.6 and found.high == 1
    assert newcombe(Arm(0, 0), Arm(5, 2)) is None


def test_courses_are_compared_within_themselves_so_a_difference_between_courses_is_no_effect():
    # No effect in either course, but the course that drops out more was nudged with a larger share:
    # adding the groups up would show nudged learners dropping out 39 points more.
    strata = [(Arm(100, 90), Arm(10, 9)), (Arm(100, 10), Arm(900, 90))]
    naive = newcombe(Arm(200, 100), Arm(910, 99))
    assert naive.low > 0.3
    found = mantel_haenszel(strata)
    assert found.difference == pytest.approx(0, abs=1e-12) and found.low < 0 < found.high
    assert mantel_haenszel([(Arm(5, 1), Arm(0, 0))]) is None
    one = mantel_haenszel([(Arm(70, 56), Arm(80, 48))])  # one course: the plain difference
    assert one.difference == pytest.approx(0.2)


@pytest.mark.parametrize(
    ("nudged", "held_back", "expected", "words"),
    [
        (Arm(2000, 1400), Arm(2000, 1600), "lower", "Nudged learners dropped out less: 10.0 points fewer"),
        (Arm(2000, 1600), Arm(2000, 1400), "higher", "Nudged learners dropped out more: 10.0 points more"),
        (Arm(2000, 1400), Arm(2000, 1410), "no_difference", "No difference shown"),
        (
            Arm(2000, 1400),
            Arm(MIN_PER_GROUP - 1, 29),
            "too_few",
            "Too few learners to tell: 2,000 against 29",
        ),
        (Arm(40, 20), Arm(40, 30), "too_few", "Too few learners to tell"),  # 30+ each, interval too wide
        (Arm(3, 1), Arm(0, 0), "none", "No outcomes are known yet"),
    ],
)
def test_the_verdict_says_plainly_what_the_numbers_can_tell(nudged, held_back, expected, words):
    kind, says = verdict(nudged, held_back, newcombe(nudged, held_back), NUDGES)
    assert kind == expected and says.startswith(words)


def _course_with_nudges(code: str, nudged: tuple[int, int], held: tuple[int, int], share: float = 0.1):
    """A course whose learners were nudged or held back: (learners, dropped out) per group."""
    from db.courses import Enrollment
    from db.tutoring import EnrollmentAction

    total = nudged[0] + held[0]
    course = store_course(code, np.zeros((total, 30, 7), dtype=int))
    ids = [id_ for id_, _ref in sorted(Enrollment.of_course(course), key=lambda row: row[0])]
    plan = [("nudged", i < nudged[1]) for i in range(nudged[0])] + [
        ("held_back", i < held[1]) for i in range(held[0])
    ]
    for id_, (kind, dropped) in zip(ids, plan, strict=True):
        Enrollment.update(dropped_out=dropped).where(Enrollment.id == id_).execute()
        EnrollmentAction.create(enrollment=id_, course=course.id, kind=kind, holdout_share=share)
    return course


def test_the_report_across_courses_shows_each_course_and_all_together(app, client, make_user, bearer):
    from db.tutoring import CourseTutor

    tutor = make_user("tutor")
    with app.app_context():
        mine = _course_with_nudges("NE-A", nudged=(300, 150), held=(150, 120))
        _course_with_nudges("NE-B", nudged=(30, 27), held=(10, 9))
        _course_with_nudges("NE-OFF", nudged=(20, 10), held=(0, 0), share=0.0)  # holdout off: left out
        CourseTutor.create(course=mine.id, user=tutor.id)

    report = client.get("/api/v1/outcomes/nudges", headers=bearer(make_user("admin"))).json
    assert [row["course"] for row in report["courses"]] == ["NE-A", "NE-B"]
    first = report["courses"][0]
    assert first["nudged"]["dropout_rate"] == 0.5 and first["held_back"]["dropout_rate"] == 0.8
    assert first["difference"] == pytest.approx(-0.3) and first["verdict"] == "lower"
    assert first["says"].startswith("Nudged learners dropped out less: 30.0 points fewer")
    overall = report["overall"]
    assert overall["nudged"]["learners"] == 330 and overall["held_back"]["learners"] == 160
    weights = (300 * 150 / 450, 30 * 10 / 40)
    expected = (weights[0] * -0.3 + weights[1] * 0.0) / sum(weights)
    assert overall["difference"] == pytest.approx(expected)

    theirs = client.get("/api/v1/outcomes/nudges", headers=bearer(tutor)).json
    assert [row["course"] for row in theirs["courses"]] == ["NE-A"]
    assert theirs["overall"]["difference"] == pytest.approx(-0.3)
    assert_error(
        client.get("/api/v1/outcomes/nudges", headers=bearer(make_user("student"))), 403, "forbidden"
    )
