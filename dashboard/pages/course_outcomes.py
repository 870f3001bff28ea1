"""A course's outcomes report (tutors and administrators): once its outcomes are known, how well the
High flags did at each checkpoint, whether nudged learners dropped out less than those held back at
random, what became of flagged learners who were contacted and who were not, and how often tutors
marked a model version's flags as wrong. Without a course: nudged against held back across courses."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.access import page
from dashboard.components import nudge_outcomes
from dashboard.components.admin_figures import FONT, Figure, colour, empty_figure, graph_config
from dashboard.components.forms import alert
from dashboard.components.shell import page_header
from services.errors import ServiceError
from services.links import course_href
from services.outcomes_report import outcomes_report
from services.tutoring.nudge_effect import nudges_across_courses

PATH = "/course-outcomes"
PREFIX = "course-outcomes"
dash.register_page(
    __name__,
    path=PATH,
    title="Outcomes report",
    name="Outcomes report",
    access="staff",
    nav=False,
    description="How well a course's early-warning flags did once its outcomes are known.",
)
DASH = "—"


_percent = nudge_outcomes.percent


def _lift(value: float | None) -> str:
    return DASH if value is None else f"{value:.2f}×"


def _table(table_id: str, headers: list[str], rows: list[list[Any]]) -> dbc.Table:
    return dbc.Table(
        [
            html.Thead(html.Tr([html.Th(h) for h in headers])),
            html.Tbody([html.Tr([html.Td(cell) for cell in row]) for row in rows]),
        ],
        id=table_id,
        size="sm",
        striped=True,
        responsive=True,
    )


def _checkpoints_table(report: dict[str, Any]) -> dbc.Table:
    rows = [
        [
            f"Day {row['checkpoint']}",
            row["day"],
            f"{row['with_outcomes']:,}",
            f"{row['flagged']:,}",
            _percent(row["flagged_share"]),
            f"{row['flagged_dropped_out']:,}",
            _percent(row["precision"]),
            _percent(row["recall"]),
            _percent(row["base_rate"]),
            _lift(row["lift"]),
        ]
        for row in report["checkpoints"]
    ]
    headers = [
        "Checkpoint",
        "Scored day",
        "With outcomes",
        f"Flagged {report['flag_level']}",
        "Share flagged",
        "Of whom dropped out",
        "Precision",
        "Recall",
        "Base dropout rate",
        "Lift",
    ]
    return _table(f"{PREFIX}-checkpoints", headers, rows)


def _chart(report: dict[str, Any]) -> Figure:
    """Precision and recall of the flags by checkpoint, as grouped bars."""
    title = "Precision and recall of the High flags by checkpoint"
    if not report["checkpoints"]:
        return empty_figure(title, "No scored checkpoint with outcomes yet.")
    names = [f"day {row['checkpoint']}" for row in report["checkpoints"]]
    fig = Figure()
    for index, (key, label) in enumerate((("precision", "Precision"), ("recall", "Recall"))):
        values = [row[key] for row in report["checkpoints"]]
        fig.add_bar(
            x=names,
            y=values,
            name=label,
            marker_color=colour(label, index),
            text=[_percent(value) for value in values],
            textposition="outside",
            hovertemplate=f"%{{x}}: {label.lower()} %{{y:.1%}}<extra></extra>",
        )
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 14}},
        font=FONT,
        barmode="group",
        margin={"l": 60, "r": 20, "t": 50, "b": 70},
        legend={"orientation": "h", "y": -0.2, "yanchor": "top", "x": 0},
    )
    fig.update_xaxes(title_text="Checkpoint")
    fig.update_yaxes(title_text="Share", range=[0, 1.1], tickformat=".0%")
    return fig


def _contacts(report: dict[str, Any]) -> html.Div:
    contacts = report["contacts"]
    if not contacts or not contacts["flagged"]:
        return html.P(
            "No learner of this course was flagged.", id=f"{PREFIX}-contacts", className="text-muted"
        )
    return html.Div(
        [
            nudge_outcomes.groups_table(
                f"{PREFIX}-contacts", contacts, nudge_outcomes.CONTACT_GROUPS, "Flagged learners"
            ),
            html.P(
                ["Difference (95% interval), points: ", html.Strong(nudge_outcomes.points(contacts))],
                className="mb-2",
            ),
            html.P(contacts["says"], id=f"{PREFIX}-contacts-says"),
            dbc.Alert(contacts["note"], color="secondary", id=f"{PREFIX}-contact-note", className="small"),
        ]
    )


def _versions_table(report: dict[str, Any]) -> html.Div | dbc.Table:
    if not report["model_versions"]:
        return html.P("No model version flagged a learner of this course.", id=f"{PREFIX}-versions")
    rows = [
        [
            row["label"],
            f"{row['flags']:,}",
            f"{row['not_useful']:,}",
            f"{row['incorrectly_flagged']:,}",
            f"{row['marked']:,}",
            _percent(row["marked_share"]),
        ]
        for row in report["model_versions"]
    ]
    headers = [
        "Model version",
        "Learners flagged",
        "Not useful",
        "Incorrectly flagged",
        "Marked either",
        "Share marked",
    ]
    return _table(f"{PREFIX}-versions", headers, rows)


def _section(title: str, *children: Any) -> dbc.Card:
    return dbc.Card(dbc.CardBody([html.H2(title, className="h5 card-title"), *children]), className="mb-3")


def _report(report: dict[str, Any], admin: bool = False) -> list[Any]:
    sections = []
    if report["message"]:
        missing = report["outcomes_status"] == "none"
        upload = dcc.Link(
            "Upload outcomes on the Data page",
            href="/data",
            id=f"{PREFIX}-upload-link",
            className="alert-link",
        )
        sections.append(
            dbc.Alert(
                [report["message"], " ", upload if missing and admin else None],
                color="warning" if missing else "info",
                id=f"{PREFIX}-message",
            )
        )
    if report["checkpoints"]:
        sections.append(
            _section(
                "Flags per checkpoint",
                html.P(
                    "Each checkpoint's latest scored day. Precision: share of the flagged who dropped out; "
                    "recall: share of the dropouts who were flagged; lift: precision over the base rate "
                    "(1.0: the flag does no better than picking learners at random); share flagged: of "
                    "the enrollments scored that day.",
                    className="small text-muted",
                ),
                _checkpoints_table(report),
                dcc.Graph(id=f"{PREFIX}-chart", figure=_chart(report), config=graph_config("outcomes")),
            )
        )
    if report["contacts"] is not None:
        nudges = nudge_outcomes.nudge_block(PREFIX, report["nudges"])
        sections.append(_section("Nudged and held-back learners (randomised)", nudges))
        sections.append(
            _section("Contacted and not contacted flagged learners (an observation)", _contacts(report))
        )
    sections.append(
        _section(
            "Tutors' feedback per model version",
            html.P(
                "Learners each version flagged, and how many of them tutors marked not useful or "
                "incorrectly flagged.",
                className="small text-muted",
            ),
            _versions_table(report),
        )
    )
    return sections


@page("staff", PATH)
def layout(user, code: str | None = None, **_query):
    if not code:
        return html.Div(_across_courses(user), id=f"{PREFIX}-page")
    back = dcc.Link("← Back to the course", href=course_href(code), id=f"{PREFIX}-back")
    try:
        report = outcomes_report(user, code)
    except ServiceError as exc:
        return html.Div([page_header("Outcomes report"), alert(exc.message)], id=f"{PREFIX}-page")
    title = f"Outcomes report: {report['course']}"
    subtitle = report["title"] if report["title"] != report["course"] else None
    across = dcc.Link("Nudges across all your courses", href=PATH, id=f"{PREFIX}-across", className="ms-3")
    return html.Div(
        [back, across, page_header(title, subtitle), *_report(report, user.is_admin)], id=f"{PREFIX}-page"
    )


def _across_courses(user) -> list[Any]:
    """The report with no course named: nudged against held-back learners per course and overall."""
    report = nudges_across_courses(user)
    header = page_header("Did nudging help?", "Nudged and held-back learners, per course and overall")
    if not report["courses"]:
        text = (
            "No course of yours has sent a nudge with the holdout on (the setting NUDGE_HOLDOUT_SHARE), so "
            "there is nothing to compare yet. Open a course's outcomes report for its flags."
        )
        return [header, html.P(text, id=f"{PREFIX}-across-empty")]
    overall = report["overall"]
    return [
        header,
        html.P(nudge_outcomes.RANDOMISED, className="small text-muted"),
        nudge_outcomes.courses_table(f"{PREFIX}-across-table", report),
        html.P(
            "All courses: each course's learners are compared with each other only (a Mantel-Haenszel "
            "difference), so a course that drops out more, or is nudged more, cannot pass for an effect.",
            className="small text-muted",
        ),
        nudge_outcomes.verdict(f"{PREFIX}-across-verdict", overall),
        dcc.Link(
            "Why randomisation is needed",
            href="/about#about-contacting",
            id=f"{PREFIX}-why",
            className="small",
        ),
    ]
