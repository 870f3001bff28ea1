"""Analytics (administrators): cohort KPIs and charts over stored predictions or the training data,
with cohort filters and cross-filtering (click or drag on a chart to filter every other chart)."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from dashboard.access import page, signed_in_user
from dashboard.components import admin_figures as figures
from dashboard.components import analytics_cards, analytics_controls, analytics_figures
from dashboard.components.analytics_controls import figure_col
from dashboard.components.forms import alert
from dashboard.components.shell import page_header
from modelling.cells import frame_csv
from modelling.tasks import schema_for
from services import analytics, model_versions
from services.errors import ServiceError

PATH = "/analytics"
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


@page("admin", PATH)
def layout(user, **_query):
    return html.Div(
        [
            page_header(
                "Analytics",
                "Explore a cohort; every figure downloads as PNG (toolbar) and its numbers as CSV.",
            ),
            analytics_controls.controls(),
            html.Div(id="analytics-message"),
            dcc.Loading(dbc.Row(id="analytics-kpis", className="mb-2"), type="dot"),
            dbc.Row([figure_col("levels", lg=6), figure_col("value", lg=6)]),
            dbc.Row(
                [
                    figure_col("means", figures.IMPORTANCE_HEIGHT, lg=6),
                    figure_col("importance", figures.IMPORTANCE_HEIGHT, lg=6),
                ]
            ),
            dbc.Row([figure_col("correlation", 480, lg=7), figure_col("scatter", 480, lg=5)]),
            html.H2("Every field", className="h5 mt-2"),
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
        analytics_controls.category_filters(task),
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
    value_title = f"{value['label']} distribution ({analytics_figures.sample_note(profile)}; drag to filter)"
    return (
        analytics_cards.kpis(profile),
        analytics_figures.level_figure(profile),
        analytics_figures.numeric_figure(profile, value, value_title),
        analytics_figures.group_means_figure(profile),
        analytics_figures.correlation_figure(profile),
        analytics_cards.field_cards(profile),
    )


@callback(
    Output("analytics-graph-importance", "figure"),
    Output("analytics-importance", "data"),
    Input("analytics-task", "value"),
)
def draw_importance(task):
    try:
        importance = model_versions.active_importance(signed_in_user(), task)
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
        return analytics_figures.density_figure(None), None
    task, source = raw["task"], raw["source"]
    try:
        cohort = analytics.make_cohort(task, source, raw)
        data = analytics.pair_density(signed_in_user(), task, source, cohort, pair["x"], pair["y"])
    except ServiceError as exc:
        return figures.empty_figure("Scatter of a pair", exc.message), None
    return analytics_figures.density_figure(data), data


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
    table = analytics_figures.figure_table(profile, key, pair, importance)
    return dcc.send_string(frame_csv(table, index=False), f"{profile['task']}-{profile['source']}-{key}.csv")
