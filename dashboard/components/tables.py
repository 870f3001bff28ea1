"""Small tables rendered on the server."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from services.activity_text import action_label, describe


def when(value: datetime | None) -> str:
    """A stored UTC time as text."""
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"


def last_scoring_text(scoring: dict[str, Any] | None) -> str:
    """A course's last scoring (course_overview's `last_scoring`) as text: when it ran, and its status
    unless it succeeded (a failed or still running run says so)."""
    if not scoring:
        return "never"
    text = when(scoring["run_finished_at"] or scoring["scored_at"])
    return text if scoring["run_status"] in (None, "succeeded") else f"{text} ({scoring['run_status']})"


def header_row(names: list[str] | tuple[str, ...]) -> html.Tr:
    """A table's header row; a column without a visible name (its buttons) is named "Actions" for
    screen readers, so that no header cell is empty."""
    unnamed = html.Span("Actions", className="visually-hidden")
    return html.Tr([html.Th(name or unnamed) for name in names])


def share_text(value: float | None) -> str:
    """A share as a whole percentage, "–" when there is none."""
    return "–" if value is None else f"{value:.0%}"


def activity_table(items: list[dict[str, Any]], table_id: str) -> html.Div:
    """Activity entries, newest first, or an empty-state line."""
    if not items:
        return html.P("No activity yet.", className="text-muted", id=table_id)
    rows = [
        html.Tr(
            [
                html.Td(when(item["created_at"])),
                html.Td(action_label(item["action"])),
                html.Td(item["ip_address"] or ""),
                html.Td(describe(item["detail"])),
            ]
        )
        for item in items
    ]
    head = html.Thead(html.Tr([html.Th("When"), html.Th("What"), html.Th("From"), html.Th("Details")]))
    return dbc.Table(
        [head, html.Tbody(rows)], striped=True, hover=True, responsive=True, size="sm", id=table_id
    )


def activate_cell(version: int, is_active: bool, button_type: str, badge_id: str | None = None) -> html.Td:
    """A versions table's last cell: "active" for the serving version, else its Activate button."""
    badge = {"id": badge_id} if badge_id else {}
    action = (
        dbc.Badge("active", color="success", **badge)
        if is_active
        else dbc.Button(
            "Activate",
            id={"type": button_type, "version": version},
            size="sm",
            color="secondary",
            outline=True,
        )
    )
    return html.Td(action)
