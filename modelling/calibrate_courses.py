"""Measure aggregate figures on the real daily course activity to calibrate the course generator.

Only aggregates are computed: rates, shares, quantiles and the parameters of a small model of
daily activity (a two-state Markov chain by label and week, shifted on the logit scale by each
learner's engagement, fitted by maximum likelihood). No row of the real data is written out.

    python -m modelling.calibrate_courses --data-dir ../shared/data/kddcup2015_daily
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit, log_expit, logsumexp

from modelling.calibrate import DIGITS, to_json
from modelling.schemas import EVENT_TYPES

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "kddcup2015_daily"
DEFAULT_OUT = Path(__file__).resolve().with_name("course_calibration.json")
COURSE_DAYS = 30
WEEK_DAYS = 7
WEEKS = (COURSE_DAYS - 2) // WEEK_DAYS + 1  # weeks of the transitions day t -> t+1, t = 0..28
LABELS = {"stayer": 0, "dropout": 1}
QUADRATURE_NODES = 24
MIN_EVENTS_FOR_MIX = 20  # days with fewer events say more about multinomial noise than about the mix
STREAK_QUANTILES = (0.25, 0.5, 0.75, 0.9)
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


def mix_spread(courses: np.ndarray, counts: np.ndarray) -> dict[str, Any]:
    """How the type mix varies: course around all, learner around course, day around learner.

    Each level's shares are a Dirichlet draw around its parent's; only units with enough events
    enter, so that multinomial noise does not pass for spread.
    """
    overall = counts.sum(axis=(0, 1)) / counts.sum()
    codes, course_index = np.unique(courses, return_inverse=True)
    course_totals = np.stack([counts[course_index == i].sum(axis=(0, 1)) for i in range(len(codes))])
    course_shares = course_totals / course_totals.sum(axis=1, keepdims=True)
    learner_totals = counts.sum(axis=1)
    learner_sum = learner_totals.sum(axis=1)
    learner_shares = learner_totals / np.maximum(learner_sum, 1)[:, None]
    big = learner_sum >= MIN_EVENTS_FOR_MIX * 3
    day_sum = counts.sum(axis=2)
    learner, day = np.nonzero((day_sum >= MIN_EVENTS_FOR_MIX) & big[:, None])
    day_shares = counts[learner, day] / day_sum[learner, day][:, None]
    return {
        "overall_shares": _round(overall),
        "course_concentration": _round(_concentration(course_shares, overall[None, :])),
        "learner_concentration": _round(
            _concentration(learner_shares[big], course_shares[course_index[big]])
        ),
        "day_concentration": _round(_concentration(day_shares, learner_shares[learner])),
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


def calibrate(data_dir: Path) -> dict[str, Any]:
    """All figures, with a note on where they come from."""
    enrollments, counts = load_daily(data_dir)
    labels = enrollments["label"].to_numpy()
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
            "types by a "
            "multinomial whose shares are tilted by course, learner and day (Dirichlet draws)"
        ),
        "courses": measure_courses(enrollments),
        "event_mix_spread": mix_spread(enrollments["course"].to_numpy(), counts),
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
