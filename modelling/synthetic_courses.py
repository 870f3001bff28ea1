"""Synthetic courses with enrollments, daily activity and outcomes.

Calibrated on aggregate figures of real MOOC courses (course_calibration.json, written by
modelling.calibrate_courses); no real rows are needed or shipped. Each learner gets a label from
the course's dropout rate, a first active day, an engagement level and an intensity level; from
the first active day a two-state Markov chain (active / idle) by label and week, shifted by the
engagement, decides which days are active; events per active day are log-normal and split into
the seven event types by a Dirichlet-multinomial around the shares measured for days of that
size (the first active day apart). Deterministic for a given seed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from modelling.event_types import EVENT_TYPES

CALIBRATION_PATH = Path(__file__).resolve().with_name("course_calibration.json")
LABEL_NAMES = ("stayer", "dropout")  # index = label (1 = dropped out)
COURSE_COLUMNS = ["code", "title", "length_days", "dropout_rate", "enrollments", "observed_days"]
ACTIVITY_COLUMNS = ["course", "enrollment_id", "day", *EVENT_TYPES]
OUTCOME_COLUMNS = ["course", "enrollment_id", "label"]


@cache
def load_course_calibration() -> dict[str, Any]:
    """The course calibration figures shipped with the package."""
    return json.loads(CALIBRATION_PATH.read_text())


@dataclass(frozen=True)
class CourseSpec:
    """A course to generate; observed_days < length means it is running (no outcomes yet)."""

    code: str
    title: str
    enrollments: int
    dropout_rate: float | None = None  # None: drawn from the measured distribution of course rates
    observed_days: int | None = None  # None: the whole course has happened

    def __post_init__(self) -> None:
        if self.enrollments < 1:
            raise ValueError(f"{self.code}: a course needs at least one enrollment")
        if self.dropout_rate is not None and not 0.0 <= self.dropout_rate <= 1.0:
            raise ValueError(f"{self.code}: the dropout rate must lie in [0, 1]")
        if self.observed_days is not None and self.observed_days < 0:
            raise ValueError(f"{self.code}: observed_days must not be negative")


def _label_params(calibration: dict[str, Any]) -> dict[str, np.ndarray]:
    """Per-label parameter arrays, indexed [label, ...]."""
    labels = [calibration["labels"][name] for name in LABEL_NAMES]
    chains = [label["chain"] for label in labels]
    events = [label["events_per_active_day"] for label in labels]
    return {
        "first_day": np.array([label["first_active_day"] for label in labels]),
        "logit_active": np.array([c["logit_active_given_active"] for c in chains]),
        "logit_idle": np.array([c["logit_active_given_idle"] for c in chains]),
        "scale_active": np.array([c["engagement_scale_given_active"] for c in chains]),
        "scale_idle": np.array([c["engagement_scale_given_idle"] for c in chains]),
        "intercept_log": np.array([e["intercept_log_by_week"] for e in events]),
        "engagement_slope": np.array([e["engagement_slope"] for e in events]),
        "sd_between": np.array([e["sd_log_between_learners"] for e in events]),
        "sd_within": np.array([e["sd_log_within_learner"] for e in events]),
    }


def _size_mix(calibration: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Day-size band lower bounds and type shares [later day?, band, type]."""
    by_size = calibration["event_mix_by_day_size"]
    untilted = by_size["untilted"]
    shares = np.array([untilted["first_active_day"], untilted["later_days"]])
    return np.asarray(by_size["band_lower_bounds"]), shares


def _dirichlet(rng: np.random.Generator, alpha: np.ndarray) -> np.ndarray:
    """Dirichlet draws along the last axis (alpha of any shape), via normalised gamma draws."""
    draws = rng.gamma(np.maximum(alpha, 1e-3))
    return draws / draws.sum(axis=-1, keepdims=True)


def type_tilt(rng: np.random.Generator, spread: dict[str, Any], level: str, n: int) -> np.ndarray:
    """Multiplicative tilts [n, type] of the type mix, mean 1: Dirichlet shares over overall shares."""
    overall = np.asarray(spread["overall_shares"])
    return _dirichlet(rng, np.tile(spread[f"{level}_concentration"] * overall, (n, 1))) / overall


def _draw_first_day(rng: np.random.Generator, table: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """First active day by inverting each label's measured distribution."""
    cumulative = np.cumsum(table, axis=1)
    cumulative /= cumulative[:, -1:]
    first = (cumulative[labels] <= rng.random(len(labels))[:, None]).sum(axis=1)
    return np.minimum(first, table.shape[1] - 1)


def simulate_active(
    rng: np.random.Generator,
    params: dict[str, np.ndarray],
    labels: np.ndarray,
    engagement: np.ndarray,
    days: int,
    week_days: int,
) -> np.ndarray:
    """Active days [learner, day]: the Markov chain from each learner's first active day."""
    n = len(labels)
    first = _draw_first_day(rng, params["first_day"], labels)
    weeks = params["logit_active"].shape[1]
    logit_active = params["logit_active"][labels] + params["scale_active"][labels, None] * engagement[:, None]
    logit_idle = params["logit_idle"][labels] + params["scale_idle"][labels, None] * engagement[:, None]
    p_active, p_idle = expit(logit_active), expit(logit_idle)
    active = np.zeros((n, days), dtype=bool)
    active[np.arange(n), first] = True
    draws = rng.random((n, days))
    for day in range(days - 1):
        week = min(day // week_days, weeks - 1)
        chance = np.where(active[:, day], p_active[:, week], p_idle[:, week])
        active[:, day + 1] |= (day >= first) & (draws[:, day + 1] < chance)
    return active


def simulate_counts(
    rng: np.random.Generator,
    params: dict[str, np.ndarray],
    labels: np.ndarray,
    engagement: np.ndarray,
    active: np.ndarray,
    tilt: np.ndarray,
    size_mix: tuple[np.ndarray, np.ndarray],
    day_concentration: float,
    week_days: int,
) -> np.ndarray:
    """Event counts [learner, day, type] on the active days: log-normal totals, Dirichlet-multinomial mix.

    The mix follows the day's size band (the first active day has its own), tilted by `tilt`
    [learner, type], the course's and learner's preference for each type (mean 1).
    """
    n, days = active.shape
    weeks = params["intercept_log"].shape[1]
    week_of_day = np.minimum(np.arange(days) // week_days, weeks - 1)
    intensity = params["engagement_slope"][labels] * engagement + params["sd_between"][
        labels
    ] * rng.standard_normal(n)
    log_total = (
        params["intercept_log"][labels][:, week_of_day]
        + intensity[:, None]
        + params["sd_within"][labels, None] * rng.standard_normal((n, days))
    )
    totals = np.where(active, np.maximum(np.rint(np.exp(log_total)), 1), 0).astype(np.int64)
    bounds, shares = size_mix
    band = np.maximum(np.searchsorted(bounds, totals, side="right") - 1, 0)
    later = np.arange(days)[None, :] > active.argmax(axis=1)[:, None]
    mix = shares[later.astype(int), band] * tilt[:, None, :]
    mix /= np.maximum(mix.sum(axis=2, keepdims=True), 1e-12)
    return rng.multinomial(totals, _dirichlet(rng, day_concentration * mix))


def _course_rate(rng: np.random.Generator, spec: CourseSpec, calibration: dict[str, Any]) -> float:
    """The course's dropout rate: given, or drawn from the measured Beta, kept within the measured range."""
    if spec.dropout_rate is not None:
        return float(spec.dropout_rate)
    courses = calibration["courses"]
    beta, measured = courses["dropout_rate_beta"], courses["dropout_rates"]
    return float(np.clip(rng.beta(beta["a"], beta["b"]), min(measured), max(measured)))


def _one_course(
    rng: np.random.Generator, spec: CourseSpec, calibration: dict[str, Any], params: dict[str, np.ndarray]
) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    """One course's summary row, dense activity (every enrollment x observed day) and outcomes."""
    days, week_days = calibration["length_days"], calibration["week_days"]
    observed = days if spec.observed_days is None else min(spec.observed_days, days)
    rate = _course_rate(rng, spec, calibration)
    labels = (rng.random(spec.enrollments) < rate).astype(np.int64)
    engagement = rng.standard_normal(spec.enrollments)
    active = simulate_active(rng, params, labels, engagement, days, week_days)
    spread = calibration["event_mix_spread"]
    tilt = type_tilt(rng, spread, "course", 1) * type_tilt(rng, spread, "learner", spec.enrollments)
    counts = simulate_counts(
        rng,
        params,
        labels,
        engagement,
        active,
        tilt,
        _size_mix(calibration),
        spread["day_concentration"],
        week_days,
    )[:, :observed]
    width = max(4, len(str(spec.enrollments)))
    ids = np.array([f"{spec.code.lower()}-{i:0{width}d}" for i in range(1, spec.enrollments + 1)])
    activity = pd.DataFrame(counts.reshape(-1, len(EVENT_TYPES)), columns=list(EVENT_TYPES))
    activity.insert(0, "day", np.tile(np.arange(observed), spec.enrollments))
    activity.insert(0, "enrollment_id", np.repeat(ids, observed))
    activity.insert(0, "course", spec.code)
    outcomes = pd.DataFrame({"course": spec.code, "enrollment_id": ids, "label": labels})
    if observed < days:
        outcomes = outcomes.iloc[:0]
    summary = {
        "code": spec.code,
        "title": spec.title,
        "length_days": days,
        "dropout_rate": rate,
        "enrollments": spec.enrollments,
        "observed_days": observed,
    }
    return summary, activity, outcomes


def generate_courses(
    spec: Sequence[CourseSpec], seed: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Courses, their activity (every enrollment x every observed day, zeros included) and known outcomes.

    A running course (observed_days below the length) has activity only for days 0..observed_days-1
    and no outcomes.
    """
    codes = [course.code for course in spec]
    if len(set(codes)) != len(codes):
        raise ValueError("course codes must be unique")
    calibration = load_course_calibration()
    params = _label_params(calibration)
    streams = np.random.SeedSequence(seed).spawn(len(spec))
    parts = [
        _one_course(np.random.default_rng(s), c, calibration, params)
        for s, c in zip(streams, spec, strict=True)
    ]
    courses = pd.DataFrame([p[0] for p in parts], columns=COURSE_COLUMNS)
    activity = (
        pd.concat([p[1] for p in parts], ignore_index=True)
        if parts
        else pd.DataFrame(columns=ACTIVITY_COLUMNS)
    )
    outcomes = (
        pd.concat([p[2] for p in parts], ignore_index=True)
        if parts
        else pd.DataFrame(columns=OUTCOME_COLUMNS)
    )
    return courses, activity, outcomes
