"""My trends: the user's saved predictions over time per task, and where they stand in the cohort."""

from __future__ import annotations

from datetime import date

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html, no_update

from dashboard.access import page, signed_in_user
from dashboard.components import toasts
from dashboard.components.figures import graph, is_risk, level_badge, trend_figure
from dashboard.components.shell import page_header
from dashboard.components.tables import when
from modelling.tasks import DROPOUT, EXAM, TASK_NAMES, task_for
from services import predictions, trends

PATH = "/trends"
PREFIX = "trends"
dash.register_page(
    __name__,
    path=PATH,
    title="My trends",
    name="My trends",
    access="user",
    nav=True,
    nav_roles=("student",),  # a student's own trend: in no staff bar
    order=30,
    description="Your saved predictions over time and how you compare with everyone else.",
)


def _date_field(field_id: str, label: str) -> dbc.Col:
    return dbc.Col(
        [dbc.Label(label, html_for=field_id), dbc.Input(id=field_id, type="date", debounce=True)],
        xs=6,
        md=3,
    )


@page("user", PATH)
def layout(user, **_query):
    filters = dbc.Row(
        [
            dbc.Col(
                [
                    dbc.Label("Prediction", html_for=f"{PREFIX}-task"),
                    dbc.Select(
                        id=f"{PREFIX}-task",
                        options=[{"label": "Both", "value": "all"}]
                        + [{"label": task_for(task).label, "value": task} for task in TASK_NAMES],
                        value="all",
                    ),
                ],
                xs=12,
                md=4,
            ),
            _date_field(f"{PREFIX}-from", "From"),
            _date_field(f"{PREFIX}-to", "To"),
        ],
        className="mb-3 g-2",
    )
    return html.Div(
        [
            page_header("My trends", "Every prediction you saved, over time, with the level bands shaded."),
            filters,
            dcc.Loading(
                html.Div(
                    [
                        html.Div(id=f"{PREFIX}-empty-state"),
                        *[_task_card(task) for task in TASK_NAMES],
                    ],
                    **{"aria-live": "polite"},
                ),
                type="circle",
                delay_show=150,
            ),
            toasts.toast_area(PREFIX),
        ]
    )


def _parse_day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _empty_state(filtered: bool) -> dbc.Card:
    if filtered:
        message = "You saved no prediction between these dates. Widen the dates, or make a new prediction."
    else:
        message = (
            "You have not saved a prediction yet. Make one, press Save, and it will appear here over time."
        )
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2("Nothing to show yet", className="h5"),
                html.P(message, className="text-muted"),
                dbc.Button(
                    "Predict exam score",
                    href=EXAM.path,
                    color="primary",
                    className="me-2 mb-2",
                ),
                dbc.Button(
                    "Predict dropout risk",
                    href=DROPOUT.path,
                    color="primary",
                    outline=True,
                    className="mb-2",
                ),
            ]
        ),
        id=f"{PREFIX}-empty",
    )


def _shown(task: str, value: float) -> str:
    return task_for(task).outcome.headline(value)


def _cohort_text(task: str, standing: dict | None) -> str:
    if standing is None:
        return ""
    if standing["users"] <= 1:
        return "Nobody else saved this kind of prediction in this period, so there is no comparison yet."
    better = "lower is better" if is_risk(task) else "higher is better"
    what = "risk" if is_risk(task) else "predicted score"
    return (
        f"Your average {what} is at percentile {standing['percentile']:.0f} among the "
        f"{standing['users']} users with saved predictions of this kind in this period ({better})."
    )


def _key(task: str) -> str:
    return task.replace("-", "")


def _task_card(task: str) -> dbc.Card:
    """A task's card, hidden until `show_trends` fills it. The graph is in the page from the start,
    so Plotly loads while the data is fetched, and a filter change only redraws it."""
    key = _key(task)
    return dbc.Card(
        [
            dbc.CardHeader(html.H2(task_for(task).label, className="h6 mb-0")),
            dbc.CardBody(
                [
                    html.Div(id=f"{PREFIX}-{key}-stats"),
                    html.P(className="small", id=f"{PREFIX}-{key}-cohort"),
                    graph(
                        f"{PREFIX}-{key}-graph",
                        {"data": [], "layout": {"height": 340}},
                        f"{task_for(task).label} over time",
                        responsive=True,
                    ),
                    dbc.Button(
                        "Predict again", href=task_for(task).path, color="primary", outline=True, size="sm"
                    ),
                ]
            ),
        ],
        className="mb-4",
        id=f"{PREFIX}-{key}",
        style={"display": "none"},
    )


def _stats(task: str, summary: dict, standing: dict | None) -> dbc.Row:
    bands = predictions.bands_for(task)
    latest, first = summary["latest"], summary["first"]
    change = latest["value"] - first["value"]
    if summary["count"] == 1:
        change_text = "–"
    elif is_risk(task):
        change_text = f"{change * 100:+.1f} points"
    else:
        change_text = f"{change:+.1f} points"
    key = _key(task)
    return dbc.Row(
        [
            dbc.Col(
                [
                    html.Div("Latest", className="kpi-label"),
                    html.Div(
                        [
                            html.Span(_shown(task, latest["value"]), className="kpi-value me-2"),
                            level_badge(task, latest["level"], bands),
                        ],
                        className="d-flex align-items-center flex-wrap",
                    ),
                    html.Div(when(latest["when"]), className="small text-muted"),
                ],
                xs=12,
                md=4,
            ),
            dbc.Col(
                [
                    html.Div("Saved predictions", className="kpi-label"),
                    html.Div(f"{summary['count']:,}", className="kpi-value", id=f"{PREFIX}-{key}-count"),
                    html.Div(f"average {_shown(task, summary['mean'])}", className="small text-muted"),
                ],
                xs=6,
                md=4,
            ),
            dbc.Col(
                [
                    html.Div("Since the first one", className="kpi-label"),
                    html.Div(change_text, className="kpi-value"),
                    html.Div(
                        f"cohort percentile {standing['percentile']:.0f}"
                        if standing and standing["users"] > 1
                        else "",
                        className="small text-muted",
                    ),
                ],
                xs=6,
                md=4,
            ),
        ],
        className="mb-2",
    )


def _task_outputs(user, task: str, shown: bool, day_from: date | None, day_to: date | None) -> list:
    """[card style, stats, cohort text, figure] of one task; hidden when not chosen or empty."""
    summary = trends.overview(user, task, day_from, day_to) if shown else None
    if summary is None:
        return [{"display": "none"}, None, None, no_update]
    standing = trends.percentile(user, task, day_from, day_to)
    figure = trend_figure(task, trends.series(user, task, day_from, day_to), predictions.bands_for(task))
    return [{}, _stats(task, summary, standing), _cohort_text(task, standing), figure]


@callback(
    Output(f"{PREFIX}-empty-state", "children"),
    *[
        Output(f"{PREFIX}-{_key(task)}{part}", prop)
        for task in TASK_NAMES
        for part, prop in (
            ("", "style"),
            ("-stats", "children"),
            ("-cohort", "children"),
            ("-graph", "figure"),
        )
    ],
    Input(f"{PREFIX}-task", "value"),
    Input(f"{PREFIX}-from", "value"),
    Input(f"{PREFIX}-to", "value"),
    on_error=toasts.error_handler(PREFIX),
)
def show_trends(task: str | None, day_from: str | None, day_to: str | None):
    return _trend_outputs(signed_in_user(), task, day_from, day_to)


def _trend_outputs(user, task: str | None, day_from: str | None, day_to: str | None) -> list:
    start, end = _parse_day(day_from), _parse_day(day_to)
    if start and end and start > end:
        toasts.notify(
            PREFIX, "Check the dates", "The first day is after the last one; showing everything instead."
        )
        start = end = None
    outputs = []
    for name in TASK_NAMES:
        outputs += _task_outputs(user, name, task in (None, "all", name), start, end)
    shown_any = any(style == {} for style in outputs[::4])
    return [None if shown_any else _empty_state(filtered=bool(start or end)), *outputs]
