"""Courses (tutors and administrators): every course the user may see with its risk at a glance."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, html

from dashboard.access import page, signed_in_user
from dashboard.components import score_now
from dashboard.components.forms import alert
from dashboard.components.shell import code_link, page_header
from dashboard.components.tables import last_scoring_text
from services import course_overview
from services.errors import ServiceError
from services.links import course_href

PATH = "/courses"
ANY = "any"
STATUS_LABELS = {"running": "Running", "finished": "Finished", "upcoming": "Upcoming"}
dash.register_page(
    __name__,
    path=PATH,
    title="Courses",
    name="Courses",
    access="staff",
    nav=True,
    order=35,
    description="Your courses: enrollments, where each stands, the share at high risk and its change.",
)


@page("staff", PATH)
def layout(user, **_query):
    filters = dbc.Row(
        [
            dbc.Col(
                [
                    dbc.Label("Search", html_for="courses-search"),
                    dbc.Input(id="courses-search", placeholder="code or title", debounce=True, maxlength=128),
                ],
                md=6,
            ),
            dbc.Col(
                [
                    dbc.Label("Status", html_for="courses-status"),
                    dbc.Select(
                        id="courses-status",
                        options=[{"label": "Any", "value": ANY}]
                        + [{"label": label, "value": value} for value, label in STATUS_LABELS.items()],
                        value=ANY,
                    ),
                ],
                md=3,
            ),
        ],
        className="mb-3 g-2",
    )
    subtitle = (
        "Every course." if user.is_admin else "The courses you tutor."
    ) + " Open one to see how its cohort's risk moves and who to contact."
    return html.Div(
        [
            page_header("Courses", subtitle),
            filters,
            score_now.score_area("courses"),
            html.Div(id="courses-table", children=_table(user, None, None)),
        ]
    )


def _status(row: dict[str, Any]) -> str:
    if row["status"] == "running":
        return f"Day {row['current_day']} of {row['length_days']}"
    return STATUS_LABELS.get(row["status"], row["status"])


def _high(row: dict[str, Any]) -> list[Any]:
    if row["high_share"] is None:
        return [html.Span("not scored yet", className="text-muted")]
    parts: list[Any] = [
        f"{row['high_share']:.0%}",
        html.Span(f" (day {row['checkpoint_day']})", className="text-muted small"),
    ]
    change = row["high_change"]
    if change is not None:
        arrow = "▲" if change > 0 else "▼" if change < 0 else "="
        colour = "text-danger" if change > 0 else "text-success" if change < 0 else "text-muted"
        parts.append(html.Span(f" {arrow} {change * 100:+.0f} pp", className=f"{colour} small"))
    return parts


def _table(user, search: str | None, status: str | None) -> Any:
    try:
        rows = course_overview.courses_overview(user, search, status)
    except ServiceError as exc:
        return alert(exc.message)
    if not rows:
        empty = (
            "No course matches."
            if (search or status)
            else (
                "No courses yet."
                if user.is_admin
                else "No courses are assigned to you yet: ask an administrator."
            )
        )
        return html.P(empty, className="text-muted", id="courses-empty")
    high = rows[0]["high_level"]
    head = html.Thead(
        html.Tr(
            [
                html.Th("Course"),
                html.Th("Title"),
                html.Th("Enrollments", className="text-end"),
                html.Th("Status"),
                html.Th(f"At {high} risk (change)"),
                html.Th("Last scoring"),
                html.Th(html.Span("Score", className="visually-hidden")),
            ]
        )
    )
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Td(code_link(row["code"], course_href(row["code"]))),
                    html.Td(row["title"]),
                    html.Td(f"{row['enrollments']:,}", className="text-end"),
                    html.Td(_status(row)),
                    html.Td(_high(row)),
                    html.Td(last_scoring_text(row["last_scoring"])),
                    html.Td(_score_cell(row)),
                ],
                className="courses-row",
            )
            for row in rows
        ]
    )
    return html.Div(
        [
            html.P(
                f"{len(rows):,} course{'' if len(rows) == 1 else 's'}",
                className="text-muted small",
                id="courses-count",
            ),
            dbc.Table([head, body], striped=True, hover=True, responsive=True, size="sm", id="courses-list"),
        ]
    )


def _score_cell(row: dict[str, Any]) -> Any:
    """Score now for a course that started (the page lists only the courses the user may score)."""
    return None if row["status"] == "upcoming" else score_now.score_button("courses", row["code"])


@callback(
    Output("courses-table", "children"),
    Input("courses-search", "value"),
    Input("courses-status", "value"),
    Input("courses-score-done", "data"),
    prevent_initial_call=True,
)
def filter_courses(search, status, _scored):
    return _table(signed_in_user(), search, None if status in (None, ANY) else status)


score_now.register("courses")
