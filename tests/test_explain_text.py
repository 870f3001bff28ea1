"""Explanations read as a person would write them."""

from __future__ import annotations

from modelling.explain import Explanation, top_factors
from modelling.tasks.dropout import SCHEMA as DROPOUT


def test_one_of_a_plural_unit_reads_singular():
    explanation = Explanation(base=0.0, value=0.9, contributions={"video": 0.6, "study_days": 0.3})
    sentences = top_factors(DROPOUT, {"video": 1, "study_days": 2}, explanation, outcome="risk")
    assert sentences[0] == "Video events (1 event) raised the dropout risk."
    assert "(2 days)" in sentences[1] or "(2)" in sentences[1], sentences[1]
