"""Measure aggregate figures on the real daily course activity to calibrate the course generator.

Only aggregates are computed: rates, shares, quantiles and the parameters of a small model of
daily activity (a two-state Markov chain by label and week, shifted on the logit scale by each
learner's engagement, fitted by maximum likelihood). No row of the real data is written out.

    python -m modelling.calibrate_courses --data-dir DATA/kddcup2015_daily
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit, log_expit, logsumexp

from modelling.calibrate import DIGITS, to_json
from modelling.event_types import EVENT_TYPES
from modelling.synthetic_courses import type_tilt

# The daily data's folder: --data-dir, or SSA_REAL_DATA_DIR.
DATA_DIR = Path(os.environ.get("SSA_REAL_DATA_DIR") or "/nonexistent-real-data") / "kddcup2015_daily"
DEFAULT_OUT = Path(__file__).resolve().with_name("course_calibration.json")
COURSE_DAYS = 30
WEEK_DAYS = 7
WEEKS = (COURSE_DAYS - 2) // WEEK_DAYS + 1  # weeks of the transitions day t -> t+1, t = 0..28
LABELS = {"stayer": 0, "dropout": 1}
QUADRATURE_NODES = 24
MIN_EVENTS_FOR_MIX = 20  # days with fewer events say more about multinomial noise than about the mix
STREAK_QUANTILES = (0.25, 0.5, 0.75, 0.9)
# lower bounds of the day-size bands (events that day): small days are mostly navigation, big ones problems
DAY_SIZE_BANDS = (1, 2, 3, 5, 9, 17, 33, 65)
TILT_DRAWS = 20_000  # simulated (course, learner) tilts when solving the untilted shares
TILT_ROUNDS = 50
TYPE_COLUMNS = [f"event_{name}" for name in EVENT_TYPES]


def _round(values: Any) -> Any:
    """Round floats (or arrays of floats) for a compact JSON file."""
    return np.round(np.asarray(values, dtype=float), DIGITS).tolist()


def course_files(data_dir: Path) -> list[Path]:
    """The per-course files of the daily data set; FileNotFoundError when there are none."""
    files = sorted(Path(data_dir).glob("course_*.csv"))
    if not files or not (Path(data_dir) / "truth.csv").is_file():
        raise FileNotFoundError(f"no course_*.csv and truth.csv in {data_dir}")
    return files


def load_daily(data_dir: Path | str) -> tuple[pd.DataFrame, np.ndarray]:
    """Enrollment rows (course, enrollment_id, label) and their counts as an array [enrollment, day, type]."""
    frames = []
    for path in course_files(Path(data_dir)):
        frame = pd.read_csv(path, dtype={"enrollment_id": str})
        frame["course"] = path.stem.removeprefix("course_")
        frames.append(frame)
    daily = pd.concat(frames, ignore_index=True).sort_values(
        ["course", "enrollment_id", "time"], kind="stable"
    )
    sizes = daily.groupby(["course", "enrollment_id"], sort=False).size()
    if not (sizes == COURSE_DAYS).all():
        raise ValueError(f"every enrollment must have exactly {COURSE_DAYS} daily rows")
    truth = pd.read_csv(Path(data_dir) / "truth.csv", dtype={"enrollment_id": str})
    enrollments = sizes.reset_index()[["course", "enrollment_id"]]
    enrollments = enrollments.merge(truth, on="enrollment_id", how="left", validate="one_to_one")
    if enrollments["label"].isna().any():
        raise ValueError("truth.csv lacks the label of some enrollments")
    counts = daily[TYPE_COLUMNS].to_numpy(dtype=np.int64).reshape(len(enrollments), COURSE_DAYS, -1)
    return enrollments.astype({"label": int}), counts


def transition_counts(active: np.ndarray) -> np.ndarray:
    """Per enrollment, transitions from its first active day on: [enrollment, week, from, to]."""
    first = active.argmax(axis=1)
    out = np.zeros((len(active), WEEKS, 2, 2), dtype=np.int64)
    rows = np.arange(len(active))
    for day in range(COURSE_DAYS - 1):
        started = day >= first
        before, after = active[:, day].astype(int), active[:, day + 1].astype(int)
        np.add.at(out, (rows[started], day // WEEK_DAYS, before[started], after[started]), 1)
    return out


def _node_log_likelihood(params: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """Log-likelihood [row, node] of each row of transition counts at each Gauss-Hermite engagement node."""
    nodes, node_weights = np.polynomial.hermite_e.hermegauss(QUADRATURE_NODES)
    stay, become, scale_active, scale_idle = params[:WEEKS], params[WEEKS : 2 * WEEKS], params[-2], params[-1]
    # logits [node, week] of being active tomorrow, given active / idle today
    logit_active = stay[None, :] + scale_active * nodes[:, None]
    logit_idle = become[None, :] + scale_idle * nodes[:, None]
    # log-probabilities [node, week, from, to]
    log_p = np.stack(
        [
            np.stack([log_expit(-logit_idle), log_expit(logit_idle)], axis=-1),
            np.stack([log_expit(-logit_active), log_expit(logit_active)], axis=-1),
        ],
        axis=-2,
    )
    per_node = cells.reshape(len(cells), -1) @ log_p.reshape(len(nodes), -1).T
    return per_node + np.log(node_weights / node_weights.sum())


def _chain_log_likelihood(params: np.ndarray, cells: np.ndarray, weights: np.ndarray) -> float:
    """Minus the log-likelihood of the transition counts, engagement integrated out."""
    return -float(weights @ logsumexp(_node_log_likelihood(params, cells), axis=1))


def fit_chain(cells: np.ndarray) -> tuple[dict[str, Any], np.ndarray]:
    """Maximum-likelihood Markov chain by week with a learner engagement shift on both logits.

    Also returns each learner's posterior mean engagement (used to relate intensity to engagement).
    """
    unique, inverse, weights = np.unique(
        cells.reshape(len(cells), -1), axis=0, return_inverse=True, return_counts=True
    )
    totals = cells.sum(axis=0)
    raw_stay = np.log((totals[:, 1, 1] + 0.5) / (totals[:, 1, 0] + 0.5))
    raw_become = np.log((totals[:, 0, 1] + 0.5) / (totals[:, 0, 0] + 0.5))
    start = np.r_[raw_stay, raw_become, 0.5, 0.5]
    result = minimize(
        _chain_log_likelihood, start, args=(unique.astype(float), weights.astype(float)), method="L-BFGS-B"
    )
    params = result.x
    sign = 1.0 if params[-1] >= 0 else -1.0  # engagement and its mirror image fit equally: idle scale >= 0
    log_post = _node_log_likelihood(params, unique.astype(float))
    posterior = np.exp(log_post - logsumexp(log_post, axis=1, keepdims=True))
    nodes = np.polynomial.hermite_e.hermegauss(QUADRATURE_NODES)[0]
    engagement = sign * (posterior @ nodes)[inverse.ravel()]
    figures = {
        "logit_active_given_active": _round(params[:WEEKS]),
        "logit_active_given_idle": _round(params[WEEKS : 2 * WEEKS]),
        "engagement_scale_given_active": _round(sign * params[-2]),
        "engagement_scale_given_idle": _round(sign * params[-1]),
        "observed_active_given_active": _round(expit(raw_stay)),
        "observed_active_given_idle": _round(expit(raw_become)),
        "converged": bool(result.success),
    }
    return figures, engagement


def idle_streaks(active: np.ndarray) -> dict[str, Any]:
    """Lengths of the idle runs between two active days: mean and quantiles."""
    lengths = []
    for row in active:
        days = np.flatnonzero(row)
        gaps = np.diff(days) - 1
        lengths.append(gaps[gaps > 0])
    values = np.concatenate(lengths) if lengths else np.zeros(0)
    levels = list(STREAK_QUANTILES)
    return {
        "streaks_per_enrollment": _round(len(values) / len(active)),
        "mean_length": _round(values.mean() if len(values) else 0.0),
        "quantile_levels": levels,
        "quantiles": _round(np.quantile(values, levels) if len(values) else [0] * len(levels)),
    }


def events_per_active_day(counts: np.ndarray, active: np.ndarray, engagement: np.ndarray) -> dict[str, Any]:
    """Log-normal events per active day: week intercepts, engagement slope, learner and day spread.

    log(events) = intercept[week] + slope * engagement + learner effect + day noise; the slope is
    the regression on the posterior mean engagement (unbiased for a linear effect).
    """
    log_total = np.log(np.where(active, counts.sum(axis=2), 1))
    weeks = np.arange(COURSE_DAYS) // WEEK_DAYS
    learner, day = np.nonzero(active)
    design = np.column_stack([weeks[day][:, None] == np.arange(weeks.max() + 1), engagement[learner]])
    coef = np.linalg.lstsq(design.astype(float), log_total[learner, day], rcond=None)[0]
    residual = log_total[learner, day] - design @ coef
    learner_days = active.sum(axis=1)
    learner_mean = np.bincount(learner, residual, minlength=len(active)) / np.maximum(learner_days, 1)
    centred = residual - learner_mean[learner]
    repeated = learner_days[learner]
    within_var = (centred**2).sum() / max((repeated > 1).sum() - (learner_days > 1).sum(), 1)
    total_var = log_total[active].var()
    return {
        "intercept_log_by_week": _round(coef[:-1]),
        "engagement_slope": _round(coef[-1]),
        "sd_log": _round(np.sqrt(total_var)),
        "sd_log_between_learners": _round(np.sqrt(max(residual.var() - within_var, 0.0))),
        "sd_log_within_learner": _round(np.sqrt(within_var)),
        "median": _round(np.median(np.exp(log_total[active]))),
    }


def event_mix(counts: np.ndarray) -> dict[str, Any]:
    """Share of each event type by week."""
    weeks = np.arange(COURSE_DAYS) // WEEK_DAYS
    totals = np.stack([counts[:, weeks == week].sum(axis=(0, 1)) for week in range(weeks.max() + 1)])
    return {"types": list(EVENT_TYPES), "shares_by_week": _round(totals / totals.sum(axis=1, keepdims=True))}


def _concentration(shares: np.ndarray, parent: np.ndarray) -> float:
    """Dirichlet concentration by moments: shares scattered around their parent's shares."""
    spread = ((shares - parent) ** 2).sum(axis=1).mean()
    return float((parent * (1 - parent)).sum(axis=1).mean() / spread - 1)


def _normalise(values: np.ndarray) -> np.ndarray:
    """Rows scaled to sum to one (rows of zeros stay zero)."""
    return values / np.maximum(values.sum(axis=-1, keepdims=True), 1e-12)


def day_size_band(totals: np.ndarray) -> np.ndarray:
    """Band index of each day's event total (-1 for a day without events)."""
    return np.searchsorted(DAY_SIZE_BANDS, totals, side="right") - 1


def _first_day_mask(counts: np.ndarray) -> np.ndarray:
    """True on each enrollment's first active day."""
    active = counts.sum(axis=2) > 0
    mask = np.zeros_like(active)
    mask[np.arange(len(active)), active.argmax(axis=1)] = active.any(axis=1)
    return mask


def mix_by_day_size(counts: np.ndarray) -> dict[str, Any]:
    """Type shares by day size, on the first active day and on later days (all enrollments pooled).

    The mix follows the day's size far more than the label: a one-event day is a navigation, and
    problems appear only on big days; an enrollment's first day always includes a navigation.
    """
    band, first = day_size_band(counts.sum(axis=2)), _first_day_mask(counts)
    shares = np.zeros((2, len(DAY_SIZE_BANDS), len(EVENT_TYPES)))
    for later, days in enumerate((first, ~first)):
        for index in range(len(DAY_SIZE_BANDS)):
            shares[later, index] = counts[days & (band == index)].sum(axis=0)
    shares = _normalise(shares)
    return {
        "band_lower_bounds": list(DAY_SIZE_BANDS),
        "first_active_day": _round(shares[0]),
        "later_days": _round(shares[1]),
    }


def expected_counts(counts: np.ndarray, by_size: dict[str, Any]) -> np.ndarray:
    """Counts [enrollment, day, type] that the day-size mix alone predicts, to measure tilts against."""
    shares = np.stack([by_size["first_active_day"], by_size["later_days"]])
    totals = counts.sum(axis=2)
    base = shares[(~_first_day_mask(counts)).astype(int), np.maximum(day_size_band(totals), 0)]
    return totals[:, :, None] * base


def _ratio(counts: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Observed over expected events of each type, over all enrollments and days given."""
    return counts.sum(axis=(0, 1)) / np.maximum(expected.sum(axis=(0, 1)), 1e-9)


def mix_spread(courses: np.ndarray, counts: np.ndarray, by_size: dict[str, Any]) -> dict[str, Any]:
    """How the type mix varies beyond the day size: course around all, learner around course, day
    around learner.

    Each level's tilt (observed over expected counts) is a Dirichlet draw around its parent's; only
    units with enough events enter, so that multinomial noise does not pass for spread.
    """
    overall = counts.sum(axis=(0, 1)) / counts.sum()
    expected = expected_counts(counts, by_size)
    codes, course_index = np.unique(courses, return_inverse=True)
    course_ratio = np.stack(
        [_ratio(counts[course_index == i], expected[course_index == i]) for i in range(len(codes))]
    )
    course_shares = _normalise(overall * course_ratio)
    learner_sum = counts.sum(axis=(1, 2))
    big = learner_sum >= MIN_EVENTS_FOR_MIX * 3
    learner_ratio = counts[big].sum(axis=1) / np.maximum(expected[big].sum(axis=1), 1e-9)
    learner_shares = _normalise(overall * learner_ratio)
    day_sum = counts[big].sum(axis=2)
    learner, day = np.nonzero(day_sum >= MIN_EVENTS_FOR_MIX)
    day_shares = counts[big][learner, day] / day_sum[learner, day][:, None]
    day_parent = _normalise(expected[big][learner, day] * learner_ratio[learner])
    return {
        "overall_shares": _round(overall),
        "course_concentration": _round(_concentration(course_shares, overall[None, :])),
        "learner_concentration": _round(_concentration(learner_shares, course_shares[course_index[big]])),
        "day_concentration": _round(_concentration(day_shares, day_parent)),
        "min_events": {"learner": MIN_EVENTS_FOR_MIX * 3, "day": MIN_EVENTS_FOR_MIX},
    }


def measure_label(counts: np.ndarray) -> dict[str, Any]:
    """The figures of one label's enrollments: timing, Markov chain, intensity, mix, idle streaks."""
    active = counts.sum(axis=2) > 0
    first = active.argmax(axis=1)
    learner_days = active.sum(axis=1)
    chain, engagement = fit_chain(transition_counts(active))
    return {
        "enrollments": len(counts),
        "active_rate_by_day": _round(active.mean(axis=0)),
        "first_active_day": _round(np.bincount(first, minlength=COURSE_DAYS) / len(counts)),
        "active_days": {
            "mean": _round(learner_days.mean()),
            "share_one_day": _round((learner_days == 1).mean()),
        },
        "chain": chain,
        "events_per_active_day": events_per_active_day(counts, active, engagement),
        "event_mix": event_mix(counts),
        "idle_streaks": idle_streaks(active),
    }


def measure_courses(enrollments: pd.DataFrame) -> dict[str, Any]:
    """Per-course sizes and dropout rates, and a Beta distribution of the rates by moments."""
    by_course = enrollments.groupby("course")["label"].agg(["size", "mean"])
    rates = by_course["mean"].to_numpy()
    mean, var = rates.mean(), rates.var(ddof=1)
    strength = mean * (1 - mean) / var - 1
    return {
        "courses": len(by_course),
        "enrollments": np.sort(by_course["size"].to_numpy()).tolist(),
        "dropout_rates": _round(np.sort(rates)),
        "dropout_rate_overall": _round(enrollments["label"].mean()),
        "dropout_rate_beta": {"a": _round(mean * strength), "b": _round((1 - mean) * strength)},
    }


def untilted_shares(measured: np.ndarray, spread: dict[str, Any]) -> np.ndarray:
    """Shares [..., type] that, tilted by course and learner as the generator tilts them, average to
    `measured`.

    Renormalising tilted shares pulls a dominant type down (a one-event day that is nearly always a
    navigation would become one less often), so the generator starts from these instead; solved by
    multiplicative fixed-point steps against simulated tilts.
    """
    rng = np.random.default_rng(0)
    tilts = type_tilt(rng, spread, "course", TILT_DRAWS) * type_tilt(rng, spread, "learner", TILT_DRAWS)
    base = np.asarray(measured, dtype=float)
    for _ in range(TILT_ROUNDS):
        mean = _normalise(base[..., None, :] * tilts).mean(axis=-2)
        base = _normalise(base * measured / np.maximum(mean, 1e-12))
    return base


def calibrate(data_dir: Path) -> dict[str, Any]:
    """All figures, with a note on where they come from."""
    enrollments, counts = load_daily(data_dir)
    labels = enrollments["label"].to_numpy()
    by_size = mix_by_day_size(counts)
    spread = mix_spread(enrollments["course"].to_numpy(), counts, by_size)
    by_size["untilted"] = {
        part: _round(untilted_shares(np.asarray(by_size[part]), spread))
        for part in ("first_active_day", "later_days")
    }
    return {
        "source": (
            "Aggregate figures only (rates, shares, quantiles, fitted model parameters) measured by "
            "modelling/calibrate_courses.py on the public KDD Cup 2015 (XuetangX) daily activity of "
            f"{len(enrollments)} enrollments in {enrollments['course'].nunique()} courses "
            "(kddcup2015_daily, from KowsarTLB/Courses_datasets); no rows of the real data are included."
        ),
        "length_days": COURSE_DAYS,
        "week_days": WEEK_DAYS,
        "model": (
            "per learner: label from the course's dropout rate; first active day from its measured "
            "distribution; from then a two-state (active/idle) Markov chain whose logits depend on label "
            "and week and are shifted by the learner's engagement (standard normal, scaled); events per "
            "active day log-normal (week intercept, engagement slope, learner effect, day noise); "
            "types by a multinomial whose shares follow the day's size band (first active day apart) "
            "and are tilted by course, learner and day (Dirichlet draws)"
        ),
        "courses": measure_courses(enrollments),
        "event_mix_by_day_size": by_size,
        "event_mix_spread": spread,
        "labels": {name: measure_label(counts[labels == value]) for name, value in LABELS.items()},
    }


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    try:
        course_files(args.data_dir)
    except FileNotFoundError as exc:
        print(f"calibrate_courses: {exc}; nothing written.", file=sys.stderr)
        return 2
    figures = calibrate(args.data_dir)
    args.out.write_text(to_json(figures))
    print(f"wrote {args.out} ({figures['courses']['courses']} courses)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
