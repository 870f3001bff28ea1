"""Home: a student's latest predictions and trend; an administrator's KPIs and serving models; a
tutor's worklist for this week, their courses and what is new since their last visit."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.access import allowed, page
from dashboard.components import news_seen
from dashboard.components import worklist as this_week
from dashboard.components.figures import graph, level_badge, sparkline
from dashboard.components.shell import ROLE_NAMES, code_link, offered_to, page_header
from dashboard.components.tables import share_text, when
from modelling.tasks import EARLY_WARNING, TASK_NAMES, task_for
from services import accounts, analytics, course_risk, learner_links, model_versions, predictions, trends
from services.early_warning import versions as ew_versions
from services.links import course_href, enrollment_href
from services.records import RecordFilters

PATH = "/"
dash.register_page(__name__, path=PATH, title="Home", name="Home", access="user", nav=True, order=0)


def _link_card(title: str, text: str, href: str) -> dbc.Col:
    return dbc.Col(
        dbc.Card(
            dbc.CardBody(
                [
                    html.H3(title, className="h5"),
                    html.P(text, className="text-muted"),
                    dbc.Button("Open", href=href, color="primary", outline=True, size="sm"),
                ]
            ),
            className="h-100",
        ),
        xs=12,
        md=6,
        lg=4,
        className="mb-3",
    )


def _pages_for(user) -> list[dbc.Col]:
    entries = sorted(
        (
            e
            for e in dash.page_registry.values()
            if e.get("nav") is True
            and e["path"] != PATH
            and allowed(e.get("access"), user)
            and offered_to(e, user)
        ),
        key=lambda e: e.get("order", 100),
    )
    return [_link_card(e["name"], e.get("description") or "", e["path"]) for e in entries]


def _shown(task: str, value: float) -> str:
    return task_for(task).outcome.headline(value)


def _latest_card(user, task: str) -> dbc.Col:
    key = task.replace("-", "")
    points = trends.recent_values(user, task)
    if not points:
        body = [
            html.P(f"No saved {task_for(task).label.lower()} prediction yet.", className="text-muted"),
            dbc.Button("Predict now", href=task_for(task).path, color="primary", size="sm"),
        ]
    else:
        latest = points[-1]
        bands = predictions.bands_for(task)
        body = [
            html.Div(
                [
                    html.Span(
                        _shown(task, latest["value"]), className="kpi-value me-2", id=f"home-{key}-value"
                    ),
                    level_badge(task, latest["level"], bands),
                ],
                className="d-flex align-items-center flex-wrap",
            ),
            html.Div(f"saved {when(latest['when'])}", className="small text-muted mb-1"),
            graph(
                f"home-{key}-sparkline",
                sparkline(task, points, bands),
                f"Your last {len(points)} saved {task_for(task).label.lower()} predictions",
                config={"displayModeBar": False, "responsive": True},
            ),
            html.Div(
                [
                    dbc.Button(
                        "Predict again",
                        href=task_for(task).path,
                        color="primary",
                        size="sm",
                        className="me-2",
                    ),
                    dbc.Button("See the trend", href="/trends", color="secondary", outline=True, size="sm"),
                ],
                className="mt-2",
            ),
        ]
    return dbc.Col(
        dbc.Card(
            [
                dbc.CardHeader(html.H2(f"Your latest {task_for(task).label.lower()}", className="h6 mb-0")),
                dbc.CardBody(body),
            ],
            className="h-100",
            id=f"home-{key}",
        ),
        xs=12,
        md=6,
        className="mb-3",
    )


def _kpi(label: str, value: str, kpi_id: str) -> dbc.Col:
    return dbc.Col(
        dbc.Card(
            dbc.CardBody(
                [html.Div(value, className="kpi-value", id=kpi_id), html.Div(label, className="kpi-label")]
            ),
            className="h-100",
        ),
        xs=6,
        md=4,
        xl=2,
        className="mb-3",
    )


def _metric(metrics: dict, name: str, unit: str) -> str:
    value = metrics.get(name)
    if value is None:
        return "not measured"
    spread = metrics.get(f"{name}_std")
    text = f"{value:.3f}" + (f" ± {spread:.3f}" if spread is not None else "")
    return f"{text} {unit}".strip()


def _model_card(task: str, active: dict | None) -> dbc.Col:
    if active is None:
        body = [html.P("No version is active: predictions are unavailable.", className="text-danger mb-0")]
    else:
        body = [
            html.P(f"Version {active['version']} · {active['algorithm']}", className="fw-semibold mb-1"),
            html.Ul(
                [
                    html.Li(f"{metric.label}: {_metric(active['metrics'], metric.key, metric.unit)}")
                    for metric in task_for(task).headline_metrics
                ],
                className="small mb-0",
            ),
        ]
    return dbc.Col(
        dbc.Card(
            [
                dbc.CardHeader(html.H2(f"{task_for(task).label} model", className="h6 mb-0")),
                dbc.CardBody(body),
            ],
            className="h-100",
        ),
        xs=12,
        md=6,
        className="mb-3",
    )


def _early_warning_card() -> dbc.Col:
    """The active early-warning version and how well it told dropouts apart at each checkpoint."""
    active = next((row for row in ew_versions.versions() if row.is_active), None)
    if active is None:
        body = [html.P("No version is active: courses are not scored.", className="text-danger mb-0")]
    else:
        auc = (active.metrics or {}).get("auc_by_checkpoint") or {}
        body = [
            html.P(f"Version {active.version} · {active.algorithm}", className="fw-semibold mb-1"),
            html.Ul(
                [
                    html.Li(f"ROC AUC at day {day}: {auc[str(day)]:.3f}")
                    for day in EARLY_WARNING.course.checkpoints
                    if auc.get(str(day)) is not None
                ]
                or [html.Li("ROC AUC: not measured")],
                className="small mb-0",
            ),
        ]
    return dbc.Col(
        dbc.Card(
            [
                dbc.CardHeader(html.H2(f"{EARLY_WARNING.label} model", className="h6 mb-0")),
                dbc.CardBody(body),
            ],
            className="h-100",
            id="home-early-warning",
        ),
        xs=12,
        md=6,
        className="mb-3",
    )


def _admin_view(user) -> list:
    summary = analytics.summary(user, RecordFilters())
    average = summary["average_exam_score"]
    students = accounts.users_page(None, "student", 1, 1).total
    kpis = dbc.Row(
        [
            _kpi("Student accounts", f"{students:,}", "home-kpi-students"),
            _kpi("Students referenced in predictions", f"{summary['students']:,}", "home-kpi-refs"),
            _kpi("Saved predictions", f"{summary['predictions']:,}", "home-kpi-predictions"),
            _kpi("Saved in the last 7 days", f"{summary['predictions_this_week']:,}", "home-kpi-week"),
            _kpi(
                "Dropout predictions at high risk",
                share_text(summary["high_risk_share"]),
                "home-kpi-high",
            ),
            _kpi(
                "Average predicted exam score",
                f"{average:.1f}" if average is not None else "–",
                "home-kpi-avg",
            ),
        ],
        id="home-kpis",
    )
    active = summary["active_models"]
    return [
        html.H2("Across all saved predictions", className="h5"),
        kpis,
        html.H2("Models serving now", className="h5 mt-2"),
        dbc.Row(
            [*(_model_card(task, active.get(task)) for task in TASK_NAMES), _early_warning_card()],
            id="home-models",
        ),
    ]


def _scored_day(day: int | None) -> str:
    return "" if day is None else f" (day {day})"


def _tutor_courses(summary: dict) -> html.Div:
    if not summary["courses"]:
        return html.P(
            "No course is assigned to you yet: an administrator assigns tutors to courses.",
            className="text-muted",
            id="home-courses",
        )
    head = html.Thead(html.Tr([html.Th(h) for h in ("Course", "Today", f"Share at {summary['level']}")]))
    rows = [
        html.Tr(
            [
                html.Td(code_link(row["code"], course_href(row["code"]))),
                html.Td(f"day {row['current_day']}" if row["status"] == "running" else row["status"]),
                html.Td(share_text(row["high_share"]) + _scored_day(row["checkpoint_day"])),
            ]
        )
        for row in summary["courses"]
    ]
    return dbc.Table([head, html.Tbody(rows)], size="sm", striped=True, responsive=True, id="home-courses")


def _news_list(items: list, total: int, render, empty: str, list_id: str) -> html.Div:
    if not items:
        return html.P(empty, className="text-muted small", id=list_id)
    more = html.Li(f"… and {total - len(items)} more", className="text-muted") if total > len(items) else None
    return html.Ul([*(html.Li(render(item)) for item in items), more], className="small", id=list_id)


def _newly_high(item: dict) -> list:
    reasons = "; ".join(item["reasons"][:2])
    return [
        dcc.Link(item["learner_ref"], href=enrollment_href(item["enrollment"])),
        f" in {item['course']}: {item['probability']:.0%} at day {item['day']}",
        html.Span(f" · {reasons}", className="text-muted") if reasons else None,
    ]


def _action(item: dict) -> list:
    from services.tutoring.actions import ACTION_LABELS

    return [
        f"{item['username'] or '(deleted user)'}: {ACTION_LABELS.get(item['kind'], item['kind'])} ",
        dcc.Link(item["learner_ref"], href=enrollment_href(item["enrollment"])),
        f" in {item['course']}, {when(item['created_at'])}",
    ]


def _run(item: dict) -> str:
    return (
        f"{when(item['started_at'])}: {item['status']}, {item['enrollments']:,} enrollments in "
        f"{item['courses']} course{'s' if item['courses'] != 1 else ''} ({item['trigger']})"
    )


def _tutor_view(user) -> list:
    home = course_risk.tutor_home(user)
    return [
        this_week.section(user),
        html.H2("Your courses", className="h5"),
        _tutor_courses(home),
        html.Div(_news(home["news"], home["level"]), id="home-news"),
    ]


def _news(news: dict, level: str) -> list:
    """What is new on the tutor's courses, kept until they mark it seen."""
    since = (
        "in the last 7 days" if news["first_visit"] else f"since you marked it seen ({when(news['since'])})"
    )
    return [
        html.Div(
            [html.H2(f"New {since}", className="h5 mb-0 me-3"), news_seen.control()],
            className="d-flex align-items-center flex-wrap mt-3 mb-2",
        ),
        dbc.Row(
            [
                dbc.Col(
                    dbc.Card(
                        [
                            dbc.CardHeader(
                                html.H3(f"Newly at {level} ({news['newly_high_total']})", className="h6 mb-0")
                            ),
                            dbc.CardBody(
                                _news_list(
                                    news["newly_high"],
                                    news["newly_high_total"],
                                    _newly_high,
                                    f"No learner newly at {level}.",
                                    "home-newly-high",
                                )
                            ),
                        ],
                        className="h-100",
                    ),
                    md=6,
                    className="mb-3",
                ),
                dbc.Col(
                    dbc.Card(
                        [
                            dbc.CardHeader(
                                html.H3(f"Actions by others ({news['actions_total']})", className="h6 mb-0")
                            ),
                            dbc.CardBody(
                                _news_list(
                                    news["actions"],
                                    news["actions_total"],
                                    _action,
                                    "No action by others.",
                                    "home-others-actions",
                                )
                            ),
                        ],
                        className="h-100",
                    ),
                    md=6,
                    className="mb-3",
                ),
            ]
        ),
        html.H3("Scoring runs", className="h6"),
        _news_list(news["runs"], len(news["runs"]), _run, "No new scoring run.", "home-runs"),
    ]


news_seen.register(_news)
this_week.register()


def _my_courses(items: list[dict]) -> html.Div | None:
    """The courses a student takes (linked by an administrator), each opening its activity page."""
    if not items:
        return None

    def where(item: dict) -> str:
        if item["finished"]:
            return "finished"
        return "not started" if item["current_day"] is None else f"day {item['current_day']}"

    rows = [
        html.Li(
            [
                dcc.Link(
                    f"{item['course']} {item['title']}".strip(), href=enrollment_href(item["enrollment"])
                ),
                html.Span(f" · {where(item)}", className="text-muted"),
            ]
        )
        for item in items
    ]
    return html.Div(
        [html.H2("Your courses", className="h5"), html.Ul(rows)], id="home-my-courses", className="mb-3"
    )


@page("user", PATH)
def layout(user, **_query):
    role = ROLE_NAMES.get(user.role, ROLE_NAMES["student"])
    if user.is_admin:
        summary = _admin_view(user)
    elif user.is_staff:
        summary = _tutor_view(user)
    else:
        summary = [
            dbc.Row([_latest_card(user, task) for task in TASK_NAMES], id="home-latest"),
            _my_courses(learner_links.my_enrollments(user)),
        ]
    ready = all(v for v in (any(m.is_active for m in model_versions.versions(t)) for t in TASK_NAMES))
    notice = (
        None
        if ready
        else dbc.Alert(
            "Some predictions are unavailable until an administrator activates a model.",
            color="warning",
            id="home-no-model",
        )
    )
    return html.Div(
        [
            page_header(f"Welcome, {user.full_name or user.username}", f"You are signed in as {role}."),
            notice,
            *summary,
            html.H2("Everything you can do", className="h5 mt-2"),
            dbc.Row(_pages_for(user), id="home-pages"),
        ]
    )
