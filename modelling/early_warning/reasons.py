"""Why a learner is at risk, in words a tutor can read.

A feature's contribution is how much it moves the learner's log-odds of dropping out away from the
course's typical learner on the same day (the median of every feature over the course's enrollments):
- the spline logistic (additive in log-odds, Platt-scaled by an affine map): exact. The contribution
  of a feature is slope x (its term at the learner's value - its term at the course median), so the
  contributions add up to the learner's log-odds minus the log-odds at the course median;
- any other model that reads the features (gradient boosting): the change of the log-odds when that one
  feature is replaced by the course median (the replaced rows of every feature stacked into a few model
  calls). Correlated features share an effect this way (replacing one leaves its twins), so the sum is
  not the total difference;
- the ensemble: its log-odds are the mean of its members', so the change when one feature is replaced
  is the mean of the members' changes, each found its own way (exact for the spline logistic,
  where replacing a feature changes the log-odds by exactly its term's difference; zero for the
  sequence model, which reads no features; replaced rows for boosting). The same figures as replacing
  the feature in the whole ensemble, without calling every member on every replaced row;
- a model that reads only the daily counts (the sequence model): the checkpoint's spline logistic,
  refitted on the same courses, gives the reasons (the probability still comes from the winner).

The words come from the feature's value, the course median and the feature's description: a small
table of phrasings keyed by the kind of feature, the generic one for the rest. By default only the
factors that raise the risk are given; `lowering=True` adds those that lower it.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from modelling.activity_features import FEATURE_DESCRIPTIONS, FEATURE_NAMES
from modelling.early_warning.inputs import feature_part

TOP_FACTORS = 3
REPLACEMENT_METHOD = "one feature replaced by the course median"
ENSEMBLE_METHOD = f"{REPLACEMENT_METHOD}, the mean over the ensemble's members"
# Rows per model call when features are replaced by the course median (bounds the stacked frame's memory).
REPLACED_ROWS_PER_CALL = 200_000
# Phrasings: {value} and {median} as counts, {day} the days observed, {ratio} a log ratio in words.
GENERIC = "{description}: {value}; the course median is {median}"
PHRASES: dict[str, str] = {
    "days_since_last_active": "no activity in the last {value} days; the course median is {median}",
    "active_days": "active on {value} of {day} days; the course median is {median}",
    "last_week_active_days": "active on {value} of the last 7 days; the course median is {median}",
    "previous_week_active_days": "active on {value} of the 7 days before the last 7; the course median is "
    "{median}",
    "current_active_streak": "{value} active days in a row up to yesterday; the course median is {median}",
    "longest_idle_streak": "{value} days in a row without activity at most; the course median is {median}",
    "first_active_day": "first active on day {value} of the course; the course median is day {median}",
    "active_day_share": "active on {percent} of the days so far; the course median is {median_percent}",
    "week_trend": "events in the last 7 days {ratio} the 7 days before",
    "events_vs_course_median": "events so far {ratio} the course's typical learner",
    "last_week_events_vs_course_median": "events in the last 7 days {ratio} the course's typical learner",
    "active_days_vs_course_median": "{signed} active days compared with the course's typical learner",
}
# Where a learner or the course's median learner has not been active yet (the features then hold the
# day itself), "no activity in the last 7 days; the course median is 7" would hide what a tutor needs:
# who has not started, and that most of the course has not. Keyed by (feature, who has not started).
NOT_STARTED_PHRASES: dict[tuple[str, str], str] = {
    ("days_since_last_active", "learner"): (
        "not active yet in {day} days; the course median is {median} days without activity"
    ),
    ("days_since_last_active", "course"): (
        "no activity in the last {value} days; most of the course has not been active yet"
    ),
    ("first_active_day", "learner"): (
        "not active yet in {day} days; the course's typical learner was first active on day {median}"
    ),
    ("first_active_day", "course"): (
        "first active on day {value} of the course; most of the course has not been active yet"
    ),
}
# Duplicates of another feature under a second name: never a reason of their own.
SILENT = ("study_days",)
_RATIOS = (
    (0.1, "a tenth of"),
    (0.2, "a fifth of"),
    (0.25, "a quarter of"),
    (1 / 3, "a third of"),
    (0.5, "half of"),
    (2 / 3, "two thirds of"),
    (1.0, "about the same as"),
    (1.5, "one and a half times"),
    (2.0, "twice"),
    (3.0, "three times"),
    (5.0, "five times"),
    (10.0, "ten times"),
)


def reads_features(model: Any) -> bool:
    """Whether a model reads the activity features (the sequence model reads only daily counts)."""
    members = getattr(model, "members_", None)
    if members is not None:
        return any(reads_features(member) for _, member in members)
    return getattr(model, "reads_features", True)


def is_additive(model: Any) -> bool:
    """Whether a model is the Platt-scaled spline logistic (exact contributions)."""
    return hasattr(getattr(model, "estimator_", None), "terms")


def course_medians(X: pd.DataFrame) -> pd.Series:
    """The course's typical learner: the median of every feature over its enrollments."""
    return X[list(FEATURE_NAMES)].median()


def _at_median(X: pd.DataFrame, medians: pd.Series, names: list[str]) -> pd.DataFrame:
    baseline = X.copy()
    for name in names:
        baseline[name] = medians[name]
    return baseline


def _additive_terms(model: Any, X: pd.DataFrame, medians: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(the spline logistic's terms of every row, those of the course's typical learner): one pass over
    the spline bases, the typical learner appended as a last row."""
    spline = model.estimator_
    baseline = _at_median(X.iloc[:1], medians, spline.features_)
    terms = spline.terms(pd.concat([X, baseline]))
    return terms[:-1], terms[-1:]


def additive_contributions(model: Any, X: pd.DataFrame, medians: pd.Series) -> pd.DataFrame:
    """Exact contributions of the Platt-scaled spline logistic (sum = log-odds - log-odds at the median)."""
    terms, typical = _additive_terms(model, X, medians)
    return pd.DataFrame(model.slope_ * (terms - typical), columns=model.estimator_.features_, index=X.index)


def replacement_contributions(model: Any, X: pd.DataFrame, medians: pd.Series) -> pd.DataFrame:
    """Per feature, log-odds(learner) - log-odds(learner with that feature at the course median).

    A learner already at the median gets 0 without a model call; the other replaced rows of every
    feature are stacked and predicted in a few large calls, since a call's fixed cost (pipeline,
    calibration, data frame checks) outweighs its per-row cost on a course's rows."""
    own = _log_odds(model, X)
    names = [name for name in FEATURE_NAMES if X[name].notna().any() or pd.notna(medians[name])]
    out = pd.DataFrame(0.0, index=X.index, columns=names)
    pending: list[tuple[str, np.ndarray]] = []
    rows = 0
    for name in names:
        at_median = X[name].isna() if pd.isna(medians[name]) else X[name].eq(medians[name])
        changed = np.flatnonzero(~at_median.to_numpy())
        if changed.size:
            pending.append((name, changed))
            rows += changed.size
        if rows >= REPLACED_ROWS_PER_CALL:
            _fill_replaced(model, X, medians, own, pending, out)
            pending, rows = [], 0
    if pending:
        _fill_replaced(model, X, medians, own, pending, out)
    return out


def _fill_replaced(
    model: Any,
    X: pd.DataFrame,
    medians: pd.Series,
    own: np.ndarray,
    pending: list[tuple[str, np.ndarray]],
    out: pd.DataFrame,
) -> None:
    """One model call for the rows of `pending` with their feature at the median; writes into `out`."""
    parts = []
    for name, changed in pending:
        part = X.iloc[changed].copy()
        part[name] = medians[name]
        parts.append(part)
    replaced = _log_odds(model, pd.concat(parts))
    start = 0
    for name, changed in pending:
        out.iloc[changed, out.columns.get_loc(name)] = own[changed] - replaced[start : start + changed.size]
        start += changed.size


def _log_odds(model: Any, X: pd.DataFrame) -> np.ndarray:
    p = np.clip(model.predict_proba(X)[:, 1], 1e-9, 1 - 1e-9)
    return np.log(p / (1 - p))


def member_contributions(model: Any, X: pd.DataFrame, medians: pd.Series) -> pd.DataFrame:
    """An ensemble's replacement contributions as the mean of its members' (its log-odds are the mean
    of theirs): a member that reads no features adds nothing, an additive one its exact terms."""
    parts = [_own_contributions(member, X, medians) for _, member in model.members_]
    names = [name for name in FEATURE_NAMES if any(name in part.columns for part in parts)]
    total = sum(part.reindex(columns=names, fill_value=0.0) for part in parts)
    return total / len(parts)


def _own_contributions(model: Any, X: pd.DataFrame, medians: pd.Series) -> pd.DataFrame:
    if is_additive(model):
        return additive_contributions(model, X, medians)
    if not reads_features(model):
        return pd.DataFrame(index=X.index)
    # A member that reads features reads only them: the replaced rows need not carry the daily counts.
    return replacement_contributions(model, feature_part(X), medians)


def contributions(model: Any, X: pd.DataFrame, explainer: Any = None) -> tuple[pd.DataFrame, str]:
    """(contributions in log-odds, per row and feature; the method used) for one course's rows."""
    medians = course_medians(X)
    if is_additive(model):
        return additive_contributions(model, X, medians), "exact (additive spline logistic)"
    if getattr(model, "members_", None) is not None and reads_features(model):
        return member_contributions(model, X, medians), ENSEMBLE_METHOD
    if reads_features(model):
        # As for an ensemble's member: the features are all it reads.
        return replacement_contributions(model, feature_part(X), medians), REPLACEMENT_METHOD
    if explainer is None:
        raise ValueError("A model that reads no features needs the checkpoint's additive explainer.")
    return additive_contributions(explainer, X, medians), "the checkpoint's additive spline logistic"


def scored_contributions(
    model: Any, X: pd.DataFrame, explainer: Any = None
) -> tuple[np.ndarray, pd.DataFrame, str]:
    """(probabilities of dropping out, contributions, method) for one course's rows: `predict_proba`
    and `contributions` together, the additive model's spline bases computed once for both."""
    if not is_additive(model):
        return model.predict_proba(X)[:, 1], *contributions(model, X, explainer)
    terms, typical = _additive_terms(model, X, course_medians(X))
    spline = model.estimator_
    # PlattCalibrated.decision_function over SplineLogistic.decision_function, from the same terms.
    log_odds = model.slope_ * (terms.sum(axis=1) + spline.intercept_) + model.intercept_
    contrib = pd.DataFrame(model.slope_ * (terms - typical), columns=spline.features_, index=X.index)
    return expit(log_odds), contrib, "exact (additive spline logistic)"


def _count(value: float) -> str:
    return "unknown" if math.isnan(value) else f"{value:.0f}" if value.is_integer() else f"{value:.1f}"


def ratio_words(log_ratio: float) -> str:
    """A ratio given as its natural log, in words ("a fifth of", "twice")."""
    ratio = float(np.exp(log_ratio))
    if ratio < 0.07:
        return "less than a tenth of"
    return min(_RATIOS, key=lambda pair: abs(np.log(pair[0]) - np.log(ratio)))[1]


def phrase(name: str, value: float, median: float, day: int) -> str:
    """One feature of one learner in words, against the course median."""
    return _phrase(name, float(value), float(median), int(day))


@lru_cache(maxsize=1 << 16)  # counts repeat: most learners of a course share their phrases
def _phrase(name: str, value: float, median: float, day: int) -> str:
    template = _template(name, value, median, day)
    known, median_known = not math.isnan(value), not math.isnan(median)
    fields = {
        # Lower case like every other phrase: reasons are read joined ("…; …") in lists and digests.
        "description": lambda: FEATURE_DESCRIPTIONS[name],
        "value": lambda: _count(value),
        "median": lambda: _count(median),
        "day": lambda: day,
        # Only a log-ratio feature's value is a log ratio (a count's exp would overflow).
        "ratio": lambda: ratio_words(value) if known else "unknown against",
        "percent": lambda: f"{value:.0%}" if known else "unknown",
        "median_percent": lambda: f"{median:.0%}" if median_known else "unknown",
        "signed": lambda: f"{value:+.0f}" if known else "unknown",
    }
    # Only the fields the template names are worked out.
    return template.format(**{key: make() for key, make in fields.items() if "{" + key in template})


def _template(name: str, value: float, median: float, day: int) -> str:
    """The phrasing of a feature, the not-started one when the learner or the median learner has not
    been active yet (only the features that hold the day for "never" have one)."""
    not_started = "learner" if value >= day else "course" if median >= day else None
    return NOT_STARTED_PHRASES.get((name, not_started), PHRASES.get(name, GENERIC))


def top_factors(
    contrib: pd.DataFrame, X: pd.DataFrame, day: int, k: int = TOP_FACTORS, lowering: bool = False
) -> list[list[dict[str, Any]]]:
    """Per row, up to k factors (feature, contribution, direction, text), the strongest first."""
    medians = course_medians(X).to_dict()  # a dict: a Series lookup per factor costs more than the words
    spoken = contrib.drop(columns=[name for name in SILENT if name in contrib.columns])
    values = spoken.to_numpy(dtype=float)
    order = np.argsort(-np.abs(values) if lowering else -values, axis=1)[:, : k * 2]
    names = spoken.columns.to_numpy()
    # Plain arrays: indexing a frame's column per learner costs more than the phrasing.
    columns = {name: X[name].to_numpy() for name in names if name in X.columns}
    out = []
    for row, ranked in enumerate(order):
        factors = []
        for j in ranked:
            amount = values[row, j]
            if len(factors) == k or (not lowering and amount <= 0) or amount == 0:
                break
            name = names[j]
            factors.append(
                {
                    "feature": name,
                    "contribution": round(float(amount), 4),
                    "direction": "raises" if amount > 0 else "lowers",
                    "text": phrase(name, columns[name][row], medians[name], day),
                }
            )
        out.append(factors)
    return out
