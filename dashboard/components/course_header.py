"""The Course page's head: the course's facts and levels, and its risk trend across checkpoints."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from dashboard.components import admin_figures as figures
from dashboard.components import course_levels
from dashboard.components.shell import page_header, short_code
from dashboard.components.tables import last_scoring_text
from services.links import course_outcomes_href

PREFIX = "course"  # the Course page's ids


def _fact(label: str, value: Any, fact_id: str | None = None) -> html.Div:
    kwargs = {"id": fact_id} if fact_id else {}
    return html.Div(
        [html.Div(label, className="kpi-label"), html.Div(value, className="fw-semibold", **kwargs)],
        className="me-4 mb-2",
    )


def header(facts: dict[str, Any], admin: bool = False) -> html.Div:
    """The course's title, links and facts, its levels (and, for an administrator, their shares)."""
    if facts["status"] == "running":
        where = f"Day {facts['current_day']} of {facts['length_days']}"
    else:
        where = facts["status"].capitalize()
    links = html.Div(
        [
            dcc.Link("All courses", href="/courses", className="me-3"),
            dcc.Link(
                "Outcomes report",
                href=course_outcomes_href(facts["code"]),
                id=f"{PREFIX}-outcomes-link",
            ),
        ],
        className="mb-2",
    )
    return html.Div(
        [
            page_header(
                short_code(facts["code"])
                if facts["title"] in ("", facts["code"])
                else f"{short_code(facts['code'])}: {facts['title']}",
                tooltip=facts["code"],
            ),
            links,
            html.Div(
                [
                    _fact("Dates", f"{facts['start_date']} to {facts['end_date']}"),
                    _fact("Where it stands", where, f"{PREFIX}-where"),
                    _fact("Enrollments", f"{facts['enrollments']:,}", f"{PREFIX}-enrollments"),
                    _fact("Tutors", ", ".join(facts["tutors"]) or "none assigned"),
                    _fact("Last scoring", last_scoring_text(facts["last_scoring"]), f"{PREFIX}-last-scoring"),
                ],
                className="d-flex flex-wrap mb-2",
            ),
            course_levels.levels_facts(facts["levels"]),
            course_levels.shares_control(facts["levels"]["shares"]) if admin else None,
        ]
    )


def trend_figure(trend: dict[str, Any]) -> figures.Figure:
    """The share of the cohort at each risk level per checkpoint, stacked (highest risk on top)."""
    title = "How the cohort's risk moves across checkpoints"
    points = trend["points"]
    if not points:
        return figures.empty_figure(title, "Not scored yet: the risk appears after the first checkpoint.")
    fig = figures.Figure()
    labels = [f"Day {p['day']}" for p in points]
    for index, level in enumerate(reversed(trend["levels"])):
        fig.add_bar(
            x=labels,
            y=[p["shares"][level] for p in points],
            customdata=[p["counts"][level] for p in points],
            name=level,
            marker_color=figures.colour(level, index),
            text=[f"{p['shares'][level]:.0%}" for p in points],
            textposition="inside",
            hovertemplate=f"{level}: %{{y:.1%}} (%{{customdata:,}} learners)<extra>%{{x}}</extra>",
        )
    fig.update_yaxes(tickformat=".0%", range=[0, 1], title_text="Share of enrollments")
    fig.update_xaxes(title_text="Checkpoint (day of the course)")
    return fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 14}},
        font=figures.FONT,
        barmode="stack",
        margin={"l": 60, "r": 20, "t": 50, "b": 60},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"},
    )
