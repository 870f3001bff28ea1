"""Level bands are settings; one value or many get the same answer."""

from __future__ import annotations

import numpy as np
import pytest

from modelling.levels import EXAM_LEVELS, RISK_LEVELS, level_for, level_names, levels_for


def test_bands_of_the_spec():
    assert [level_for(v, EXAM_LEVELS) for v in (95, 90, 89.9, 75, 70, 65, 64.9, 50, 49.9, 0)] == [
        "Excellent",
        "Excellent",
        "Very good",
        "Very good",
        "Average",
        "Average",
        "Needs improvement",
        "Needs improvement",
        "At risk",
        "At risk",
    ]
    assert [level_for(p, RISK_LEVELS) for p in (0.9, 0.7, 0.69, 0.4, 0.39, 0.0)] == [
        "High",
        "High",
        "Medium",
        "Medium",
        "Low",
        "Low",
    ]
    assert level_names(RISK_LEVELS) == ["High", "Medium", "Low"]


def test_many_values_match_one_by_one():
    values = np.random.default_rng(0).uniform(-5, 105, 5000)
    assert list(levels_for(values, EXAM_LEVELS)) == [level_for(v, EXAM_LEVELS) for v in values]
    custom = [("Alert", 0.5), ("Fine", 0.0)]
    assert list(levels_for(np.array([0.2, 0.5, 0.8]), custom)) == ["Fine", "Alert", "Alert"]


# --- Levels relative to the course (early warning) ----------------------------------------------


def _relative(values, shares=(0.2, 0.3)) -> list[str]:
    from modelling.levels import CourseShares

    return list(CourseShares(*shares).assign(np.array(values, dtype=float)))


def test_a_course_is_levelled_by_shares_of_its_enrollments_not_by_a_fixed_cut_off():
    # A MOOC-like course: everyone above the fixed High cut-off of 0.7, yet only the riskiest fifth is High.
    probabilities = np.linspace(0.71, 0.99, 100)
    levels = _relative(probabilities)
    assert levels.count("High") == 20 and levels.count("Medium") == 30 and levels.count("Low") == 50
    assert set(levels[80:]) == {"High"} and set(levels[50:80]) == {"Medium"} and set(levels[:50]) == {"Low"}
    assert all(level == "High" for level in levels_for(probabilities, RISK_LEVELS))  # what it replaces


def test_equal_probabilities_share_a_level_and_a_tie_at_the_boundary_goes_down_whole():
    # 10 learners: High holds 2. The riskiest (0.9) fits; the tied pair at 0.8 would make 3, so both go
    # to Medium (High, Medium together hold 5: 1 + 2 fit); the three at 0.5 would make 6: all Low.
    values = [0.9, 0.8, 0.8, 0.5, 0.5, 0.5, 0.4, 0.3, 0.2, 0.1]
    assert _relative(values) == ["High", "Medium", "Medium"] + ["Low"] * 7
    # The same course in another order gets the same level per learner.
    shuffled = [0.5, 0.1, 0.8, 0.3, 0.9, 0.5, 0.2, 0.8, 0.5, 0.4]
    assert _relative(shuffled) == [dict(zip(values, _relative(values), strict=False))[v] for v in shuffled]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], []),
        ([0.9], ["Low"]),
        ([0.9, 0.1], ["Medium", "Low"]),
        ([0.9, 0.5, 0.1], ["Medium", "Low", "Low"]),
        ([0.9, 0.5, 0.3, 0.1], ["Medium", "Medium", "Low", "Low"]),
        ([0.9, 0.5, 0.3, 0.2, 0.1], ["High", "Medium", "Low", "Low", "Low"]),
    ],
)
def test_tiny_courses_of_one_to_five_enrollments(values, expected):
    # A fifth of fewer than five learners is less than one learner: no High before five enrollments.
    assert _relative(values) == expected


@pytest.mark.parametrize("n", [1, 2, 5, 40, 1000])
def test_a_course_where_every_learner_has_the_same_probability_is_not_all_high(n):
    assert set(_relative([0.93] * n)) == {"Low"}
    assert set(_relative([0.93] * n, (0.6, 0.35))) == {"Low"}  # whatever the shares


@pytest.mark.parametrize(
    ("shares", "message"),
    [
        ((0.0, 0.3), "above 0 and below 1"),
        ((0.2, 1.0), "above 0 and below 1"),
        ((-0.1, 0.3), "above 0 and below 1"),
        ((0.6, 0.5), "add up to 1.1"),
        (("a", 0.3), "two numbers"),
        ((0.2,), "two numbers"),
    ],
)
def test_level_shares_are_validated(shares, message):
    from modelling.levels import check_shares

    with pytest.raises(ValueError, match=message):
        check_shares(shares)
    assert check_shares(("0.1", "0.9")) == (0.1, 0.9)


def test_early_warning_declares_levels_relative_to_the_course_and_the_forms_keep_their_bands():
    from modelling.levels import CourseShares, FixedBands
    from modelling.tasks import DROPOUT, EARLY_WARNING, EXAM

    config = {"RISK_LEVELS": RISK_LEVELS, "EXAM_LEVELS": EXAM_LEVELS}
    config["EARLY_WARNING_LEVEL_SHARES"] = (0.1, 0.2)
    assert EARLY_WARNING.levels(config) == CourseShares(0.1, 0.2)
    assert EARLY_WARNING.levels(config, [0.3, 0.3]) == CourseShares(0.3, 0.3)  # a course's own first
    assert EARLY_WARNING.levels({}) == CourseShares(0.2, 0.3)
    assert DROPOUT.levels(config) == FixedBands(RISK_LEVELS)
    assert EXAM.levels(config) == FixedBands(EXAM_LEVELS)
    assert list(DROPOUT.levels(config).assign(np.array([0.95, 0.5]))) == ["High", "Medium"]
