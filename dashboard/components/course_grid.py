"""The Course page's at-risk list: the grid's columns, its filters and the action bar under it."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from dashboard.components import segments
from dashboard.components.forms import action_kind_options, channel_options
from db.tutoring import ACTION_KINDS
from services import course_overview

PREFIX = "course"  # the Course page's ids

ANY = "any"
CHANGE_LABELS = {
    "up": "▲ Up",
    "down": "▼ Down",
    "same": "= About the same",
    "new": "New (no previous checkpoint)",
}


# The grid loads rows in blocks (infinite row model), which needs one row height for every row: rows are
# tall enough for three wrapped reasons at the columns' narrowest, so a reason never needs a hover.
ROW_HEIGHT = 104
WRAPPED = {"wrapText": True, "cellStyle": {"lineHeight": "1.3", "fontSize": "0.8rem", "wordBreak": "normal"}}


def columns() -> list[dict[str, Any]]:
    """The grid's columns: the export's headers, each sized and rendered for the at-risk list."""
    headers = dict(course_overview.EXPORT_COLUMNS)
    sortable = set(course_overview.SORT_COLUMNS)
    special: dict[str, dict[str, Any]] = {
        # As wide as its longest reference (course_grid.js sizes it as rows arrive): never cut off.
        "learner": {"cellRenderer": "CourseLearnerLink", "minWidth": 140, "flex": 0},
        "probability": {"minWidth": 115, "maxWidth": 130, "sortingOrder": ["desc", "asc", None]},
        "rank_in_course": {"minWidth": 80, "maxWidth": 100},
        "risk_level": {"minWidth": 95, "maxWidth": 120},
        "segment": {
            "minWidth": 110,
            "maxWidth": 140,
            "tooltipField": "segment_action",
            "headerTooltip": "Where the learner stands by their own activity; hover a cell: what to do.",
        },
        "trajectory": {"cellRenderer": "CourseSparkline", "minWidth": 110, "maxWidth": 130},
        "change": {"cellRenderer": "CourseChange", "minWidth": 120, "maxWidth": 140},
        "inactive": {"minWidth": 110, "maxWidth": 130, "sortingOrder": ["desc", "asc", None]},
        # Wrapped in rows of ROW_HEIGHT: the reasons read in full without hovering.
        "reasons": {"flex": 3, "minWidth": 300, **WRAPPED},
        "in_favour": {"flex": 2, "minWidth": 220, **WRAPPED},
        "last_action": {"flex": 2, "minWidth": 240, "tooltipField": "last_action"},
    }
    return [
        {
            "field": field,
            "colId": field,
            "headerName": header,
            "sortable": field in sortable,
            **special.get(field, {}),
        }
        for field, header in headers.items()
    ]


def _select(field_id: str, label: str, options: list[dict[str, str]], md: int = 2) -> dbc.Col:
    return dbc.Col(
        [dbc.Label(label, html_for=field_id), dbc.Select(id=field_id, options=options, value=ANY)],
        xs=6,
        md=md,
    )


def filters() -> dbc.Row:
    """The list's filters (level, segment, change, inactivity, no action yet, learner)."""
    any_option = [{"label": "Any", "value": ANY}]
    return dbc.Row(
        [
            _select(
                f"{PREFIX}-risk-level",
                "Risk level",
                any_option + [{"label": n, "value": n} for n in course_overview.risk_levels()],
            ),
            _select(f"{PREFIX}-segment", "Segment", any_option + segments.segment_options()),
            _select(
                f"{PREFIX}-change",
                "Change",
                any_option + [{"label": label, "value": value} for value, label in CHANGE_LABELS.items()],
            ),
            dbc.Col(
                [
                    dbc.Label("Inactive days (at least)", html_for=f"{PREFIX}-inactive"),
                    dbc.Input(id=f"{PREFIX}-inactive", type="number", min=0, step=1, debounce=True),
                ],
                xs=6,
                md=2,
            ),
            dbc.Col(
                [
                    dbc.Label("Learner", html_for=f"{PREFIX}-learner"),
                    dbc.Input(
                        id=f"{PREFIX}-learner",
                        placeholder="part of the reference",
                        debounce=True,
                        maxlength=128,
                    ),
                ],
                xs=6,
                md=2,
            ),
            dbc.Col(
                dbc.Checkbox(id=f"{PREFIX}-no-action", label="No action yet", value=False),
                xs=6,
                md=2,
                className="align-self-end pb-2",
            ),
        ],
        className="g-2 mb-2",
    )


def action_bar() -> dbc.Row:
    """Recording an action (kind, channel, note) for the selected learners."""
    kinds = action_kind_options()
    channels = [{"label": "No channel", "value": ""}, *channel_options()]
    return dbc.Row(
        [
            dbc.Col(
                html.Span("0 selected", id=f"{PREFIX}-selected", className="text-muted"),
                width="auto",
                className="align-self-center",
            ),
            dbc.Col(
                [
                    dbc.Label("Action", html_for=f"{PREFIX}-action-kind", className="visually-hidden"),
                    dbc.Select(id=f"{PREFIX}-action-kind", options=kinds, value=ACTION_KINDS[0]),
                ],
                xs=6,
                md=2,
            ),
            dbc.Col(
                [
                    dbc.Label("Channel", html_for=f"{PREFIX}-action-channel", className="visually-hidden"),
                    dbc.Select(id=f"{PREFIX}-action-channel", options=channels, value="email"),
                ],
                xs=6,
                md=2,
            ),
            dbc.Col(
                [
                    dbc.Label("Note", html_for=f"{PREFIX}-action-note", className="visually-hidden"),
                    dbc.Input(id=f"{PREFIX}-action-note", placeholder="Note (optional)", maxlength=2000),
                ],
                xs=12,
                md=3,
            ),
            dbc.Col(
                dbc.Button("Select all listed", id=f"{PREFIX}-select-all", color="secondary", outline=True),
                width="auto",
            ),
            dbc.Col(
                dbc.Button("Record for selected", id=f"{PREFIX}-action-record", color="primary"), width="auto"
            ),
            dbc.Col(
                dbc.Button("Export CSV", id=f"{PREFIX}-export", color="secondary", outline=True),
                width="auto",
                className="ms-auto",
            ),
        ],
        className="g-2 mb-2 align-items-center",
    )
