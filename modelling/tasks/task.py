"""The shape of every prediction task: what all tasks share, with a form part and a course part.

A task names the kind of outcome it predicts (a bounded score with an interval, or the probability
of an event), the names of its output value and level, where its level bands come from, its primary
metric, its candidates and its words for people. What only some tasks have is a part, `None` where
it does not apply: a *form task* (exam score, dropout) predicts from one person's fields typed into a
form or a batch file and has a `FormPart` (its schema, what-if moves, synthetic generator, bundled
file); a *course task* (early warning) predicts from a course's daily activity as of a day of the
course and has a `CoursePart` (its activity inputs, checkpoints and levels relative to the course).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from modelling.levels import Bands, CourseShares, FixedBands, level_for, level_names, levels_for
from modelling.moves import Move
from modelling.outcomes import Outcome
from modelling.schemas import TaskSchema


@dataclass(frozen=True)
class Metric:
    """A cross-validated figure as people see it."""

    key: str
    label: str
    higher_is_better: bool | None  # None: neither (a coverage aims at its level)
    unit: str = ""
    headline: bool = False  # shown on Home with the active model

    @property
    def heading(self) -> str:
        """The label with its unit, for a table heading."""
        return f"{self.label} ({self.unit})" if self.unit else self.label


@dataclass(frozen=True, kw_only=True)
class PredictPage:
    """The words of a form task's predict page."""

    slug: str  # its module and id prefix: predict_<slug>, predict-<slug>-
    order: int  # its place in the navigation bar
    description: str
    intro: str  # under its heading


@dataclass(frozen=True, kw_only=True)
class FormPart:
    """What a task predicted from one person's fields has: its inputs, what-if moves and data."""

    schema: TaskSchema  # the form's input fields
    moves: Callable[[Mapping[str, Any]], list[Move]]  # realistic changes a student can make
    consistent: Callable[[Mapping[str, Any], Mapping[str, Any]], dict[str, Any]]  # what moves with them
    min_gain: float  # a recommendation helps at least this much
    generate: Callable[[int, int], pd.DataFrame]  # (rows, seed) -> a labelled synthetic set
    bundled_file: str
    bundled_rows: int  # the size of the real public data set the generator is calibrated from
    sections: tuple[tuple[str, tuple[str, ...]], ...]  # the form's groups of fields, in order
    page: PredictPage
    recommend_title: str = "What would help most"


@dataclass(frozen=True, kw_only=True)
class CoursePart:
    """What a task predicted from a course's daily activity has: its inputs, checkpoints and levels."""

    inputs: tuple[str, ...]  # features of the daily activity as of a day
    checkpoints: tuple[int, ...]  # the days of a course of `course_days` days it has one model for
    course_days: int
    # Selection among the candidates (listed simplest first): the first whose grouped-CV primary metric
    # is within this of the best. A smaller gain is within what the course folds alone move, and the
    # simpler model explains itself exactly and scores faster.
    selection_tolerance: float
    # Levels relative to the course: shares of each course's enrollments on each scored day instead of
    # fixed bands, the task's `bands_setting` naming the deployment's shares.
    relative_levels: CourseShares

    def checkpoint_days(self, course_days: int) -> tuple[int, ...]:
        """The checkpoint days of a course of `course_days` days: the same fractions of its length."""
        if not self.checkpoints:
            return ()
        if course_days < 1:
            raise ValueError(f"A course lasts at least one day, not {course_days}.")
        return tuple(sorted(set(self.checkpoint_map(course_days).values())))

    def checkpoint_map(self, course_days: int) -> dict[int, int]:
        """Each checkpoint (a day of the nominal course) -> its day in a course of `course_days` days."""
        scale = course_days / self.course_days
        return {day: min(max(round(day * scale), 1), course_days) for day in self.checkpoints}


@dataclass(frozen=True, kw_only=True)
class Task:
    """One prediction task: what every task has, and its form or course part."""

    name: str
    outcome: Outcome
    label: str  # "Exam score": the task in a list or a heading
    short_label: str  # "Exam score", "Dropout": a choice between tasks
    value_label: str  # "Predicted exam score": an axis or a column heading
    value_name: str  # the result's and the batch file's value column
    level_name: str
    level_label: str
    bands_setting: str  # the configuration key of its level bands (or its course part's shares)
    default_bands: Bands
    primary_metric: str
    higher_is_better: bool  # of the primary metric
    metrics: tuple[Metric, ...]  # shown on Models (and the headline ones on Home), in order
    candidates: tuple[str, ...]
    build: Callable[[str, int], Any]  # (candidate name, seed) -> unfitted estimator
    outcome_word: str  # "score" / "risk": what the top factors raise or lower
    explain_text: str
    target_label: str  # the actual outcome in the training data
    actual_label: str  # what the training data's groups are
    concern: tuple[int | None, int | None]  # the slice of groups (highest level first) of concern
    better: float  # +1 when a higher value is good for the student, -1 when lower is
    form: FormPart | None = None  # predicted from one person's fields
    course: CoursePart | None = None  # predicted from a course's daily activity
    target_unit: str = ""
    concern_label: str = ""  # their name together, when they are more than one
    value_text: str = ""  # what the value is, under it (a score shows its interval instead)
    event_groups: tuple[str, str] | tuple[()] = ()  # (happened, did not) for a 0/1 target; else level bands
    # (column, label) of the attributes whose groups of learners its fairness report compares.
    group_attributes: tuple[tuple[str, str], ...] = ()

    @property
    def path(self) -> str:
        """The page that predicts this task."""
        return f"/predict/{self.name}"

    @property
    def headline_metrics(self) -> list[Metric]:
        """The figures shown with the active model on Home."""
        return [metric for metric in self.metrics if metric.headline]

    @property
    def output_columns(self) -> list[str]:
        """The columns a batch file gets, in order."""
        extra = ["interval_low", "interval_high"] if self.outcome.has_interval else []
        return [self.value_name, self.level_name, *extra]

    def bands(self, config: Mapping[str, Any]) -> Bands:
        """The level bands configured for this task (its defaults when none are); a task with levels
        relative to the course has no configured bands: its defaults (the levels' names and colours)."""
        if self.course is not None:
            return self.default_bands
        return config.get(self.bands_setting, self.default_bands)

    def levels(self, config: Mapping[str, Any], override: Any = None) -> CourseShares | FixedBands:
        """How this task's levels are decided: its fixed bands as configured, or its rule relative to the
        course with the configured shares (`override`: a course's own shares, which come first)."""
        if self.course is None:
            return FixedBands(tuple(self.bands(config)))
        rule = self.course.relative_levels
        return rule.with_shares(override or config.get(self.bands_setting) or rule.shares)

    def result(self, value: float, halfwidth: float, bands: Bands) -> dict[str, Any]:
        """A single prediction's value, level and (for a score) interval."""
        out = {
            self.value_name: round(value, self.outcome.decimals),
            self.level_name: level_for(value, bands),
        }
        interval = self.outcome.interval(value, halfwidth)
        if interval is not None:
            out["interval"] = interval
        return out

    def columns(self, values: np.ndarray, halfwidth: float, bands: Bands) -> dict[str, np.ndarray]:
        """Many predictions as output columns."""
        return {
            self.value_name: np.round(values, self.outcome.decimals),
            self.level_name: levels_for(values, bands),
            **self.outcome.interval_columns(values, halfwidth),
        }

    def value_and_level(self, result: Mapping[str, Any]) -> tuple[float, str]:
        """The headline value and level of a result, as a record keeps them."""
        return result[self.value_name], result[self.level_name]

    def actual_group_names(self, bands: Bands) -> list[str]:
        """The groups training rows fall into by their actual outcome."""
        return list(self.event_groups) if self.event_groups else level_names(bands)

    def actual_groups(self, targets: np.ndarray, bands: Bands) -> np.ndarray:
        """Each training row's group by its actual outcome."""
        if self.event_groups:
            return np.where(np.asarray(targets) == 1, *self.event_groups)
        return levels_for(targets, bands)

    def concern_group(self, groups: list[dict[str, Any]]) -> dict[str, Any]:
        """The groups of concern (e.g. high risk) as one: their name and count."""
        chosen = groups[slice(*self.concern)]
        name = self.concern_label or (chosen[0]["name"] if chosen else "")
        return {"name": name, "count": sum(group["count"] for group in chosen)}

    def is_better(self, before: float, after: float) -> bool:
        """Whether `after` is better for the student than `before`."""
        return self.better * (after - before) > 0
