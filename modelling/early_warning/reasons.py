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

The words come from the feature's value and the course median (reason_words.py): the reasons for the
risk are the factors with a positive contribution whose value is on the risky side of the median, those
in the learner's favour the ones with a negative contribution on the better side; a learner with no
reason for the risk gets their recent activity instead, so every scored enrollment has a line.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from modelling.activity_features import FEATURE_NAMES
from modelling.early_warning import reason_words as words
from modelling.early_warning.inputs import feature_part

TOP_FACTORS = 3
# A factor moving the log-odds less than this does not stand out (and would round to 0 when stored).
MIN_CONTRIBUTION = 0.001
RECENT_DAYS = 14  # the fallback line's window: "active on 3 of the last 14 days"
REPLACEMENT_METHOD = "one feature replaced by the course median"
ENSEMBLE_METHOD = f"{REPLACEMENT_METHOD}, the mean over the ensemble's members"
# Rows per model call when features are replaced by the course median (bounds the stacked frame's memory).
REPLACED_ROWS_PER_CALL = 200_000


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


def top_factors(contrib: pd.DataFrame, X: pd.DataFrame, day: int, k: int = TOP_FACTORS) -> list[list[dict]]:
    """Per row, up to k factors that raise the risk (feature, contribution, direction, text), the strongest
    first; a row where none stands out gets one truthful line instead: its recent activity."""
    picked = _factors(contrib, X, day, k, sign=1)
    return [row or [fallback] for row, fallback in zip(picked, recent_activity(X, day), strict=True)]


def favour_factors(
    contrib: pd.DataFrame, X: pd.DataFrame, day: int, k: int = TOP_FACTORS
) -> list[list[dict]]:
    """Per row, up to k factors in the learner's favour (they lower the risk), the strongest first."""
    return _factors(contrib, X, day, k, sign=-1)


def recent_activity(X: pd.DataFrame, day: int) -> list[dict[str, Any]]:
    """Per row, the learner's active days in the last two weeks (fewer days early on) as a factor."""
    days = min(RECENT_DAYS, day)
    active = (X["last_week_active_days"] + X["previous_week_active_days"]).to_numpy(dtype=float)
    typical = float(np.median(active)) if len(active) else math.nan
    never = (X["first_active_day"] >= day).to_numpy()
    return [
        {
            "feature": "recent_activity",
            "contribution": None,
            "direction": "summary",
            "text": words.recent_activity(count, days, bool(not_started), typical),
        }
        for count, not_started in zip(active, never, strict=True)
    ]


def _factors(contrib: pd.DataFrame, X: pd.DataFrame, day: int, k: int, sign: int) -> list[list[dict]]:
    """Per row, up to k factors whose contribution has `sign` and whose value is on that side of the
    course median (+1: the risky side), one per topic and never the same words twice."""
    medians = course_medians(X).to_dict()  # a dict: a Series lookup per factor costs more than the words
    names = [name for name in contrib.columns if words.spoken(words.SPOKEN_AS.get(name, name), day)]
    values = sign * contrib[names].to_numpy(dtype=float)
    order = np.argsort(-values, axis=1)
    # Plain arrays: indexing a frame's column per learner costs more than the phrasing.
    columns = {name: X[name].to_numpy(dtype=float) for name in FEATURE_NAMES if name in X.columns}
    direction = "raises" if sign > 0 else "lowers"
    out = []
    for row, ranked in enumerate(order):
        factors: list[dict[str, Any]] = []
        said_before: set[str] = set()
        for j in ranked:
            amount = values[row, j]
            if len(factors) == k or not amount >= MIN_CONTRIBUTION:
                break
            name = names[j]
            said = words.SPOKEN_AS.get(name, name)
            value, median = columns[said][row], medians[said]
            if words.side(said, value, median) != sign or words.topic(said) in said_before:
                continue
            others = tuple(columns[other][row] for other in words.READS.get(said, ()))
            text = words.phrase(said, value, median, day, others)
            if text.split(";")[0] in said_before:
                continue
            said_before |= {words.topic(said), text.split(";")[0]}
            factors.append(
                {
                    "feature": name,
                    "contribution": round(float(sign * amount), 4),
                    "direction": direction,
                    "text": text,
                }
            )
        out.append(factors)
    return out
