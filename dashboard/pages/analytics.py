"""Analytics (administrators): cohort KPIs and charts over stored predictions or the training data,
with cohort filters and cross-filtering (click or drag on a chart to filter every other chart)."""

from __future__ import annotations

import json
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from dashboard.access import page, signed_in_user
from dashboard.components import admin_figures as figures
from dashboard.components.forms import alert
from dashboard.components.shell import page_header
from modelling.cells import frame_csv
from modelling.tasks import TASK_NAMES, schema_for, task_for, task_options
from services import analytics, models
from services.errors import ServiceError

PATH = "/analytics"
SOURCES = [
    {"label": "Stored predictions", "value": "records"},
    {"label": "Active model's training data", "value": "training"},
]
PRIMARY_FILTERS = ("school_type", "motivation_level", "gender", "family_income")
dash.register_page(
    __name__,
    path=PATH,
    title="Analytics",
    name="Analytics",
    access="admin",
    nav=True,
    order=30,
    description="Cohort KPIs, distributions, correlations and risk groups, with filters.",
)


def _labelled(label: str, component_id: str, component: Any, **col: Any) -> dbc.Col:
    return dbc.Col([dbc.Label(label, html_for=component_id), component], className="mb-2", **col)


def _controls() -> dbc.Card:
    choices = dbc.Row(
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
    dates = dbc.Row(
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
    return dbc.Card(
        dbc.CardBody(
            [
                html.H3("Cohort", className="h5"),
                choices,
                dates,
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


def _figure_col(key: str, height: int = 360, **col: Any) -> dbc.Col:
    return dbc.Col(
        figures.figure_card(f"analytics-graph-{key}", {"type": "analytics-csv", "figure": key}, key, height),
        xs=12,
        className="mb-3",
        **col,
    )


@page("admin", PATH)
def layout(user, **_query):
    return html.Div(
        [
            page_header(
                "Analytics",
                "Explore a cohort; every figure downloads as PNG (toolbar) and its numbers as CSV.",
            ),
            _controls(),
            html.Div(id="analytics-message"),
            dcc.Loading(dbc.Row(id="analytics-kpis", className="mb-2"), type="dot"),
            dbc.Row([_figure_col("levels", lg=6), _figure_col("value", lg=6)]),
            dbc.Row(
                [
                    _figure_col("means", figures.IMPORTANCE_HEIGHT, lg=6),
                    _figure_col("importance", figures.IMPORTANCE_HEIGHT, lg=6),
                ]
            ),
            dbc.Row([_figure_col("correlation", 480, lg=7), _figure_col("scatter", 480, lg=5)]),
            html.H3("Every field", className="h5 mt-2"),
            dcc.Loading(dbc.Row(id="analytics-fields"), type="dot"),
            dcc.Store(id="analytics-ranges", data={}),
            dcc.Store(id="analytics-cohort"),
            dcc.Store(id="analytics-profile"),
            dcc.Store(id="analytics-pair"),
            dcc.Store(id="analytics-pair-data"),
            dcc.Store(id="analytics-importance"),
            dcc.Download(id="analytics-download"),
        ]
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


def _category_filters(task: str) -> list:
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


@callback(
    Output("analytics-groups", "options"),
    Output("analytics-groups", "value"),
    Output("analytics-category-filters", "children"),
    Output("analytics-range-field", "options"),
    Output("analytics-date-from", "disabled"),
    Output("analytics-date-to", "disabled"),
    Output("analytics-ranges", "data"),
    Output("analytics-pair", "data"),
    Input("analytics-task", "value"),
    Input("analytics-source", "value"),
)
def choose_task(task: str, source: str):
    schema = schema_for(task)
    ranges = [{"label": f.label, "value": f.name} for f in schema.numeric]
    value = analytics.value_field(task, source)
    ranges.append({"label": "Predicted value" if source == "records" else "Actual outcome", "value": value})
    training = source == "training"
    return (
        analytics.group_names(task, source),
        [],
        _category_filters(task),
        ranges,
        training,
        training,
        {},
        None,
    )


def _cohort_input(task, source, groups, date_from, date_to, category_values, ranges) -> dict[str, Any]:
    fields = {f.name for f in schema_for(task).categorical}
    categories = {
        item["id"]["field"]: values
        for item, values in zip(ctx.inputs_list[5], category_values, strict=False)
        if values and item["id"]["field"] in fields
    }
    return {
        "task": task,
        "source": source,
        "groups": groups or [],
        "date_from": date_from,
        "date_to": date_to,
        "categories": categories,
        "ranges": ranges or {},
    }


@callback(
    Output("analytics-profile", "data"),
    Output("analytics-cohort", "data"),
    Output("analytics-message", "children"),
    Input("analytics-task", "value"),
    Input("analytics-source", "value"),
    Input("analytics-groups", "value"),
    Input("analytics-date-from", "value"),
    Input("analytics-date-to", "value"),
    Input({"type": "analytics-category", "field": ALL}, "value"),
    Input("analytics-ranges", "data"),
)
def load_profile(task, source, groups, date_from, date_to, category_values, ranges):
    raw = _cohort_input(task, source, groups, date_from, date_to, category_values, ranges)
    try:
        cohort = analytics.make_cohort(task, source, raw)
        profile = analytics.cohort_profile(signed_in_user(), task, source, cohort)
    except ServiceError as exc:
        details = "; ".join(f"{k}: {v}" for k, v in exc.fields.items()) if exc.fields else ""
        return no_update, no_update, alert(f"{exc.message} {details}".strip())
    message = None
    filtered = any(raw[k] for k in ("groups", "date_from", "date_to", "categories", "ranges"))
    if profile["rows"] == 0 and filtered:
        message = alert("No rows match this cohort. Loosen or clear the filters.", "warning")
    elif profile["rows"] == 0:
        message = alert(
            "No stored predictions of this task yet: choose the training data as the source, or save "
            "predictions (or batch-score a file with saving on) first; for a demo cohort run "
            "flask --app wsgi seed-demo.",
            "info",
        )
    return profile, raw, message


def _kpi(title: str, value: str, kpi_id: str) -> dbc.Col:
    return dbc.Col(
        dbc.Card(
            dbc.CardBody(
                [html.Div(title, className="small text-muted"), html.Div(value, className="fs-4 fw-semibold")]
            ),
            id=f"analytics-kpi-{kpi_id}",
        ),
        xs=6,
        md=3,
        className="mb-2",
    )


def _kpis(profile: dict[str, Any]) -> list[dbc.Col]:
    rows = profile["rows"]
    groups = profile["groups"]
    task = task_for(profile["task"])
    worst = task.concern_group(groups)
    value = next(i for i in profile["numeric"] if i["name"] == profile["value"])
    shown_rows = f"{rows:,}" if rows is not None else f"≥ {profile['analysed']:,}"
    kpis = [_kpi("Rows in cohort", shown_rows, "rows")]
    if profile["source"] == "records":
        kpis.append(_kpi("Students (analysed rows)", f"{profile['students'] or 0:,}", "students"))
    else:
        kpis.append(_kpi("Rows analysed", f"{profile['analysed']:,}", "analysed"))
    counted = sum(g["count"] for g in groups)
    share = f"{worst['count'] / counted:.1%}" if counted else "–"
    kpis.append(_kpi(f"Share {worst['name'].lower()}", share, "share"))
    mean = value["overall"]
    shown = "–" if mean is None else f"{mean:.{task.outcome.summary_decimals}f}"
    kpis.append(_kpi(f"Average {value['label'].lower()} (analysed rows)", shown, "mean"))
    return kpis


def _field_cards(profile: dict[str, Any]) -> list[dbc.Col]:
    cards = []
    for item in profile["numeric"]:
        if item["name"] == profile["value"]:
            continue
        cards.append((item["name"], figures.numeric_figure(profile, item)))
    cards += [(item["name"], figures.category_figure(profile, item)) for item in profile["category"]]
    for _name, figure in cards:
        figure.update_layout(showlegend=False, margin={"b": 50})
    return [
        dbc.Col(
            dbc.Card(
                dbc.CardBody(
                    [
                        dcc.Graph(
                            id={"type": "analytics-field", "field": name},
                            figure=figure,
                            config=figures.graph_config(f"field-{name}"),
                            style={"height": "300px"},
                        ),
                        dbc.Button(
                            "Data as CSV",
                            id={"type": "analytics-csv", "figure": f"field-{name}"},
                            size="sm",
                            color="secondary",
                            outline=True,
                        ),
                    ],
                    className="p-2",
                )
            ),
            xs=12,
            md=6,
            xl=4,
            className="mb-3",
        )
        for name, figure in cards
    ]


@callback(
    Output("analytics-kpis", "children"),
    Output("analytics-graph-levels", "figure"),
    Output("analytics-graph-value", "figure"),
    Output("analytics-graph-means", "figure"),
    Output("analytics-graph-correlation", "figure"),
    Output("analytics-fields", "children"),
    Input("analytics-profile", "data"),
    prevent_initial_call=True,
)
def draw_profile(profile):
    if not profile:
        return no_update
    value = next(i for i in profile["numeric"] if i["name"] == profile["value"])
    value_title = f"{value['label']} distribution ({figures.sample_note(profile)}; drag to filter)"
    return (
        _kpis(profile),
        figures.level_figure(profile),
        figures.numeric_figure(profile, value, value_title),
        figures.group_means_figure(profile),
        figures.correlation_figure(profile),
        _field_cards(profile),
    )


@callback(
    Output("analytics-graph-importance", "figure"),
    Output("analytics-importance", "data"),
    Input("analytics-task", "value"),
)
def draw_importance(task):
    try:
        importance = models.active_importance(signed_in_user(), task)
    except ServiceError as exc:
        return figures.empty_figure("Feature importance", exc.message), None
    return figures.importance_figure(importance), importance


@callback(
    Output("analytics-pair", "data", allow_duplicate=True),
    Input("analytics-graph-correlation", "clickData"),
    State("analytics-profile", "data"),
    prevent_initial_call=True,
)
def pick_pair(click, profile):
    if not click or not click.get("points") or not profile:
        return no_update
    point = click["points"][0]
    corr = profile["correlation"]
    names = dict(zip(corr["labels"], corr["fields"], strict=True))
    if point.get("x") not in names or point.get("y") not in names:
        return no_update
    return {"x": names[point["x"]], "y": names[point["y"]]}


@callback(
    Output("analytics-graph-scatter", "figure"),
    Output("analytics-pair-data", "data"),
    Input("analytics-pair", "data"),
    Input("analytics-cohort", "data"),
)
def draw_pair(pair, raw):
    if not pair or not raw:
        return figures.density_figure(None), None
    task, source = raw["task"], raw["source"]
    try:
        cohort = analytics.make_cohort(task, source, raw)
        data = analytics.pair_density(signed_in_user(), task, source, cohort, pair["x"], pair["y"])
    except ServiceError as exc:
        return figures.empty_figure("Scatter of a pair", exc.message), None
    return figures.density_figure(data), data


@callback(
    Output("analytics-groups", "value", allow_duplicate=True),
    Input("analytics-graph-levels", "clickData"),
    State("analytics-groups", "value"),
    prevent_initial_call=True,
)
def filter_by_group(click, groups):
    if not click or not click.get("points"):
        return no_update
    name = click["points"][0]["x"]
    groups = list(groups or [])
    return [g for g in groups if g != name] if name in groups else [*groups, name]


@callback(
    Output("analytics-ranges", "data", allow_duplicate=True),
    Output({"type": "analytics-category", "field": ALL}, "value", allow_duplicate=True),
    Input({"type": "analytics-field", "field": ALL}, "clickData"),
    Input({"type": "analytics-field", "field": ALL}, "selectedData"),
    Input("analytics-graph-value", "selectedData"),
    State("analytics-ranges", "data"),
    State({"type": "analytics-category", "field": ALL}, "value"),
    State("analytics-profile", "data"),
    prevent_initial_call=True,
)
def filter_by_selection(_clicks, _selections, _value_selection, ranges, category_values, profile):
    trigger = ctx.triggered_id
    event = ctx.triggered[0]["value"] if ctx.triggered else None
    category_ids = [item["id"]["field"] for item in ctx.states_list[1]]
    if not trigger or not event or not profile:
        return no_update, [no_update] * len(category_ids)
    field = profile["value"] if trigger == "analytics-graph-value" else trigger["field"]
    if field in category_ids and ctx.triggered[0]["prop_id"].endswith("clickData"):
        value = event["points"][0]["x"]
        values = [[value] if name == field else no_update for name in category_ids]
        return no_update, values
    bounds = (event.get("range") or {}).get("x")
    if not bounds:
        return no_update, [no_update] * len(category_ids)
    return {**(ranges or {}), field: sorted(bounds)}, [no_update] * len(category_ids)


@callback(
    Output("analytics-ranges", "data", allow_duplicate=True),
    Output("analytics-message", "children", allow_duplicate=True),
    Input("analytics-range-add", "n_clicks"),
    State("analytics-range-field", "value"),
    State("analytics-range-low", "value"),
    State("analytics-range-high", "value"),
    State("analytics-ranges", "data"),
    prevent_initial_call=True,
)
def add_range(clicks, field, low, high, ranges):
    if not clicks:
        return no_update, no_update
    if not field or low is None or high is None:
        return no_update, alert("Pick a field and type both ends of the range.", "warning")
    return {**(ranges or {}), field: sorted([float(low), float(high)])}, None


@callback(
    Output("analytics-range-badges", "children"),
    Input("analytics-ranges", "data"),
    State("analytics-range-field", "options"),
)
def show_ranges(ranges, options):
    labels = {o["value"]: o["label"] for o in options or []}
    return [
        dbc.Badge(
            f"{labels.get(name, name)}: {low:.4g} to {high:.4g}",
            color="info",
            className="me-1",
            id={"type": "analytics-range-badge", "field": name},
        )
        for name, (low, high) in (ranges or {}).items()
    ]


@callback(
    Output("analytics-ranges", "data", allow_duplicate=True),
    Output("analytics-groups", "value", allow_duplicate=True),
    Output("analytics-date-from", "value"),
    Output("analytics-date-to", "value"),
    Output({"type": "analytics-category", "field": ALL}, "value", allow_duplicate=True),
    Output("analytics-range-field", "value"),
    Output("analytics-range-low", "value"),
    Output("analytics-range-high", "value"),
    Input("analytics-clear", "n_clicks"),
    State({"type": "analytics-category", "field": ALL}, "value"),
    prevent_initial_call=True,
)
def clear_filters(clicks, category_values):
    if not clicks:
        return (no_update,) * 4 + ([no_update] * len(category_values),) + (no_update,) * 3
    return {}, [], None, None, [[] for _ in category_values], None, None, None


@callback(
    Output("analytics-download", "data"),
    Input({"type": "analytics-csv", "figure": ALL}, "n_clicks"),
    State("analytics-profile", "data"),
    State("analytics-pair-data", "data"),
    State("analytics-importance", "data"),
    prevent_initial_call=True,
)
def download_csv(clicks, profile, pair, importance):
    trigger = ctx.triggered_id
    if not trigger or not any(clicks) or not ctx.triggered[0]["value"] or not profile:
        return no_update
    key = trigger["figure"]
    table = figures.figure_table(profile, key, pair, importance)
    return dcc.send_string(frame_csv(table, index=False), f"{profile['task']}-{profile['source']}-{key}.csv")
