"""A prediction's result: the headline value, its level and interval, the explanation figure and
the recommendations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from dashboard.components.figures import (
    bands_legend,
    contributions_figure,
    graph,
    level_badge,
    outcome_figure,
)
from modelling.levels import Bands
from modelling.tasks import schema_for, task_for


def headline(task: str, result: Mapping[str, Any]) -> str:
    """The predicted value in the task's own words."""
    definition = task_for(task)
    return definition.outcome.headline(result[definition.value_name])


def result_view(prefix: str, task: str, result: Mapping[str, Any], bands: Bands) -> html.Div:
    """The prediction: headline value, level, interval, explanation and recommendations."""
    definition = task_for(task)
    value, level = definition.value_and_level(result)
    factors = result.get("top_factors") or []
    return html.Div(
        [
            html.Div(
                [
                    html.Span(
                        headline(task, result), id=f"{prefix}-value", className="display-5 fw-semibold me-3"
                    ),
                    level_badge(task, level, bands, badge_id=f"{prefix}-level"),
                ],
                className="d-flex align-items-center flex-wrap",
            ),
            _detail(prefix, definition, result),
            html.P(
                f"Model version {result['model_version']} ({result.get('algorithm', '')}).",
                className="small text-muted",
                id=f"{prefix}-version",
            ),
            _range_warning(task, result),
            graph(
                f"{prefix}-outcome-graph",
                outcome_figure(task, value, bands, result.get("interval")),
                "Prediction on the level bands",
            ),
            bands_legend(task, bands),
            html.H3("Why", className="h6 mt-3"),
            html.Ul([html.Li(text) for text in factors], className="small") if factors else None,
            html.P(
                task_for(task).explain_text,
                className="small text-muted mb-0",
            ),
            graph(
                f"{prefix}-contributions-graph",
                contributions_figure(task, result["contributions"]),
                "Contribution of each factor",
            ),
            recommendations_view(prefix, task, result),
        ]
    )


def _detail(prefix: str, definition, result: Mapping[str, Any]) -> html.P:
    """The prediction's interval, or what the value means where the task gives none."""
    if not definition.outcome.has_interval:
        return html.P(definition.value_text, className="text-muted mb-1")
    interval = result["interval"]
    return html.P(
        f"{interval['level']:.0%} interval: {interval['low']:.1f} to {interval['high']:.1f} points",
        id=f"{prefix}-interval",
        className="text-muted mb-1",
    )


def _range_warning(task: str, result: Mapping[str, Any]) -> dbc.Alert | None:
    """A caution naming the inputs outside the training data's range, if any."""
    extrapolated = result.get("extrapolated") or []
    if not extrapolated:
        return None
    schema = schema_for(task)
    return dbc.Alert(
        "Outside the training range: "
        + ", ".join(schema.field(n).label for n in extrapolated)
        + ". Read this prediction with more caution.",
        color="warning",
        className="py-2",
    )


def recommendations_view(prefix: str, task: str, result: Mapping[str, Any]) -> html.Div:
    """The changes the model expects to help most, with their predicted gain."""
    items = result.get("recommendations") or []
    definition = task_for(task)
    title = definition.form.recommend_title
    if not items:
        body = html.P(
            "No realistic change to the factors you control improves this prediction noticeably.",
            className="text-muted small",
        )
    else:
        rows = []
        for item in items:
            gain = definition.outcome.gain_text(item["gain"], item["predicted"])
            rows.append(
                dbc.ListGroupItem(
                    [html.Span(item["change"]), dbc.Badge(gain, color="success", className="ms-2 text-wrap")],
                    className="d-flex justify-content-between align-items-center flex-wrap",
                )
            )
        body = dbc.ListGroup(rows, id=f"{prefix}-recommendations", flush=True)
    return html.Div([html.H3(title, className="h6 mt-3"), body])
