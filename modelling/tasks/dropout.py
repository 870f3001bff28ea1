"""The dropout task: the probability that a learner drops out of a course, from a month of activity
counts, with its input schema, what-if moves and candidates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from modelling.event_types import EVENT_TYPES
from modelling.levels import RISK_LEVELS
from modelling.moves import Move, numeric_deltas, replaced
from modelling.outcomes import Probability
from modelling.schemas import Columns, NumericField, Rule, TaskSchema
from modelling.tasks.task import FormPart, Metric, PredictPage, Task

SPAN_MAX = 29.0
DAYS_MAX = 30.0
_COUNT_MAX = 1_000_000


def _count(
    name: str,
    label: str,
    train_max: float,
    actionable: bool = False,
    header: str | None = None,
    help_text: str = "",
) -> NumericField:
    return NumericField(
        name,
        header or name,
        label,
        0,
        _COUNT_MAX,
        0,
        train_max,
        "events",
        integer=True,
        actionable=actionable,
        step=5,
        help=help_text,
    )


def _column(frame: Columns, name: str) -> np.ndarray:
    return np.asarray(frame[name], dtype=float)


def _types_sum_to_sources(frame: Columns) -> np.ndarray:
    types = sum(_column(frame, name) for name in EVENT_TYPES)
    return np.isclose(types, _column(frame, "server") + _column(frame, "browser"))


def _events_cover_study_days(frame: Columns) -> np.ndarray:
    return _column(frame, "server") + _column(frame, "browser") >= _column(frame, "study_days")


def _days_fit_the_span(frame: Columns) -> np.ndarray:
    span = _column(frame, "active_span_days")
    days = _column(frame, "study_days")
    return (days <= span + 2) & ~((span > 0) & (days < 2))


SCHEMA = TaskSchema(
    task="dropout",
    target="dropout",
    target_headers=("dropout", "label"),
    fields=(
        _count("navigate", "Navigate events", 331, actionable=True, help_text="Course navigation."),
        _count("access", "Access events", 3659, actionable=True, help_text="Course material opened."),
        _count("page_close", "Page close events", 906),
        _count("problem", "Problem events", 400, actionable=True, help_text="Exercises attempted."),
        _count("video", "Video events", 224, actionable=True, help_text="Lecture videos watched."),
        _count("discussion", "Discussion events", 3770, actionable=True, help_text="Forum posts and reads."),
        _count("wiki", "Wiki events", 240, actionable=True),
        _count("server", "Server-side events", 4005),
        _count("browser", "Browser-side events", 1627),
        NumericField(
            "active_span_days",
            "lastlog-firstlog",
            "Active span",
            0,
            29,
            0,
            29,
            "days",
            integer=True,
            actionable=True,
            help="Days between the first and the last active day.",
        ),
        NumericField(
            "study_days",
            "study days",
            "Study days",
            1,
            30,
            1,
            30,
            "days",
            integer=True,
            actionable=True,
            help="Distinct days with any activity.",
        ),
        _count(
            "early_events", "Early events", 583, header="early events", help_text="Events in the first third."
        ),
        _count("mid_events", "Mid events", 896, header="mid events", help_text="Events in the middle third."),
        _count(
            "late_events",
            "Late events",
            3693,
            actionable=True,
            header="late events",
            help_text="Events in the last third of the window.",
        ),
    ),
    rules=(
        Rule(
            ("server", "browser"),
            "the seven event types must add up to server + browser",
            _types_sum_to_sources,
        ),
        Rule(
            ("study_days",),
            "every study day needs at least one event (server + browser >= study_days)",
            _events_cover_study_days,
        ),
        Rule(
            ("study_days", "active_span_days"),
            "study days must fit the active span (at most span + 2, and at least 2 when the span is above 0)",
            _days_fit_the_span,
        ),
    ),
)


def _more_events(row: Mapping[str, Any], name: str, amount: int, label: str) -> Move:
    return Move(name, f"{amount} more {label} from now on", {name: float(row[name]) + amount})


def dropout_moves(row: Mapping[str, Any]) -> list[Move]:
    """Realistic increases in course activity."""
    moves = []
    for amount in (10, 25):
        moves.append(_more_events(row, "video", amount, "video events"))
        moves.append(_more_events(row, "problem", amount, "problem attempts"))
    for amount in (5, 15):
        moves.append(_more_events(row, "discussion", amount, "forum events"))
    moves.append(_more_events(row, "access", 20, "course-material visits"))
    days = float(row["study_days"])
    for extra in (2, 5, 10):
        new_days = min(days + extra, DAYS_MAX)
        if new_days <= days:
            continue
        added = new_days - days
        moves.append(
            Move(
                "study_days",
                f"Study on {added:g} more days ({days:g} → {new_days:g}), at least one visit each",
                {"study_days": new_days, "access": float(row["access"]) + added},
            )
        )
    return moves


def dropout_consistent(original: Mapping[str, Any], chosen: Mapping[str, Any]) -> dict[str, Any]:
    """The chosen values with the fields that must move with them.

    Events added (or removed) are logged by the two sources in their current proportion and
    happen from now on (late events); more study days stretch the active span to at least
    days - 1 and need at least one visit each."""
    deltas = numeric_deltas(SCHEMA, original, chosen)
    row = replaced(original, chosen)
    added = sum(delta for name, delta in deltas.items() if name in EVENT_TYPES)
    if added and not {"server", "browser"} & deltas.keys():
        server, browser = float(row["server"]), float(row["browser"])
        share = server / (server + browser) if server + browser > 0 else 0.5
        to_server = round(added * share)
        server, browser = server + to_server, browser + (added - to_server)
        if server < 0:
            server, browser = 0.0, browser + server
        if browser < 0:
            server, browser = server + browser, 0.0
        row["server"], row["browser"] = server, browser
    if added and "late_events" not in deltas:
        row["late_events"] = max(0.0, float(row["late_events"]) + added)
    if "study_days" in deltas and "active_span_days" not in deltas:
        row["active_span_days"] = min(
            SPAN_MAX, max(float(row["active_span_days"]), float(row["study_days"]) - 1)
        )
    missing = float(row["study_days"]) - float(row["server"]) - float(row["browser"])
    if missing > 0:
        row["access"] = float(row["access"]) + missing
        row["server"] = float(row["server"]) + missing
    return row


def _candidate(name: str, seed: int) -> Any:
    from modelling.candidates import dropout_candidate  # scikit-learn only when training

    return dropout_candidate(name, seed, SCHEMA)


def _generate(rows: int, seed: int) -> pd.DataFrame:
    from modelling.synthetic import generate_dropout  # SciPy only when generating

    return generate_dropout(rows, seed)


DROPOUT = Task(
    name="dropout",
    outcome=Probability(),
    label="Dropout risk",
    short_label="Dropout",
    value_label="Predicted dropout probability",
    value_name="probability",
    level_name="risk_level",
    level_label="Predicted risk level",
    bands_setting="RISK_LEVELS",
    default_bands=RISK_LEVELS,
    primary_metric="roc_auc",
    higher_is_better=True,
    metrics=(
        Metric("roc_auc", "ROC AUC", True, headline=True),
        Metric("brier", "Brier score", False, headline=True),
        Metric("ece", "Calibration error (ECE)", False, headline=True),
        Metric("log_loss", "Log loss", False),
    ),
    candidates=("logistic_regression", "random_forest", "gradient_boosting", "additive_ensemble"),
    build=_candidate,
    better=-1.0,
    outcome_word="risk",
    explain_text="Bars compare with a typical learner of the training data: red raised the risk, "
    "green lowered it.",
    target_label="Dropped out (1 = yes)",
    actual_label="Actual outcome",
    concern=(0, 1),
    event_groups=("Dropped out", "Stayed"),
    value_text="Probability of dropping out of the course.",
    form=FormPart(
        schema=SCHEMA,
        page=PredictPage(
            slug="dropout",
            order=20,
            description="The chance of dropping out of an online course, why, and what lowers it.",
            intro="Enter a learner's activity over the last 30 days of a course; the risk, its reasons and "
            "the changes that would lower it appear on the right.",
        ),
        moves=dropout_moves,
        consistent=dropout_consistent,
        min_gain=0.002,
        generate=_generate,
        sections=(
            ("Activity by type (last 30 days)", EVENT_TYPES),
            ("Where the events were logged", ("server", "browser")),
            ("Timing", ("active_span_days", "study_days", "early_events", "mid_events", "late_events")),
        ),
        bundled_file="dropout_enrollments.csv",
        bundled_rows=24013,
        recommend_title="Changes that would lower the risk",
    ),
)
