"""The at-risk list's segments as a tutor reads them: the filter's options, the legend above the grid
(what each segment means and what it suggests doing)."""

from __future__ import annotations

from typing import Any

from dash import html

from modelling.early_warning.segments import SEGMENTS


def segment_options() -> list[dict[str, str]]:
    """One option per segment, in the rules' order."""
    return [{"label": segment.label, "value": segment.name} for segment in SEGMENTS]


def legend(prefix: str) -> html.Details:
    """Each segment: its name, what puts a learner in it, and what it suggests (open by default)."""
    items: list[Any] = [
        html.Li(
            [html.Strong(segment.label), f": {segment.description} ", html.Em(segment.action)],
            id=f"{prefix}-segment-{segment.name}",
        )
        for segment in SEGMENTS
    ]
    return html.Details(
        [
            html.Summary("Segments and what they suggest"),
            html.Ul(items, className="mb-0 small"),
        ],
        open=True,
        id=f"{prefix}-segments-legend",
        className="mb-2",
    )
