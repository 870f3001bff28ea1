"""The Analytics page's controls: the cohort's task, source, groups, dates and field filters, and
the column each figure's card sits in."""

from __future__ import annotations

import json
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components import admin_figures as figures
from modelling.tasks import TASK_NAMES, schema_for, task_options

SOURCES = [
    {"label": "Stored predictions", "value": "records"},
    {"label": "Active model's training data", "value": "training"},
]
PRIMARY_FILTERS = ("school_type", "motivation_level", "gender", "family_income")


def _labelled(label: str, component_id: str, component: Any, **col: Any) -> dbc.Col:
    return dbc.Col([dbc.Label(label, html_for=component_id), component], className="mb-2", **col)


def controls() -> dbc.Card:
    """The cohort's controls: task, source, groups, dates, field filters and ranges."""
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2("Cohort", className="h5"),
                _choices(),
                _dates(),
                html.Div(id="analytics-category-filters"),
                html.Div(
                    [
                        html.Span(id="analytics-range-badges"),
                        dbc.Button(
                            "Clear every filter",
                            id="analytics-clear",
                            color="link",
                            size="sm",
                            className="ms-2",
                        ),
                    ],
                    className="d-flex flex-wrap align-items-center",
                ),
                html.P(
                    "Click a bar of the group or a category chart, or drag across a histogram, to filter "
                    "every chart to it.",
                    className="small text-muted mb-0 mt-1",
                ),
            ]
        ),
        className="mb-3",
    )


def _choices() -> dbc.Row:
    return dbc.Row(
        [
            _labelled(
                "Task",
                "analytics-task",
                dbc.RadioItems(id="analytics-task", options=task_options(), value=TASK_NAMES[0], inline=True),
                md=3,
            ),
            _labelled(
                "Data source",
                "analytics-source",
                dbc.RadioItems(id="analytics-source", options=SOURCES, value="records", inline=True),
                md=5,
            ),
            _labelled(
                "Group (level or risk band)",
                "analytics-groups",
                dcc.Dropdown(id="analytics-groups", multi=True, placeholder="Every group"),
                md=4,
            ),
        ]
    )


def _dates() -> dbc.Row:
    return dbc.Row(
        [
            _labelled(
                "Saved from", "analytics-date-from", dbc.Input(id="analytics-date-from", type="date"), md=3
            ),
            _labelled(
                "Saved until", "analytics-date-to", dbc.Input(id="analytics-date-to", type="date"), md=3
            ),
            _labelled(
                "Range filter on",
                "analytics-range-field",
                dcc.Dropdown(id="analytics-range-field", placeholder="a numeric field"),
                md=3,
            ),
            _labelled(
                "From", "analytics-range-low", dbc.Input(id="analytics-range-low", type="number"), md=1
            ),
            _labelled(
                "To", "analytics-range-high", dbc.Input(id="analytics-range-high", type="number"), md=1
            ),
            dbc.Col(
                dbc.Button(
                    "Add", id="analytics-range-add", color="secondary", outline=True, className="w-100"
                ),
                md=1,
                className="d-flex align-items-end mb-2",
            ),
        ]
    )


def figure_col(key: str, height: int = 360, **col: Any) -> dbc.Col:
    """A column holding one figure's card (graph and CSV button)."""
    return dbc.Col(
        figures.figure_card(f"analytics-graph-{key}", {"type": "analytics-csv", "figure": key}, key, height),
        xs=12,
        className="mb-3",
        **col,
    )


def _category_filter(f) -> dbc.Col:
    return _labelled(
        f.label,
        json.dumps({"field": f.name, "type": "analytics-category"}, separators=(",", ":")),
        dcc.Dropdown(
            id={"type": "analytics-category", "field": f.name},
            options=[*f.categories, *(["missing"] if f.optional else [])],
            multi=True,
            placeholder="Any",
        ),
        xs=6,
        md=3,
        lg=2,
    )


def category_filters(task: str) -> list:
    """A filter per categorical field of the task (the less used ones folded away)."""
    fields = schema_for(task).categorical
    primary = [f for f in fields if f.name in PRIMARY_FILTERS]
    others = [f for f in fields if f.name not in PRIMARY_FILTERS]
    parts: list = []
    if primary:
        parts.append(dbc.Row([_category_filter(f) for f in primary]))
    if others:
        parts.append(
            html.Details(
                [
                    html.Summary(f"More field filters ({len(others)})", className="small mb-2"),
                    dbc.Row([_category_filter(f) for f in others]),
                ],
                className="mb-2",
            )
        )
    return parts
