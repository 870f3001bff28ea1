"""The early-warning task: the probability that a learner drops out, from the course's daily activity
as of a checkpoint day, with levels relative to the course. It is trained and served by its own module
(`modelling.early_warning`)."""

from __future__ import annotations

from typing import Any

from modelling.activity_features import FEATURE_NAMES
from modelling.levels import RISK_LEVELS, CourseShares
from modelling.outcomes import Probability
from modelling.tasks.task import CoursePart, Metric, Task


def _candidate(name: str, seed: int) -> Any:
    from modelling.early_warning import candidates  # scikit-learn (and Keras) only when training

    return candidates.build(name, seed)


EARLY_WARNING = Task(
    name="early-warning",
    outcome=Probability(),
    label="Early warning",
    short_label="Early warning",
    value_label="Predicted dropout probability",
    value_name="probability",
    level_name="risk_level",
    level_label="Risk level",
    bands_setting="EARLY_WARNING_LEVEL_SHARES",
    default_bands=RISK_LEVELS,  # the fixed cut-offs it is compared with, and the levels' colours
    primary_metric="roc_auc",
    higher_is_better=True,
    metrics=(
        Metric("roc_auc", "ROC AUC", True, headline=True),
        Metric("pr_auc", "PR AUC", True),
        Metric("brier", "Brier score", False, headline=True),
        Metric("ece", "Calibration error (ECE)", False, headline=True),
        # The High level relative to the course: its precision only means something beside the course's
        # base rate, so the lift (precision over base rate) and the share flagged come with it.
        Metric("flagged_precision", "Precision of High", True),
        Metric("base_rate", "Base rate", None),
        Metric("lift", "Lift of High", True),
        Metric("flagged_share", "Share at High", None),
        Metric("flagged_recall", "Recall of High", True),
    ),
    candidates=("spline_logistic", "gradient_boosting", "keras_sequence", "ensemble"),
    build=_candidate,
    better=-1.0,
    outcome_word="risk",
    explain_text="Reasons compare the learner with the course's typical learner on the same day.",
    target_label="Dropped out (1 = yes)",
    actual_label="Actual outcome",
    concern=(0, 1),
    event_groups=("Dropped out", "Stayed"),
    value_text="Probability of dropping out of the course, from the activity so far.",
    # Optional columns of the learners' contact file (the Data page's contacts import).
    group_attributes=(("gender", "Gender"), ("age_band", "Age band"), ("disability", "Disability")),
    course=CoursePart(
        inputs=FEATURE_NAMES,
        checkpoints=(7, 14, 21, 30),
        course_days=30,
        selection_tolerance=0.005,
        relative_levels=CourseShares(),
    ),
)
