"""Level bands are settings; one value or many get the same answer."""

from __future__ import annotations

import numpy as np

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
